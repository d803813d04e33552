#!/usr/bin/env bash
# Load benchmarks (`make bench`). In one run, on this machine:
#   1. baselines — nginx answering a 1.5 KB JSON from memory (the HTTP limit
#      of the box), raw one-order SQLite transactions (bench/raw_sqlite.c,
#      WAL + synchronous=FULL), and pgbench running a fixed order insert
#      (bench/pgbench_order.sql) on a throw-away PostgreSQL 15 cluster;
#      after each backend's scenarios, the statements of one create run
#      straight on the server's own database (bench/create_sqlite.c, 16
#      creates per COMMIT as the server's group commit; on PostgreSQL
#      pgbench with bench/pgbench_create.sql) — what the database allows;
#   2. apotheca on SQLite, then on PostgreSQL: healthz, inventory check,
#      track, create order (100 SKUs and one hot SKU), the full checkout
#      against a static payment API (nginx), RSS with 1,000 open
#      connections and start-to-healthy time;
#   3. a table of each scenario as a ratio of its baseline.
# Everything listens on loopback; every run is bounded (BENCH_SECONDS each,
# default 10). Nothing here is a pass/fail test.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${B:-build}/apotheca"
secs="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-64}"
port="${BENCH_PORT:-18089}"
ngport="${BENCH_NGINX_PORT:-18090}"
idle_conns="${BENCH_IDLE_CONNECTIONS:-1000}"
work=$(mktemp -d /tmp/apotheca-bench.XXXXXX)
server=""
nginx=""
cluster=""
declare -A R # results: "<backend>:<scenario>" -> number

cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[ -n "$nginx" ] && kill "$nginx" 2>/dev/null && wait "$nginx" 2>/dev/null
	[ -n "$cluster" ] && scripts/pg-test.sh stop "$cluster" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

# wanted SCENARIO: true unless BENCH_ONLY (a comma list of healthz,
# inventory, track, create100, create1, checkout, rss) leaves it out.
wanted() {
	[ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]
}

# run_wrk KEY NAME URL wrk-options... [-- script-arguments...]
# Prints one line and records requests/s under KEY.
run_wrk() {
	local key=$1 name=$2 url=$3 opts=() rest=()
	[[ $key == base:* ]] || wanted "${key#*:}" || return 0
	shift 3
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
	[ $# -gt 0 ] && rest=("$@")
	printf '  %-30s ' "$name"
	local cpu0
	cpu0=$(server_cpu_ms)
	wrk -t2 -c"$conns" -d"${secs}s" --latency "${opts[@]}" "$url" "${rest[@]}" \
		>"$work/wrk.out" 2>&1 || true
	local rps cpu1 reqs
	cpu1=$(server_cpu_ms)
	rps=$(awk '/Requests\/sec/ {print int($2)}' "$work/wrk.out")
	reqs=$(awk '/requests in/ {print $1}' "$work/wrk.out")
	R[$key]=${rps:-0}
	[ "${BENCH_VERBOSE:-0}" = 1 ] && sed 's/^/    | /' "$work/wrk.out" >&2
	awk -v cpu="$(awk -v a="$cpu0" -v b="$cpu1" -v n="${reqs:-0}" \
		'BEGIN { if (a != "" && b != "" && n > 0) printf "   server CPU %.0f us/req", (b - a) * 1000 / n }')" \
	    '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
	     END {printf "%10s req/s   p50 %-8s p99 %-8s non-2xx %s%s\n", rps, p50, p99, (bad ? bad : 0), cpu}' "$work/wrk.out"
}

# CPU time (user + system, ms) the server has used so far; empty without one.
server_cpu_ms() {
	[ -n "$server" ] && [ -r "/proc/$server/stat" ] || return 0
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) * 1000 / hz }' "/proc/$server/stat"
}

# Asks GET /healthz every 2 ms until it answers 200, bounded at ~10 s. The
# asking runs in this shell (bash's /dev/tcp, a read timeout as the pause):
# a curl per attempt costs 20 ms of its own on a slow machine, which the
# start time would count as the server's.
wait_healthy() {
	local line pause
	exec {pause}<> <(:)
	for _ in $(seq 5000); do
		if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
			printf 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
			IFS= read -r -t 2 line <&3 || line=""
			exec 3<&-
			if [[ $line == *" 200 "* ]]; then
				exec {pause}<&-
				return 0
			fi
		fi
		read -r -t 0.002 -u "$pause" _ || true
	done
	exec {pause}<&-
	echo "bench: server did not become healthy" >&2
	return 1
}

start_nginx() {
	mkdir -p "$work/nginx"
	local json
	json=$(tr -d '\n' <bench/static.json)
	sed -e "s|@PREFIX@|$work/nginx|g" -e "s|@PORT@|$ngport|g" bench/nginx.conf.in |
		awk -v j="$json" '{gsub(/@STATIC_JSON@/, j); print}' >"$work/nginx/nginx.conf"
	nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
	nginx=$!
	for _ in $(seq 200); do
		curl -sf "http://127.0.0.1:$ngport/static.json" >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	echo "bench: nginx did not start" >&2
	exit 1
}

