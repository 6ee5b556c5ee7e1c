#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark on the host: cyclictest against the harness's timer backend with the same interval, priority,
# CPU and length, one after the other (cyclictest, harness, cyclictest, harness). Prints p99 and max of
# each and the harness/cyclictest ratios.
#   tests/Benchmarks/timer-vs-cyclictest.sh [LOOPS] [INTERVAL_US] [CPU]     (as root, from a built checkout)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
loops=${1:-20000}
interval=${2:-1000}
cpu=${3:-1}
out=$root/out/bench/timer-vs-cyclictest-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
cli=$root/artifacts/bin/Validate.Cli/release/validate
cyclic() {
    # -h: histogram in us up to 100 ms; the overflow line and max come with it.
    cyclictest -m -p 80 -i "$interval" -l "$loops" -t 1 -a "$cpu" -h 100000 -q > "$out/cyclictest-$1.txt"
}
cat > "$out/plan.json" <<JSON
{ "schema": 1, "name": "timer vs cyclictest", "card": { "name": "none", "vendor": 0, "device": 0 },
  "realtime": { "priority": 80, "onFailure": "abort" },
  "suites": [ { "name": "timer", "backend": "timer", "cpus": [ $cpu ], "priority": 80, "count": $loops,
                "rateHz": $((1000000 / interval)), "warmup": 100 } ] }
JSON
harness() {
    "$cli" run "$out/plan.json" --out "$out/harness-$1" > /dev/null || true
}
cyclic 1; harness 1; cyclic 2; harness 2
python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
def cyc(path):
    hist, mx = {}, None
    for line in open(path):
        if line.startswith('#'):
            if 'Max Latencies' in line: mx = int(line.split(':')[1].split()[0])
            continue
        f = line.split()
        if len(f) >= 2 and f[0].isdigit(): hist[int(f[0])] = int(f[1])
    total = sum(hist.values()); acc = 0
    for us in sorted(hist):
        acc += hist[us]
        if acc >= 0.99 * total: return us * 1000, mx * 1000
def har(path):
    r = json.load(open(os.path.join(path, 'results.json')))
    s = r['suites'][0]['stages'][0]
    return s['p99Ns'], s['maxNs']
rows = [('cyclictest-1', cyc(f'{out}/cyclictest-1.txt')), ('harness-1', har(f'{out}/harness-1')),
        ('cyclictest-2', cyc(f'{out}/cyclictest-2.txt')), ('harness-2', har(f'{out}/harness-2'))]
for n, (p99, mx) in rows: print(f'{n}: p99 {p99/1000:.0f} us max {mx/1000:.0f} us')
for i in (0, 2):
    (c99, cmx), (h99, hmx) = rows[i][1], rows[i + 1][1]
    print(f'round {i//2 + 1}: harness/cyclictest p99 {h99/c99:.2f}, max {hmx/cmx:.2f}')
PY
