#!/usr/bin/env bash
# Installs the Debian packages apotheca builds, tests and benchmarks with,
# skipping the ones already present. Safe to run repeatedly.
set -euo pipefail

build_pkgs=(gcc make pkg-config libmicrohttpd-dev libjansson-dev libjwt-dev
	libcurl4-openssl-dev libsqlite3-dev libpq-dev libssl-dev openssl)
test_pkgs=(python3 postgresql sqlite3 curl clang libclang-rt-14-dev)
# The highly available stack of scripts/cluster.sh: etcd as Patroni's store,
# Patroni managing PostgreSQL 15, HAProxy in front of both tiers.
ha_pkgs=(etcd-server patroni haproxy postgresql-15 python3-etcd python3-psycopg2)
case "${1:-build}" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" wrk) ;;
browser) want=(chromium chromium-driver python3-selenium) ;;
ha) want=("${build_pkgs[@]}" python3 curl "${ha_pkgs[@]}") ;;
*) echo "usage: $0 build|test|bench|browser|ha" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
