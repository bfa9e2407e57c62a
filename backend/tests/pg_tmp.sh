#!/usr/bin/env bash
# pg_tmp.sh — a throwaway PostgreSQL server for tests and benchmarks.
#   pg_tmp.sh start STATE   initdb in a fresh /tmp directory (as the unprivileged user
#                           'postgres' when run as root: initdb refuses root), start it on
#                           a free 127.0.0.1 port with its socket in that directory, create
#                           database 'cpe' owned by role 'cpe'; STATE/url gets the URL
#   pg_tmp.sh stop STATE    stop the server and delete its directory
# PG_TMP_DURABLE=1 keeps PostgreSQL's default fsync; otherwise fsync=off (tests).
set -euo pipefail
cmd=${1:-}; state=${2:-}
[ -n "$state" ] || { echo "usage: pg_tmp.sh start|stop STATE_DIR" >&2; exit 2; }
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg_tmp: no PostgreSQL server (scripts/bootstrap.sh --with-servers)" >&2; exit 1; }
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)

case "$cmd" in
start)
  mkdir -p "$state"
  dir=$(mktemp -d /tmp/cpe-pg.XXXXXX)
  echo "$dir" >"$state/dir"
  [ ${#as[@]} -eq 0 ] || chown postgres "$dir"
  "${as[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U cpe -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  fsync=off; [ "${PG_TMP_DURABLE:-0}" = 1 ] && fsync=on
  for _ in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    if "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
         -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=$fsync" start >/dev/null; then
      "$bindir/createdb" -h 127.0.0.1 -p "$port" -U cpe cpe
      echo "postgres://cpe@127.0.0.1:$port/cpe" >"$state/url"
      cat "$state/url"
      exit 0
    fi
  done
  tail -n 20 "$dir/server.log" >&2
  exit 1 ;;
stop)
  [ -f "$state/dir" ] || exit 0
  dir=$(cat "$state/dir")
  [ -d "$dir/data" ] && "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  rm -rf "$dir"
  rm -f "$state/dir" "$state/url" ;;
*) echo "usage: pg_tmp.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
