"""ws_same.py A B — the closed candles and predictions a WebSocket client B received (less the
first and last, which may straddle its start or end) form one unbroken run of those of client A,
in the same order; at least 4 closed candles and 2 predictions. Lines of `cpe stream` output.
Used by test_bus_redis.sh and test_cluster.sh."""
import json, sys


def msgs(path):
    out = []
    for line in open(path):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        if m.get("type") == "candle" and m.get("closed") or m.get("type") == "prediction":
            out.append(line.strip())
    return out


a, b = msgs(sys.argv[1]), msgs(sys.argv[2])
npred = sum('"type":"prediction"' in x for x in b)
ncand = len(b) - npred
inner = b[1:-1]
i = a.index(inner[0]) if inner and inner[0] in a else -1
same = i >= 0 and a[i:i + len(inner)] == inner
print(f"A {len(a)}, B {len(b)} ({ncand} closed candles, {npred} predictions), run found: {same}")
sys.exit(0 if same and ncand >= 4 and npred >= 2 else 1)
