#!/usr/bin/env bash
# apotheca on highly available PostgreSQL, on one machine, loopback only.
#
#   cluster.sh up              start everything; exits 0 once all is healthy and
#                              prints APOTHECA_URL=..., ADMIN_TOKEN=... (and more
#                              KEY=VALUE lines: CLUSTER_DIR, DATABASE_URL, ...)
#   cluster.sh status          what runs, who leads, what HAProxy sees
#   cluster.sh kill-primary    SIGKILL the PostgreSQL leader's Patroni, postmaster
#                              and backends (node loss); prints the node's name
#   cluster.sh rejoin NODE     start a killed node's Patroni again (it rewinds
#                              and becomes the synchronous standby)
#   cluster.sh restart-app N   SIGTERM apotheca process N (1-3), start it again,
#                              and return once HAProxy routes to it again
#   cluster.sh down            stop everything and remove the directory (first
#                              copying every log to $APOTHECA_CLUSTER_LOGS if set)
#
# Topology (every port on 127.0.0.1, chosen free at `up`):
#   etcd                   Patroni's store (DCS, etcd v3 API)
#   pg1, pg2               PostgreSQL 15 under Patroni, synchronous_mode: true
#   HAProxy :PG            TCP to the node whose Patroni answers GET /primary
#   HAProxy :HTTP          HTTP to app1..app3, checked on GET /readyz
#   app1..app3             `apotheca serve`, configured by the environment
#
# Everything lives in one mktemp directory; $APOTHECA_CLUSTER (default
# /tmp/apotheca-cluster) is a symlink to it, so status/kill-primary/down find
# it. Needs root (Patroni and PostgreSQL run as the `postgres` user); installs
# missing packages with scripts/install-deps.sh ha.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LINK=${APOTHECA_CLUSTER:-/tmp/apotheca-cluster}
BINARY=${APOTHECA_BINARY:-$ROOT/build/apotheca}
PGBIN=/usr/lib/postgresql/15/bin
APPS="1 2 3"
NODES="pg1 pg2"
# Seconds `up` waits for each stage.
UP_TIMEOUT=90

die() {
	echo "cluster.sh: $*" >&2
	[ -n "${UP_DIR:-}" ] && echo "cluster.sh: logs are in $UP_DIR (kept until: $0 down)" >&2
	exit 1
}

log() { echo "cluster.sh: $*" >&2; }

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
	local limit=$1 t0
	shift
	t0=$(date +%s)
	until "$@" >/dev/null 2>&1; do
		[ $(($(date +%s) - t0)) -lt "$limit" ] || return 1
		sleep 0.2
	done
}

# Like wait_for, but gives up at once when the process in $2's pid file
# has exited (its log says why).
wait_while_alive() {
	local limit=$1 name=$2 t0
	shift 2
	t0=$(date +%s)
	until "$@" >/dev/null 2>&1; do
		alive "$(pid_of "$name")" || { log "$name exited"; return 1; }
		[ $(($(date +%s) - t0)) -lt "$limit" ] || return 1
		sleep 0.2
	done
}

# No socket at all uses the port (listening or not): an outgoing
# connection's local port would make bind fail just the same.
port_free() { [ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]; }

