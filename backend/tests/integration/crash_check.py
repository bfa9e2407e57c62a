"""crash_check.py — what test_crash_safety.sh checks in a store after a SIGKILL.

usage: python3 crash_check.py DB [--whole FROM_MS:TO_MS ...] [--series INSTR]

Prints one JSON line and exits 1 when anything is wrong:
  integrity     PRAGMA integrity_check ("ok")
  bad_chunks    kline_chunk rows that are not whole: blob length != n * 80, n < 1, a record
                outside its UTC day, off the series' grid, or not strictly ascending
  empty_series  series rows without a single row of data (a series half made)
  partial       --whole ranges [FROM, TO) holding some but not all of their 1m bars (one
                file is one transaction: after a kill it is all there or not at all)
  missing       with --series: missing 1m bars between its first and last bar
A store file not made yet, or without any table yet (killed while opening it), is empty,
not corrupt: the next open makes the schema. A schema with some tables but not all is not.
"""
import bisect
import json
import os
import sqlite3
import struct
import sys

DAY = 86400000
REC = 80


def main():
    db, args = sys.argv[1], sys.argv[2:]
    whole, series = [], None
    while args:
        a = args.pop(0)
        if a == "--whole":
            f, t = args.pop(0).split(":")
            whole.append((int(f), int(t)))
        elif a == "--series":
            series = args.pop(0)
    if not os.path.exists(db):  # killed before the store was created
        print(json.dumps({"integrity": "ok", "no_store": True, "chunks": 0, "bars": 0}))
        return
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    out = {"integrity": c.execute("PRAGMA integrity_check").fetchone()[0]}
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if out["integrity"] == "ok" and not tables:  # killed before the schema was made: empty
        print(json.dumps({**out, "no_schema": True, "chunks": 0, "bars": 0}))
        return
    grid = dict(c.execute("SELECT id, interval_ms FROM series"))
    bad, chunks, ts_by_series = 0, 0, {}
    for sid, day, n, data in c.execute("SELECT series_id, day, n, data FROM kline_chunk"):
        chunks += 1
        ok = n >= 1 and data is not None and len(data) == n * REC
        ts = [struct.unpack_from("<q", data, i * REC)[0] for i in range(n)] if ok else []
        step = grid.get(sid) or 1
        ok = ok and all(day * DAY <= t < (day + 1) * DAY and t % step == 0 for t in ts)
        ok = ok and all(a < b for a, b in zip(ts, ts[1:]))
        bad += not ok
        ts_by_series.setdefault(sid, []).extend(ts)
    out["chunks"], out["bad_chunks"] = chunks, bad
    empty = 0
    for (sid,) in c.execute("SELECT id FROM series"):
        has = sid in ts_by_series or c.execute(
            "SELECT 1 FROM point WHERE series_id = ? LIMIT 1", (sid,)).fetchone()
        empty += not has
    out["empty_series"] = empty
    partial = 0
    every = sorted(t for v in ts_by_series.values() for t in v)
    for f, t in whole:
        k = bisect.bisect_left(every, t) - bisect.bisect_left(every, f)
        partial += 0 < k < (t - f) // 60000
    out["partial"] = partial
    if series:
        row = c.execute("SELECT id FROM series WHERE instrument = ? AND kind = 'kline:1m'",
                        (series,)).fetchone()
        ts = sorted(ts_by_series.get(row[0], [])) if row else []
        out["bars"] = len(ts)
        out["missing"] = (ts[-1] - ts[0]) // 60000 + 1 - len(ts) if ts else 0
    print(json.dumps(out))
    failed = out["integrity"] != "ok" or bad or empty or partial or out.get("missing", 0)
    sys.exit(1 if failed else 0)


main()
