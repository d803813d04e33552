#!/usr/bin/env bash
# Throw-away PostgreSQL clusters for the outside-in tests (tests/e2e/run.py).
#
#   pg-test.sh start            make and start a cluster; prints one line
#                               "DATADIR SOCKETDIR PORT"
#   pg-test.sh stop DATADIR     stop it (fast) and delete it
#   pg-test.sh restart DATADIR  restart it (fast shutdown, start again)
#   pg-test.sh down DATADIR     stop it but keep it, for outage tests
#   pg-test.sh up DATADIR       start a cluster that is down
#
# A cluster lives in a fresh mktemp directory that is both its data
# directory and its Unix socket directory; it listens on no TCP address,
# trusts local connections for the "postgres" superuser, and keeps fsync on.
# Run as root, the server runs as the "postgres" system user (PostgreSQL
# refuses to run as root); otherwise it runs as the calling user.
set -euo pipefail

PG_VERSION_WANTED=15
PREFIX=apotheca-pg.

die() {
	echo "pg-test.sh: $*" >&2
	exit 1
}

find_bin() {
	local d
	for d in "${PGBIN:-}" "/usr/lib/postgresql/$PG_VERSION_WANTED/bin" \
		$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
	done
	die "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin).
Install them with: scripts/install-deps.sh test   (or: sudo apt-get install postgresql)
or point PGBIN at a directory holding initdb and pg_ctl."
}

BIN=$(find_bin)

# Runs a PostgreSQL program as the user the cluster belongs to.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' system user"
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Refuses to touch anything but a cluster this script made.
check_datadir() {
	local dir=${1:-}
	[ -n "$dir" ] || die "usage: $0 ${cmd} DATADIR"
	case "$(basename "$dir")" in
	"$PREFIX"*) ;;
	*) die "$dir is not a cluster made by pg-test.sh" ;;
	esac
	[ -f "$dir/PG_VERSION" ] || die "$dir is not a PostgreSQL data directory"
}

# A port number nothing listens on. The socket lives in the cluster's own
# directory so any number would do there; a free one keeps the choice
# harmless should TCP ever be switched on.
free_port() {
	local port tries
	for tries in $(seq 1 50); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "no free port found"
}

pg_start() {
	as_owner "$BIN/pg_ctl" start -w -t 60 -D "$1" -l "$1/server.log" >/dev/null ||
		{ cat "$1/server.log" >&2 || true; die "postgres did not start"; }
}

cmd=${1:-}
case "$cmd" in
start)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/${PREFIX}XXXXXX")
	# Socket paths are limited to about 100 bytes.
	[ ${#dir} -le 80 ] || { rmdir "$dir"; die "temporary directory path too long: $dir"; }
	[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
	port=$(free_port)
	as_owner "$BIN/initdb" -D "$dir" -A trust -U postgres -E UTF8 --no-locale \
		>"$dir.initdb.log" 2>&1 || { cat "$dir.initdb.log" >&2; rm -rf "$dir" "$dir.initdb.log"; die "initdb failed"; }
	rm -f "$dir.initdb.log"
	cat >>"$dir/postgresql.conf" <<EOF

# pg-test.sh: a private, socket-only throw-away cluster
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0777
port = $port
max_connections = 200
EOF
	pg_start "$dir"
	echo "$dir $dir $port"
	;;
stop)
	check_datadir "${2:-}"
	as_owner "$BIN/pg_ctl" stop -w -m fast -D "$2" >/dev/null 2>&1 || true
	rm -rf "$2"
	;;
restart)
	check_datadir "${2:-}"
	as_owner "$BIN/pg_ctl" restart -w -t 60 -m fast -D "$2" -l "$2/server.log" >/dev/null
	;;
down)
	check_datadir "${2:-}"
	as_owner "$BIN/pg_ctl" stop -w -m fast -D "$2" >/dev/null
	;;
up)
	check_datadir "${2:-}"
	pg_start "$2"
	;;
*)
	echo "usage: $0 start | stop DATADIR | restart DATADIR | down DATADIR | up DATADIR" >&2
	exit 2
	;;
esac
