#!/usr/bin/env python3
"""coverage_summary.py REPORT.json TITLE — the summary `make coverage` prints from a gcovr
JSON report: line and branch coverage of backend/src in total and per layer, the spec 18.1
targets (met or not: reported, never enforced) and the ten least-covered files by lines,
of all backend/src and of the layers the unit-test target is about."""
import json
import sys

CORE_LAYERS = ("features", "models", "backtest", "market", "core")


def pct(hit, total):
    return 100.0 * hit / total if total else 100.0


def main():
    path, title = sys.argv[1], sys.argv[2]
    files = json.load(open(path))["files"]
    per_file, per_layer = [], {}
    for f in files:
        name = f["file"].split("src/", 1)[-1] if "src/" in f["file"] else f["file"]
        lines = [l for l in f["lines"] if not l.get("gcovr/noncode")]
        lt, lh = len(lines), sum(1 for l in lines if l["count"] > 0)
        br = [b for l in lines for b in l.get("branches", [])]
        bt, bh = len(br), sum(1 for b in br if b["count"] > 0)
        per_file.append((name, lh, lt, bh, bt))
        layer = name.split("/", 1)[0] + "/" if "/" in name else name
        acc = per_layer.setdefault(layer, [0, 0, 0, 0])
        for i, v in enumerate((lh, lt, bh, bt)):
            acc[i] += v

    def total(names):
        s = [0, 0, 0, 0]
        for n in names:
            for i, v in enumerate(per_layer.get(n + "/", (0, 0, 0, 0))):
                s[i] += v
        return s

    everything = [sum(v[i] for v in per_layer.values()) for i in range(4)]
    core = total(CORE_LAYERS)
    print(f"coverage of backend/src, {title}")
    print(f"  {'':38} {'lines':>22} {'branches':>22}")
    row = lambda label, s: print(f"  {label:38} {pct(s[0], s[1]):6.1f} % {s[0]:6}/{s[1]:<6}   {pct(s[2], s[3]):6.1f} % {s[2]:6}/{s[3]:<6}")
    row("backend/src (all)", everything)
    row("features+models+backtest+market+core", core)
    for layer in sorted(per_layer):
        row(layer, per_layer[layer])
    print(f"  target unit >= 80 % of lines of {'+'.join(CORE_LAYERS)}: {pct(core[0], core[1]):.1f} % "
          f"({'met' if pct(core[0], core[1]) >= 80 else 'NOT met'} by these tests)")
    print(f"  target all  >= 75 % of lines of backend/src: {pct(everything[0], everything[1]):.1f} % "
          f"({'met' if pct(everything[0], everything[1]) >= 75 else 'NOT met'} by these tests)")
    least = lambda rows: sorted(rows, key=lambda r: (pct(r[1], r[2]), -r[2]))[:10]
    core_files = [r for r in per_file if r[0].split("/", 1)[0] in CORE_LAYERS]
    for label, rows in (("", per_file), (" of " + "+".join(CORE_LAYERS), core_files)):
        print(f"  least-covered files{label} (lines):")
        for name, lh, lt, bh, bt in least(rows):
            print(f"    {name:40} {pct(lh, lt):6.1f} % of {lt:5} lines   {pct(bh, bt):6.1f} % of {bt:5} branches")

if __name__ == "__main__":
    main()
