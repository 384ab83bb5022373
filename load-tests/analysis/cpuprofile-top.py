#!/usr/bin/env python3
"""Self time per function in V8 .cpuprofile files (node --cpu-prof), one table per file (one file per thread).

Usage: load-tests/analysis/cpuprofile-top.py DIR_OR_FILES... [--top N]
Prints each profile's total sampled time, its idle share, and the N functions with the most self time, as
percentages of that thread's busy (non-idle) time, so threads that differ in load can be compared.
"""
import json
import os
import sys
from collections import defaultdict


def load(path):
    with open(path) as f:
        return json.load(f)


def summarise(path, top):
    p = load(path)
    nodes = {n["id"]: n for n in p["nodes"]}
    deltas = p.get("timeDeltas", [])
    samples = p.get("samples", [])
    self_us = defaultdict(float)
    for sid, dt in zip(samples, deltas):
        n = nodes[sid]
        cf = n["callFrame"]
        url = os.path.basename(cf.get("url", "")) or "(native)"
        key = f'{cf.get("functionName") or "(anonymous)"}  {url}:{cf.get("lineNumber", -1) + 1}'
        self_us[key] += max(dt, 0)
    total = sum(self_us.values())
    idle = sum(v for k, v in self_us.items() if k.startswith("(idle)") or k.startswith("(program)"))
    busy = total - idle
    print(f"\n== {os.path.basename(path)}: {total / 1e6:.1f} s sampled, busy {busy / 1e6:.1f} s "
          f"({100 * busy / total if total else 0:.0f} %)")
    for k, v in sorted(self_us.items(), key=lambda kv: -kv[1])[:top]:
        if k.startswith("(idle)"):
            continue
        print(f"{100 * v / busy if busy else 0:6.1f} %  {v / 1e6:7.2f} s  {k}")


def main(argv):
    top = 25
    if "--top" in argv:
        i = argv.index("--top")
        top = int(argv[i + 1])
        del argv[i:i + 2]
    files = []
    for a in argv:
        if os.path.isdir(a):
            files += sorted(os.path.join(a, f) for f in os.listdir(a) if f.endswith(".cpuprofile"))
        else:
            files.append(a)
    if not files:
        sys.exit(__doc__)
    for f in files:
        summarise(f, top)


if __name__ == "__main__":
    main(sys.argv[1:])
