#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads VALRAW01 sample files (gzip or plain) and prints the p50/p99 of hardirq->user
(hardirq-thread + thread-user) for each; then, grouping files as C (plain .bin) or C# (.bin.gz),
the ratio of the C# median-of-runs to the C one, and each side's spread (max/min over its runs)."""
import gzip, struct, sys

def load(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    assert data[:8] == b'VALRAW01', path
    stages = struct.unpack_from('<i', data, 8)[0]
    rec = 8 * (1 + stages)
    vals = []
    for off in range(12, len(data) - rec + 1, rec):
        r = struct.unpack_from('<%dq' % (1 + stages), data, off)
        vals.append(r[2] + r[3])  # hardirq->thread + thread->user
    vals.sort()
    return vals

def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]

base = None
for path in sys.argv[1:]:
    v = load(path)
    p50, p99 = pct(v, 50), pct(v, 99)
    line = f"{path}: n={len(v)} hardirq->user p50 {p50/1000:.1f} us p99 {p99/1000:.1f} us max {v[-1]/1000:.1f} us"
    if base is None:
        base = (p50, p99)
    else:
        line += f"  ratio to first: p50 {p50/base[0]:.3f}, p99 {p99/base[1]:.3f}"
    print(line)

import statistics
groups = {'c': [], 'csharp': []}
for path in sys.argv[1:]:
    v = load(path)
    groups['csharp' if path.endswith('.gz') else 'c'].append((pct(v, 50), pct(v, 99)))
if groups['c'] and groups['csharp']:
    for i, name in ((0, 'p50'), (1, 'p99')):
        c = [g[i] for g in groups['c']]; s = [g[i] for g in groups['csharp']]
        print(f"{name}: C# median {statistics.median(s)/1000:.1f} us / C median {statistics.median(c)/1000:.1f} us = {statistics.median(s)/statistics.median(c):.3f}"
              f"  (spread over runs: C {max(c)/min(c):.2f}x, C# {max(s)/min(s):.2f}x)")