baseline_sqlite() {
	cc -O2 -o "$work/raw_sqlite" bench/raw_sqlite.c -lsqlite3
	printf '  %-30s ' "raw one-order txn (SQLite)"
	local out
	out=$("$work/raw_sqlite" "$work/raw.db" "$secs")
	R[base:raw_sqlite]=$(echo "$out" | awk '{print $3}')
	echo "${R[base:raw_sqlite]} txn/s"
}

baseline_pgbench() { # socket-dir port
	local sock=$1 pgport=$2
	psql -X -q -h "$sock" -p "$pgport" -U postgres -d postgres -c "CREATE DATABASE rawbench" >/dev/null
	psql -X -q -h "$sock" -p "$pgport" -U postgres -d rawbench -c "
		CREATE TABLE raw_orders (id bigserial PRIMARY KEY, ref text UNIQUE, amount bigint,
		                         status int, created timestamptz);
		CREATE TABLE raw_items (order_id bigint, sku text, qty int, price bigint);" >/dev/null
	printf '  %-30s ' "raw one-order txn (pgbench -c16)"
	/usr/lib/postgresql/15/bin/pgbench -n -h "$sock" -p "$pgport" -U postgres -c16 -j2 -T"$secs" \
		-f bench/pgbench_order.sql rawbench >"$work/pgbench.out" 2>&1 || true
	R[base:raw_pg]=$(awk '/^tps/ {print int($3)}' "$work/pgbench.out")
	echo "${R[base:raw_pg]:-0} txn/s"
}

