#!/usr/bin/env python3
"""wf_scores.py — out-of-sample scores of the walk-forward predictions stored in one or
more stores (SQLite), per horizon, over the rows every store has: the before/after check
of a change to the backtest folds (docs/BENCHMARKS.md, issue 16).

Usage: wf_scores.py SYMBOL FROM TO STORE [STORE ...]   (FROM/TO: YYYY-MM-DD, TO exclusive)

Per store and horizon H, one JSON line: rows scored, Brier and log-loss of p_up against
the outcome ln(close(t + H) / close(t)) > 0, the 1- and 2-sigma band coverages of the cone
at H, and "crps5": 2 x the mean pinball loss of the log return at the five stored cone
levels (2.275 %, 15.87 %, 50 %, 84.13 %, 97.725 %), a coarse CRPS (the full t distribution
is not stored), comparable between stores. The outcome's close is the stored close of the
record made H hours later. With several stores it also says how many records are
bit-identical to the first store's. Only records of walk-forward models (model_version
SYMBOL-wf-...) are read.
"""
import json
import math
import sqlite3
import struct
import sys
from datetime import datetime, timezone

# cpe_prediction_t (prediction.h) on x86-64: ts_ms, symbol[32], horizon_h, pad, close,
# p_up, expected_move, volatility, p023, p159, p500, p841, p977, ...
HEAD = struct.Struct("<q32si4x9d")
LEVELS = (0.02275013194817921, 0.15865525393145705, 0.5, 0.8413447460685429, 0.9772498680518208)


def day_ms(s):
    return int(datetime.strptime(s, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp() * 1000)


def load(path, symbol, a, b):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    q = ("SELECT horizon_h, ts, rec FROM prediction WHERE symbol=? AND ts>=? AND ts<? "
         "AND model_version LIKE ?")
    for h, ts, rec in con.execute(q, (symbol, a, b, symbol + "-wf-%")):
        out[(h, ts)] = rec
    con.close()
    return out


def scores(recs, keys, close_at, H):
    n = brier = ll = c1 = c2 = qs = 0.0
    for (_, ts) in keys:
        later = close_at.get(ts + H * 3600000)
        if later is None:
            continue
        f = HEAD.unpack_from(recs[(H, ts)])
        close, p_up, qv = f[3], f[4], f[7:12]
        y = math.log(later / close)
        up = 1.0 if y > 0 else 0.0
        p = min(max(p_up, 1e-12), 1 - 1e-12)
        brier += (p_up - up) ** 2
        ll -= up * math.log(p) + (1 - up) * math.log(1 - p)
        c1 += qv[1] <= later <= qv[3]
        c2 += qv[0] <= later <= qv[4]
        for tau, qp in zip(LEVELS, qv):
            ql = math.log(qp / close)
            qs += ((y < ql) - tau) * (ql - y)
        n += 1
    if not n:
        return {"n": 0}
    return {"n": int(n), "brier": brier / n, "logloss": ll / n, "cov1": c1 / n, "cov2": c2 / n,
            "crps5": 2 * qs / (n * len(LEVELS))}


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    symbol, a, b, paths = sys.argv[1], day_ms(sys.argv[2]), day_ms(sys.argv[3]), sys.argv[4:]
    stores = [load(p, symbol, a, b) for p in paths]
    common = set(stores[0])
    for s in stores[1:]:
        common &= set(s)
    for path, recs in zip(paths, stores):
        close_at = {ts: HEAD.unpack_from(r)[3] for (h, ts), r in recs.items()}
        same = sum(recs[k] == stores[0][k] for k in common)
        for H in sorted({h for h, _ in common}):
            keys = sorted(k for k in common if k[0] == H)
            line = {"store": path, "horizon_h": H, **scores(recs, keys, close_at, H)}
            line["identical_to_first"] = sum(recs[k] == stores[0][k] for k in keys)
            print(json.dumps(line))
        print(json.dumps({"store": path, "records": len(common), "identical_to_first": same}))


if __name__ == "__main__":
    main()
