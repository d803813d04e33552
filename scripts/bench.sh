#!/usr/bin/env bash
# Load benchmarks: starts apotheca on a scratch database (SQLite, and
# PostgreSQL when its binaries are present), loads the demo data and drives
# it with wrk on loopback. Every run is bounded (BENCH_SECONDS, default 10 s).
# Prints requests/s and latency per scenario; nothing here is a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${B:-build}/apotheca"
secs="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-64}"
port="${BENCH_PORT:-18089}"
work=$(mktemp -d /tmp/apotheca-bench.XXXXXX)
server=""
cluster=""

cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[ -n "$cluster" ] && scripts/pg-test.sh stop "$cluster" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

run_wrk() { # name, path, wrk options... [-- script arguments...]
	local name=$1 path=$2 opts=() rest=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && rest=("$@")
	printf '%-28s ' "$name"
	wrk -t2 -c"$conns" -d"${secs}s" --latency "${opts[@]}" "http://127.0.0.1:$port$path" "${rest[@]}" \
		>"$work/wrk.out" 2>&1 || true
	awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
	     END {printf "%10s req/s   p50 %-8s p99 %-8s non-2xx %s\n", rps, p50, p99, (bad ? bad : 0)}' "$work/wrk.out"
}

bench_db() { # label, APOTHECA_DB
	local label=$1 db=$2
	export APOTHECA_DB="$db" APOTHECA_LISTEN="127.0.0.1:$port" APOTHECA_ACCESS_LOG=0
	export APOTHECA_ADMIN_TOKEN=bench-admin-token-0
	"$bin" demo --dir "$work/keys" >/dev/null 2>&1
	"$bin" serve >"$work/server.log" 2>&1 &
	server=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
	local admin=(-s -H "Authorization: Bearer bench-admin-token-0" -H 'Content-Type: application/json')
	local i csv="$work/skus.csv"
	echo "sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock" >"$csv"
	for i in $(seq 1 100); do echo "BENCH$i,Bench $i,40,30,strip,otc,false,1000000000"; done >>"$csv"
	curl -sf -H "Authorization: Bearer bench-admin-token-0" -H 'Content-Type: text/csv' --data-binary @"$csv" \
		"http://127.0.0.1:$port/admin/v1/skus/import" >/dev/null
	curl "${admin[@]}" -X PATCH "http://127.0.0.1:$port/admin/v1/merchants/demo" -d '{"payment_window_s":3600}' >/dev/null
	local token
	token=$("$bin" token --merchant demo --key "$work/keys/merchant.pem")
	local auth=(-H "Authorization: Bearer $token" -H 'X-Access-Key: 1mg_client_access_key' -H 'Content-Type: application/json')

	echo "== $label ($(nproc) cores, $conns connections, ${secs}s each)"
	run_wrk "GET /healthz" /healthz
	run_wrk "inventory check" /api/v4/merchants/demo/inventory/check -s bench/inventory_check.lua "${auth[@]}"
	run_wrk "create order, 100 SKUs" /api/v4/merchants/demo/orders -s bench/create_order.lua "${auth[@]}" -- 100
	run_wrk "create order, 1 hot SKU" /api/v4/merchants/demo/orders -s bench/create_order.lua "${auth[@]}" -- 1
	local n
	n=$(curl "${admin[@]}" "http://127.0.0.1:$port/admin/v1/orders?limit=1" | sed -n 's/.*"order_id":"\(PO[0-9]*\)".*/\1/p')
	echo "   last order: $n"
	kill "$server"
	wait "$server" 2>/dev/null || true
	server=""
}

command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
bench_db "SQLite (WAL, synchronous=FULL)" "$work/bench.db"
if [ -x /usr/lib/postgresql/15/bin/initdb ] && [ "${BENCH_PG:-1}" = 1 ]; then
	read -r cluster sock pgport < <(scripts/pg-test.sh start)
	psql -X -q -h "$sock" -p "$pgport" -U postgres -c "CREATE DATABASE bench" postgres
	bench_db "PostgreSQL 15" "postgresql://postgres@/bench?host=$sock&port=$pgport"
fi
