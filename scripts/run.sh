#!/usr/bin/env bash
# run.sh — what `make run` does after building: fill the store on first use (the real
# data in ../shared/data/real when present, otherwise CPE_HISTORY_DAYS (90) days fetched
# from the exchanges with `cpe fetch --configured`, and 90 simulated days only when no
# exchange answers), train the
# models when none are registered (and store the last week's walk-forward predictions with
# their explanations, for replay and hovering), and start the cockpit on http://127.0.0.1:${CPE_PORT:-8000}.
# The cockpit is live: exchange streams when they answer, else the simulator continuing
# from the newest price in the store (marked simulated); the models predict at every bar.
set -euo pipefail
fetched=
cd "$(dirname "$0")/.."
CPE=${CPE_BIN:-build/cpe}
export CPE_DB=${CPE_DB:-data/cpe.db}
mkdir -p "$(dirname "$CPE_DB")"
real="${CPE_SHARED:-../shared}/data/real"
has() { "$CPE" help | grep -qE "^  $1 "; }
# the configured assets (CPE_ASSETS, else the binary's default: docs/SERVER.md, Assets)
export CPE_ASSETS=${CPE_ASSETS:-$("$CPE" serve --settings | sed -n 's/^CPE_ASSETS=//p')}
assets=$(tr ',' ' ' <<<"$CPE_ASSETS")

if [ ! -s "$CPE_DB" ]; then
  if [ -d "$real" ]; then
    echo "run: importing the real data in $real"
    "$CPE" import "$real"
  elif echo "run: $real is absent: fetching ${CPE_HISTORY_DAYS:-90} days of $CPE_ASSETS from the exchanges (cpe fetch --configured)" &&
    "$CPE" fetch --configured; then
    fetched=1
  else
    echo "run: no exchange answered: simulating 90 days of $CPE_ASSETS (marked simulated)"
    "$CPE" simulate --days 90 --seed 1
  fi
fi
has summary && "$CPE" summary
if has train && ! "$CPE" models --quiet >/dev/null 2>&1; then
  echo "run: training the first models (cpe train; a few minutes on the real data)"
  for asset in $assets; do
    sym=${asset}USDT
    "$CPE" train --symbol "$sym" ||
      echo "run: training $sym failed (it needs real 1m bars, or a real 5m/15m/1h history such as ETH's); the server trains it ~30 s after start from the days the simulator fills in (CPE_RETRAIN_MISSING_S)"
  done
  # the last week as the models would have seen it (walk-forward: each prediction from a
  # model trained only on what came before): replay it, hover its bars for the reasons
  echo "run: storing the last 7 days of walk-forward predictions and explanations (cpe predict --backfill)"
  for asset in $assets; do
    "$CPE" predict --asset "$asset" --backfill --days 7 --explain ||
      echo "run: the backfill of $asset failed; replay and hover explanations start with the live predictions"
  done
fi
if has serve; then
  # after a fetch the newest bars are minutes old, which --source auto would take for a
  # recorder feeding the store: go live (the feed backfills the minutes since the fetch)
  source=${CPE_SOURCE:-auto}
  if [ -z "${CPE_SOURCE:-}" ] && [ -n "$fetched" ]; then source=live; fi
  exec "$CPE" serve --port "${CPE_PORT:-8000}" --source "$source"
fi