# N distinct free ports below the kernel's ephemeral range (which starts at
# 32768 by default), so no outgoing connection takes one meanwhile.
free_ports() {
	local want=$1 base got=() p
	for _ in $(seq 1 50); do
		base=$((20000 + RANDOM % (12000 - want)))
		got=()
		for p in $(seq "$base" $((base + want - 1))); do
			port_free "$p" || break
			got+=("$p")
		done
		[ ${#got[@]} -eq "$want" ] && { printf '%s\n' "${got[@]}"; return; }
	done
	die "no run of $want free ports found"
}

http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null || true; }
http_ok() { [ "$(http_code "$1")" = 200 ]; }

load_state() {
	if [ ! -L "$LINK" ] || [ ! -f "$LINK/state" ]; then die "no cluster (no $LINK); run: $0 up"; fi
	DIR=$(readlink -f "$LINK")
	# shellcheck disable=SC1091
	. "$DIR/state"
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { cat "$DIR/$1.pid" 2>/dev/null || true; }

postmaster_pid() { head -n1 "$DIR/$1/data/postmaster.pid" 2>/dev/null || true; }

rest_port() { if [ "$1" = pg1 ]; then echo "$REST1"; else echo "$REST2"; fi; }
pg_port() { if [ "$1" = pg1 ]; then echo "$PG1"; else echo "$PG2"; fi; }
app_port() { eval "echo \$APP$1"; }

leader() {
	local n
	for n in $NODES; do
		http_ok "http://127.0.0.1:$(rest_port "$n")/primary" && { echo "$n"; return 0; }
	done
	return 1
}

sync_standby() {
	local n
	for n in $NODES; do
		http_ok "http://127.0.0.1:$(rest_port "$n")/sync" && { echo "$n"; return 0; }
	done
	return 1
}

# --- configuration files ----------------------------------------------------

write_patroni() {
	local n=$1 rest pg
	rest=$(rest_port "$n")
	pg=$(pg_port "$n")
	mkdir -p "$DIR/$n"
	cat >"$DIR/$n/patroni.yml" <<EOF
scope: apotheca
namespace: /apotheca/
name: $n
log:
  level: WARNING
restapi:
  listen: 127.0.0.1:$rest
  connect_address: 127.0.0.1:$rest
etcd3:
  hosts: 127.0.0.1:$ETCD
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 200
        wal_log_hints: "on"
        max_wal_senders: 5
        max_replication_slots: 5
        synchronous_commit: "on"
  initdb:
    - encoding: UTF8
    - locale: C
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:$pg
  connect_address: 127.0.0.1:$pg
  data_dir: $DIR/$n/data
  bin_dir: $PGBIN
  pgpass: $DIR/$n/pgpass
  authentication:
    superuser:
      username: postgres
      password: postgres
    replication:
      username: replicator
      password: replicator
  parameters:
    unix_socket_directories: $DIR/$n
    shared_buffers: 32MB
    fsync: "on"
EOF
	chown -R postgres:postgres "$DIR/$n"
}

write_haproxy() {
	local i
	{
		cat <<EOF
global
    maxconn 2000

defaults
    timeout connect 2s
    timeout client 1h
    timeout server 1h
    timeout check 2s

# PostgreSQL: only the node whose Patroni says it is the primary takes
# connections; when that changes, HAProxy cuts the sessions it held.
listen postgres
    bind 127.0.0.1:$HAPG
    mode tcp
    option httpchk GET /primary
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
    server pg1 127.0.0.1:$PG1 check port $REST1
    server pg2 127.0.0.1:$PG2 check port $REST2

# apotheca: any ready process. A refused or unanswered connection (a process
# stopping or starting) is retried on another one; the backups are the same
# processes unchecked, so while the database is away (every /readyz is 503)
# requests still reach apotheca and get its own 503 with Retry-After.
listen apotheca
    bind 127.0.0.1:$HTTP
    mode http
    balance roundrobin
    timeout client 30s
    timeout server 30s
    option http-server-close
    option httpchk GET /readyz
    http-check expect status 200
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    option allbackups
    default-server inter 500ms fall 2 rise 2
EOF
		for i in $APPS; do echo "    server app$i 127.0.0.1:$(app_port "$i") check"; done
		for i in $APPS; do echo "    server app$i-backup 127.0.0.1:$(app_port "$i") backup"; done
		cat <<EOF

listen stats
    bind 127.0.0.1:$STATS
    mode http
    stats enable
    stats uri /stats
EOF
	} >"$DIR/haproxy.cfg"
}

# --- processes --------------------------------------------------------------

start_etcd() {
	etcd --name e1 --data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD" --advertise-client-urls "http://127.0.0.1:$ETCD" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
		--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
		--initial-cluster "e1=http://127.0.0.1:$ETCD_PEER" --initial-cluster-state new \
		--initial-cluster-token apotheca >"$DIR/etcd.log" 2>&1 &
	echo $! >"$DIR/etcd.pid"
}

start_patroni() {
	local n=$1 wrapper
	# runuser forks: the pid we get is its own; Patroni is its child.
	cd "$DIR/$n"
	runuser -u postgres -- patroni "$DIR/$n/patroni.yml" >>"$DIR/$n/patroni.log" 2>&1 &
	wrapper=$!
	echo "$wrapper" >"$DIR/$n.runuser.pid"
	wait_for 10 pgrep -P "$wrapper" || die "patroni $n did not start"
	pgrep -P "$wrapper" | head -n1 >"$DIR/$n.pid"
}

start_haproxy() {
	haproxy -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
	echo $! >"$DIR/haproxy.pid"
}

start_app() {
	local i=$1 port
	port=$(app_port "$i")
	APOTHECA_DB=$DATABASE_URL APOTHECA_LISTEN=127.0.0.1:$port APOTHECA_ADMIN_TOKEN=$ADMIN_TOKEN \
		APOTHECA_PUBLIC_URL=$APOTHECA_URL APOTHECA_THREADS=${APOTHECA_THREADS:-2} \
		"$BINARY" serve >>"$DIR/app$i.log" 2>&1 &
	echo $! >"$DIR/app$i.pid"
}

# HAProxy's view of one server: UP, DOWN, MAINT, or "no check".
haproxy_state() {
	curl -s -m 2 "http://127.0.0.1:$STATS/stats;csv" 2>/dev/null |
		awk -F, -v px="$1" -v sv="$2" '$1 == px && $2 == sv { print $18 }'
}

haproxy_up() { [ "$(haproxy_state "$1" "$2")" = UP ]; }

app_ready() { http_ok "http://127.0.0.1:$(app_port "$1")/readyz"; }

create_database() {
	local q=(psql -X -q -At -h 127.0.0.1 -p "$HAPG" -U postgres -d postgres -c)
	[ "$("${q[@]}" "SELECT 1 FROM pg_database WHERE datname = 'apotheca'")" = 1 ] ||
		"${q[@]}" "CREATE DATABASE apotheca"
}

migrate() { APOTHECA_DB=$DATABASE_URL "$BINARY" migrate >"$DIR/migrate.log" 2>&1; }

# --- commands ---------------------------------------------------------------

cmd_up() {
	if [ -e "$LINK" ]; then
		die "$LINK exists: a cluster is up (or left over); run: $0 down"
	fi
	[ "$(id -u)" -eq 0 ] || die "must run as root (Patroni runs as postgres via runuser)"
	"$ROOT/scripts/install-deps.sh" ha
	[ -x "$BINARY" ] || make -C "$ROOT" -s
	local t0 ports i
	t0=$(date +%s)
	DIR=$(mktemp -d /tmp/apotheca-cluster.XXXXXX)
	chmod 755 "$DIR"
	ln -s "$DIR" "$LINK"
	mapfile -t ports < <(free_ports 12)
	ETCD=${ports[0]} ETCD_PEER=${ports[1]} PG1=${ports[2]} PG2=${ports[3]}
	REST1=${ports[4]} REST2=${ports[5]} HAPG=${ports[6]} HTTP=${ports[7]} STATS=${ports[8]}
	APP1=${ports[9]} APP2=${ports[10]} APP3=${ports[11]}
	ADMIN_TOKEN=$(openssl rand -hex 16)
	APOTHECA_URL=http://127.0.0.1:$HTTP
	DATABASE_URL=postgresql://postgres@127.0.0.1:$HAPG/apotheca
	cat >"$DIR/state" <<EOF
ETCD=$ETCD ETCD_PEER=$ETCD_PEER PG1=$PG1 PG2=$PG2 REST1=$REST1 REST2=$REST2
HAPG=$HAPG HTTP=$HTTP STATS=$STATS APP1=$APP1 APP2=$APP2 APP3=$APP3
ADMIN_TOKEN=$ADMIN_TOKEN
APOTHECA_URL=$APOTHECA_URL
DATABASE_URL=$DATABASE_URL
BINARY=$BINARY
EOF
	UP_DIR=$DIR

	start_etcd
	wait_while_alive "$UP_TIMEOUT" etcd curl -sf -m 1 "http://127.0.0.1:$ETCD/health" ||
		die "etcd did not start: $(tail -3 "$DIR/etcd.log")"
	for n in $NODES; do write_patroni "$n"; done
	start_patroni pg1
	wait_while_alive "$UP_TIMEOUT" pg1 http_ok "http://127.0.0.1:$REST1/primary" ||
		die "pg1 did not become primary: $(tail -5 "$DIR/pg1/patroni.log")"
	start_patroni pg2
	wait_while_alive "$UP_TIMEOUT" pg2 sync_standby ||
		die "no synchronous standby: $(tail -5 "$DIR/pg2/patroni.log")"
	write_haproxy
	start_haproxy
	wait_while_alive "$UP_TIMEOUT" haproxy pg_isready -q -h 127.0.0.1 -p "$HAPG" -U postgres || die "HAProxy does not reach PostgreSQL"
	# A freshly bootstrapped cluster may still move (a slow etcd on a busy
	# machine can cost the new primary its leader key): retry until it holds.
	wait_for "$UP_TIMEOUT" create_database || die "cannot create the database through HAProxy"
	wait_for "$UP_TIMEOUT" migrate || die "migrate failed: $(cat "$DIR/migrate.log")"
	for i in $APPS; do start_app "$i"; done
	for i in $APPS; do
		wait_while_alive "$UP_TIMEOUT" "app$i" haproxy_up apotheca "app$i" ||
			die "app$i not up in HAProxy: $(tail -5 "$DIR/app$i.log")"
	done
	UP_DIR=
	log "up in $(($(date +%s) - t0)) s"
	echo "CLUSTER_DIR=$DIR"
	echo "APOTHECA_URL=$APOTHECA_URL"
	echo "ADMIN_TOKEN=$ADMIN_TOKEN"
	echo "DATABASE_URL=$DATABASE_URL"
	echo "HAPROXY_STATS=http://127.0.0.1:$STATS/stats"
}

cmd_status() {
	load_state
	local n i pid st=0 lead
	echo "directory  $DIR"
	pid=$(pid_of etcd)
	alive "$pid" || st=1
	echo "etcd       $(alive "$pid" && echo "running pid $pid" || echo down)"
	for n in $NODES; do
		local role="down" pm
		pid=$(pid_of "$n")
		pm=$(postmaster_pid "$n")
		if alive "$pid"; then
			role=$(curl -s -m 2 "http://127.0.0.1:$(rest_port "$n")/patroni" |
				python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("role","?"), d.get("state","?"))' 2>/dev/null || echo "no answer")
		fi
		echo "$n        patroni $(alive "$pid" && echo "pid $pid" || echo dead), postmaster $(alive "$pm" && echo "pid $pm" || echo dead), $role, haproxy $(haproxy_state postgres "$n")"
	done
	lead=$(leader) || { st=1; lead=none; }
	echo "leader     $lead"
	echo "sync       $(sync_standby || echo none)"
	for i in $APPS; do
		pid=$(pid_of "app$i")
		alive "$pid" || st=1
		echo "app$i       $(alive "$pid" && echo "pid $pid" || echo dead), readyz $(http_code "http://127.0.0.1:$(app_port "$i")/readyz"), haproxy $(haproxy_state apotheca "app$i")"
	done
	echo "APOTHECA_URL=$APOTHECA_URL"
	echo "ADMIN_TOKEN=$ADMIN_TOKEN"
	return $st
}

cmd_kill_primary() {
	load_state
	local n pids pm
	n=$(leader) || die "no leader to kill"
	pm=$(postmaster_pid "$n")
	pids="$(pid_of "$n") $pm"
	# The node is lost as a whole: Patroni, the postmaster and its backends
	# (which would otherwise live on until they notice the postmaster died).
	[ -n "$pm" ] && pids="$pids $(pgrep -P "$pm" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	echo "$n"
}

cmd_rejoin() {
	load_state
	local n=${1:-}
	case "$n" in pg1 | pg2) ;; *) die "usage: $0 rejoin pg1|pg2" ;; esac
	alive "$(pid_of "$n")" && die "$n's Patroni is running"
	start_patroni "$n"
	wait_for "$UP_TIMEOUT" sync_standby || die "$n did not become the synchronous standby"
	echo "$n"
}

