#!/usr/bin/env bash
# redis_tmp.sh — a throwaway Redis server for tests.
#   redis_tmp.sh start STATE   redis-server in a fresh /tmp directory on a free 127.0.0.1
#                              port (no persistence); STATE/url gets redis://127.0.0.1:PORT.
#                              Started again on a STATE that has a port (after kill), it
#                              reuses that port: tests restart Redis under running clients.
#   redis_tmp.sh stop STATE    stop the server and delete its directory
#   redis_tmp.sh kill STATE    SIGKILL it (a crash), directory and port kept for a start
set -euo pipefail
cmd=${1:-}; state=${2:-}
[ -n "$state" ] || { echo "usage: redis_tmp.sh start|stop|kill STATE_DIR" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis_tmp: no redis-server (scripts/bootstrap.sh --with-servers)" >&2; exit 1; }

try_start() { # $1 = dir, $2 = port
  redis-server --port "$2" --bind 127.0.0.1 --dir "$1" --save '' --appendonly no \
    --daemonize yes --pidfile "$1/redis.pid" --logfile "$1/redis.log" >/dev/null || return 1
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$2" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  return 1
}

case "$cmd" in
start)
  mkdir -p "$state"
  dir=$(cat "$state/dir" 2>/dev/null || true)
  [ -n "$dir" ] && [ -d "$dir" ] || { dir=$(mktemp -d /tmp/cpe-redis.XXXXXX); echo "$dir" >"$state/dir"; }
  if [ -f "$state/port" ]; then
    port=$(cat "$state/port")
    for _ in $(seq 1 30); do try_start "$dir" "$port" && break; sleep 0.2; done
    redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG || { tail -n 20 "$dir/redis.log" >&2; exit 1; }
  else
    port=
    for _ in $(seq 1 20); do
      p=$((20000 + RANDOM % 40000))
      if try_start "$dir" "$p"; then port=$p; break; fi
    done
    [ -n "$port" ] || { tail -n 20 "$dir/redis.log" >&2 2>/dev/null; exit 1; }
    echo "$port" >"$state/port"
  fi
  echo "redis://127.0.0.1:$port" >"$state/url"
  cat "$state/url" ;;
stop|kill)
  [ -f "$state/dir" ] || exit 0
  dir=$(cat "$state/dir")
  if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill "-$([ "$cmd" = kill ] && echo KILL || echo TERM)" "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/redis.pid"
  fi
  if [ "$cmd" = stop ]; then rm -rf "$dir"; rm -f "$state/dir" "$state/url" "$state/port"; fi ;;
*) echo "usage: redis_tmp.sh start|stop|kill STATE_DIR" >&2; exit 2 ;;
esac
