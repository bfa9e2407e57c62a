# nginx_tmp.sh — sourced by integration tests (not a test itself; needs lib.sh's $tmp, $pids):
# nginx_start DIST HOST:PORT...  Debian's nginx with deploy/nginx/cpe.conf, unchanged but for
# the listen address (a free loopback port), the upstream servers and the frontend folder;
# its files under $tmp/ngx. Sets $NG (127.0.0.1:PORT). Fails the test when nginx -t refuses.
# NGINX_TMP_NO_LIMIT=1 drops the per-client rate limit (benchmarks: one client address).
nginx_start() {
  local dist=$1; shift
  local repo; repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
  local np; np=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$tmp/ngx"
  : >"$tmp/ngx/upstream.conf"
  for n in "$@"; do echo "server $n max_fails=3 fail_timeout=10s;" >>"$tmp/ngx/upstream.conf"; done
  sed -e "s|listen 80;|listen 127.0.0.1:$np;|" -e '/listen \[::\]:80;/d' \
      -e "s|/usr/share/cpe/dist|$dist|" -e "s|/etc/nginx/cpe/upstream.conf|$tmp/ngx/upstream.conf|" \
      "$repo/deploy/nginx/cpe.conf" >"$tmp/ngx/site.conf"
  [ "${NGINX_TMP_NO_LIMIT:-0}" = 1 ] && sed -i '/^ *limit_req zone=/d' "$tmp/ngx/site.conf"
  chmod 755 "$tmp"
  local user=; [ "$(id -u)" -eq 0 ] && user="user root;"
  cat >"$tmp/ngx/nginx.conf" <<NGX
$user
worker_processes 1;
pid $tmp/ngx/nginx.pid;
error_log $tmp/ngx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $tmp/ngx/body; proxy_temp_path $tmp/ngx/proxy;
  fastcgi_temp_path $tmp/ngx/fcgi; uwsgi_temp_path $tmp/ngx/uwsgi; scgi_temp_path $tmp/ngx/scgi;
  include $tmp/ngx/site.conf;
}
NGX
  nginx -t -c "$tmp/ngx/nginx.conf" -p "$tmp/ngx" 2>"$tmp/ngx/t.log" || { cat "$tmp/ngx/t.log"; return 1; }
  nginx -c "$tmp/ngx/nginx.conf" -p "$tmp/ngx" 2>>"$tmp/ngx/stderr" &
  pids+=($!)
  NG=127.0.0.1:$np
  for _ in $(seq 100); do curl -s -o /dev/null "http://$NG/" && return 0; sleep 0.05; done
  echo "nginx did not start:"; cat "$tmp/ngx/error.log"; return 1
}
