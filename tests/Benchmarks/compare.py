#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads VALRAW01 sample files (gzip or plain) and prints the p50/p99 of hardirq->user
(hardirq-thread + thread-user) for each, and the ratios of the later files to the first."""
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
