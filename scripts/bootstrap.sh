#!/usr/bin/env bash
# bootstrap.sh — install whatever the project needs that is missing, idempotently.
#
# Debian packages come from apt-get (run as root, or through sudo when present);
# frontend packages come from `npm ci` inside frontend/ once it has a lock file.
# Nothing else is downloaded. A second run with everything present does nothing
# but check, in well under a second.
#
# Usage: scripts/bootstrap.sh [--with-browser] [--with-servers] [--with-fuzz]
#   --with-browser  also Debian's chromium (end-to-end tests)
#   --with-servers  also PostgreSQL and Redis servers, nginx, Prometheus and Alertmanager
#                   (scale-out and deployment tests)
#   --with-fuzz     also clang-14 and its libFuzzer/sanitizer runtimes (make fuzz, make test)
#   --with-coverage also gcovr (make coverage)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(build-essential cmake pkg-config
      libsqlite3-dev zlib1g-dev libjansson-dev libargon2-dev libgsl-dev libxgboost-dev
      libwebsockets-dev libcurl4-openssl-dev liburing-dev nodejs npm python3 curl
      libssl-dev openssl
      clang-format clang-tidy libtorch-dev)
for a in "$@"; do
  case "$a" in
    --with-browser) pkgs+=(chromium fonts-dejavu-core) ;;
    --with-servers) pkgs+=(postgresql redis-server libpq-dev libhiredis-dev
                          nginx-light prometheus prometheus-alertmanager python3-yaml) ;;
    --with-bench)   pkgs+=(wrk hyperfine) ;;
    --with-fuzz)    pkgs+=(clang-14 libclang-rt-14-dev) ;;
    --with-coverage) pkgs+=(gcovr) ;;
    *) echo "bootstrap: unknown option '$a'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  # node/npm may come from outside Debian (nvm, nodesource): accept them if on PATH.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  # python3 (test reference computations) may come from pyenv or similar: accept it on PATH.
  if [ "$p" = python3 ] && command -v python3 >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -f "$here/frontend/package-lock.json" ]; then
  stamp="$here/frontend/node_modules/.cpe-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$here/frontend/package-lock.json" "$stamp"; then
    echo "bootstrap: npm ci (frontend)"
    (cd "$here/frontend" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/frontend/package-lock.json" "$stamp"
  fi
fi