# bench_db KEY LABEL APOTHECA_DB
bench_db() {
	local key=$1 label=$2 db=$3 base="http://127.0.0.1:$port"
	export APOTHECA_DB="$db" APOTHECA_LISTEN="127.0.0.1:$port" APOTHECA_ACCESS_LOG=0
	export APOTHECA_ADMIN_TOKEN=bench-admin-token-0123456789
	"$bin" demo --dir "$work/keys" >/dev/null 2>&1

	local t0 t1
	t0=$EPOCHREALTIME
	"$bin" serve >"$work/server.log" 2>&1 &
	server=$!
	wait_healthy
	t1=$EPOCHREALTIME
	# EPOCHREALTIME is seconds with six decimals: as digits, microseconds.
	R[$key:start_ms]=$(((${t1//[.,]/} - ${t0//[.,]/}) / 1000))

	local admin=(-s -H "Authorization: Bearer $APOTHECA_ADMIN_TOKEN" -H 'Content-Type: application/json')
	local i csv="$work/skus.csv"
	echo "sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock" >"$csv"
	for i in $(seq 1 100); do echo "BENCH$i,Bench $i,40,30,strip,otc,false,1000000000"; done >>"$csv"
	curl -sf -H "Authorization: Bearer $APOTHECA_ADMIN_TOKEN" -H 'Content-Type: text/csv' --data-binary @"$csv" \
		"$base/admin/v1/skus/import" >/dev/null
	curl "${admin[@]}" -X PATCH "$base/admin/v1/merchants/demo" \
		-d "{\"payment_window_s\":3600,\"payment_api\":{\"base_url\":\"http://127.0.0.1:$ngport/pay\",\"aggregator\":\"bench\"},\"webhook\":{\"url\":\"http://127.0.0.1:$ngport/hooks\"}}" >/dev/null
	local token
	token=$("$bin" token --merchant demo --key "$work/keys/merchant.pem")
	local auth=(-H "Authorization: Bearer $token" -H 'X-Access-Key: 1mg_client_access_key' -H 'Content-Type: application/json')
	# One placed order for the track scenario.
	curl -s "${auth[@]}" "$base/api/v4/merchants/demo/orders" -d '{"merchant_order_id":"bench-track-1",
		"payable_amount":"129.00","payment_method":"COD","skus":{"BENCH1":1},
		"user":{"email":"a@example.com","mobile":"9611002324","first_name":"A","last_name":"B",
		"address":{"pincode":"560103","contact_number":"9611002324","name":"A B","street1":"x","street2":"","type":"home"}}}' >/dev/null

	echo "== apotheca on $label ($(nproc) cores, $conns connections, ${secs}s each)"
	echo "  start to healthy                 ${R[$key:start_ms]} ms"
	run_wrk "$key:healthz" "GET /healthz" "$base/healthz"
	run_wrk "$key:inventory" "inventory check" "$base/api/v4/merchants/demo/inventory/check" \
		-s bench/inventory_check.lua "${auth[@]}"
	run_wrk "$key:track" "track" "$base/api/v4/merchants/demo_pharmacy/orders/bench-track-1/track" "${auth[@]}"
	run_wrk "$key:create100" "create order, 100 SKUs" "$base/api/v4/merchants/demo/orders" \
		-s bench/create_order.lua "${auth[@]}" -- 100
	run_wrk "$key:create1" "create order, 1 hot SKU" "$base/api/v4/merchants/demo/orders" \
		-s bench/create_order.lua "${auth[@]}" -- 1
	if wanted checkout; then
		run_wrk "$key:checkout" "full checkout (requests)" "$base/api/v4/merchants/demo" \
			-s bench/checkout.lua "${auth[@]}"
		local confirmed
		confirmed=$(awk '/^confirmed/ {print $2}' "$work/wrk.out")
		R[$key:checkout]=$(( ${confirmed:-0} / secs ))
		echo "  full checkout                    ${R[$key:checkout]} orders/s (inventory check + ONLINE create + confirm)"
	fi
	if wanted rss; then
		local rss held
		read -r rss held < <(/usr/bin/python3 bench/conns.py "$server" "$port" "$idle_conns")
		R[$key:rss_mb]=$((rss / 1024))
		echo "  RSS with $held open connections  ${R[$key:rss_mb]} MB"
	fi
	kill "$server"
	wait "$server" 2>/dev/null || true
	server=""
}

ratio() { # numerator denominator -> "0.42x"
	awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'
}

command -v wrk >/dev/null || { echo "bench: wrk is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
command -v nginx >/dev/null || { echo "bench: nginx is missing (scripts/install-deps.sh bench)" >&2; exit 1; }

echo "== baselines"
start_nginx
run_wrk base:nginx "nginx, 1.5 KB JSON from memory" "http://127.0.0.1:$ngport/static.json"
baseline_sqlite
have_pg=0
if [ -x /usr/lib/postgresql/15/bin/initdb ] && [ "${BENCH_PG:-1}" = 1 ]; then
	have_pg=1
	read -r cluster sock pgport < <(scripts/pg-test.sh start)
	baseline_pgbench "$sock" "$pgport"
fi

if [ "${BENCH_SQLITE:-1}" = 1 ]; then
	bench_db sqlite "SQLite (WAL, each commit synced before its answer)" "$work/bench.db"
	if wanted create100; then
		# The create's own statements, straight from C, on the file the
		# server just used, as many per COMMIT as the server has writers.
		cc -O2 -o "$work/create_sqlite" bench/create_sqlite.c -lsqlite3
		printf '  %-30s ' "a create's own SQL (16/commit)"
		R[sqlite:create_sql]=$( ("$work/create_sqlite" "$work/bench.db" "$secs" 16 || true) | awk '{print $3}')
		echo "${R[sqlite:create_sql]:-0} creates/s"
	fi
fi
if [ $have_pg = 1 ]; then
	psql -X -q -h "$sock" -p "$pgport" -U postgres -c "CREATE DATABASE bench" postgres
	bench_db pg "PostgreSQL 15" "postgresql://postgres@/bench?host=$sock&port=$pgport"
	if wanted create100; then
		# The create's own statements, straight from pgbench, on the
		# database the server just used: what the database alone allows.
		psql -X -q -h "$sock" -p "$pgport" -U postgres -d bench \
			-c "CREATE SEQUENCE pgbench_create_ids" >/dev/null || true
		printf '  %-30s ' "a create's own SQL (pgbench -c16)"
		/usr/lib/postgresql/15/bin/pgbench -n -h "$sock" -p "$pgport" -U postgres -c16 -j2 \
			-M prepared -T"$secs" -f bench/pgbench_create.sql bench >"$work/pgbench_create.out" 2>&1 || true
		R[pg:create_sql]=$(awk '/^tps/ {print int($3)}' "$work/pgbench_create.out")
		echo "${R[pg:create_sql]:-0} creates/s"
	fi
fi

echo
echo "== ratios (targets in docs/BENCHMARKS.md)"
printf '  %-34s %-14s %-14s\n' scenario SQLite PostgreSQL
row() { # label sqlite-value pg-value
	printf '  %-34s %-14s %-14s\n' "$1" "$2" "$3"
}
row "inventory check / nginx" "$(ratio "${R[sqlite:inventory]:-}" "${R[base:nginx]:-}")" \
	"$(ratio "${R[pg:inventory]:-}" "${R[base:nginx]:-}")"
row "track / nginx" "$(ratio "${R[sqlite:track]:-}" "${R[base:nginx]:-}")" "$(ratio "${R[pg:track]:-}" "${R[base:nginx]:-}")"
row "create 100 SKUs / raw txn" "$(ratio "${R[sqlite:create100]:-}" "${R[base:raw_sqlite]}")" \
	"$(ratio "${R[pg:create100]:-}" "${R[base:raw_pg]:-}")"
row "create 100 SKUs / its own SQL" "$(ratio "${R[sqlite:create100]:-}" "${R[sqlite:create_sql]:-}")" \
	"$(ratio "${R[pg:create100]:-}" "${R[pg:create_sql]:-}")"
row "create hot SKU / create 100 SKUs" "$(ratio "${R[sqlite:create1]:-}" "${R[sqlite:create100]:-}")" \
	"$(ratio "${R[pg:create1]:-}" "${R[pg:create100]:-}")"
row "full checkout, orders/s" "${R[sqlite:checkout]:-}" "${R[pg:checkout]:-}"
row "RSS, $idle_conns connections (MB)" "${R[sqlite:rss_mb]:-}" "${R[pg:rss_mb]:-}"
row "start to healthy (ms)" "${R[sqlite:start_ms]:-}" "${R[pg:start_ms]:-}"