cmd_restart_app() {
	load_state
	local i=${1:-} pid
	case "$i" in 1 | 2 | 3) ;; *) die "usage: $0 restart-app 1|2|3" ;; esac
	pid=$(pid_of "app$i")
	if alive "$pid"; then
		kill -TERM "$pid"
		# A drain takes at most 20 s (SERVER_DRAIN_TIMEOUT_MS).
		wait_for 30 bash -c "! kill -0 $pid" || die "app$i did not stop"
	fi
	start_app "$i"
	wait_for "$UP_TIMEOUT" haproxy_up apotheca "app$i" || die "app$i not back up: $(tail -5 "$DIR/app$i.log")"
	echo "app$i"
}

# Stops a process: SIGTERM, up to $2 seconds, then SIGKILL.
stop_pid() {
	local pid=$1 limit=${2:-10}
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	wait_for "$limit" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
}

cmd_down() {
	if [ ! -e "$LINK" ]; then
		echo "cluster.sh: nothing to take down" >&2
		return 0
	fi
	DIR=$(readlink -f "$LINK")
	case "$(basename "$DIR")" in apotheca-cluster.*) ;; *) die "$LINK does not point at a cluster directory" ;; esac
	local n i pm
	for i in $APPS; do stop_pid "$(pid_of "app$i")" 25 & done
	wait
	stop_pid "$(pid_of haproxy)" 5
	for n in $NODES; do stop_pid "$(pid_of "$n")" 15 & done
	wait
	# A postmaster whose Patroni died lives on as an orphan (a primary whose
	# commits wait for a standby forever): stop it by its postmaster.pid.
	for n in $NODES; do
		pm=$(postmaster_pid "$n")
		if alive "$pm"; then
			runuser -u postgres -- "$PGBIN/pg_ctl" stop -D "$DIR/$n/data" -m immediate -t 10 >/dev/null 2>&1 ||
				kill -KILL "$pm" 2>/dev/null || true
		fi
	done
	for n in $NODES; do stop_pid "$(pid_of "$n.runuser")" 2; done
	stop_pid "$(pid_of etcd)" 10
	if [ -n "${APOTHECA_CLUSTER_LOGS:-}" ]; then
		mkdir -p "$APOTHECA_CLUSTER_LOGS"
		(cd "$DIR" && find . -name '*.log' -exec cp --parents {} "$APOTHECA_CLUSTER_LOGS" \;)
		log "logs kept in $APOTHECA_CLUSTER_LOGS"
	fi
	rm -rf "$DIR"
	rm -f "$LINK"
	log "down"
}

case "${1:-}" in
up) cmd_up ;;
status) cmd_status ;;
kill-primary) cmd_kill_primary ;;
rejoin) cmd_rejoin "${2:-}" ;;
restart-app) cmd_restart_app "${2:-}" ;;
down) cmd_down ;;
*)
	echo "usage: $0 up | status | kill-primary | rejoin NODE | restart-app N | down" >&2
	exit 2
	;;
esac
