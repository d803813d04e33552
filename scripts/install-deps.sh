#!/usr/bin/env bash
# Installs the Debian packages apotheca builds, tests and benchmarks with,
# skipping the ones already present. Safe to run repeatedly.
set -euo pipefail

build_pkgs=(gcc make pkg-config libmicrohttpd-dev libjansson-dev libjwt-dev
	libcurl4-openssl-dev libsqlite3-dev libpq-dev libssl-dev openssl)
# make run prints curl lines; the README's walk-through pipes answers through jq.
run_pkgs=(curl jq)
# python3-jsonschema: answers checked against docs/openapi.json; prometheus:
# promtool checks /metrics; nodejs/npm: Redocly CLI lints docs/openapi.json.
test_pkgs=(python3 postgresql sqlite3 curl jq clang libclang-rt-14-dev python3-jsonschema prometheus)
# The highly available stack of scripts/cluster.sh: etcd as Patroni's store,
# Patroni managing PostgreSQL 15, HAProxy in front of both tiers.
ha_pkgs=(etcd-server patroni haproxy postgresql-15 python3-etcd python3-psycopg2)
case "${1:-build}" in
build) want=("${build_pkgs[@]}") ;;
run) want=("${build_pkgs[@]}" "${run_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" wrk nginx) ;;
browser) want=(chromium chromium-driver python3-selenium) ;;
ha) want=("${build_pkgs[@]}" python3 curl "${ha_pkgs[@]}") ;;
*) echo "usage: $0 build|run|test|bench|browser|ha" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (with npm inside): only ask
# apt for it when there is no npm at all.
case "${1:-build}" in
test | bench) command -v npm >/dev/null 2>&1 || missing+=(nodejs npm) ;;
esac
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
