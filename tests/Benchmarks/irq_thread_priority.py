#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What irq-thread-priority.sh measured: per round hardirq->user p50 and p99 of the C reader with its IRQ thread
below it (below-I.bin) and above it (above-I.bin), above/below per round and its median, min and max over the
rounds; then, from the traced runs (t-below.trace, t-above.trace: CPU 1), per side the context switches, the
times a task blocked on a lock (lock:contention_begin) and the times the reader switched out in D (asleep on a
lock), each per traced sample.

    irq_thread_priority.py [--rounds N] OUT_DIR

Exit 0 when at least one ratio could be computed, 1 when none, 2 on a usage error."""
import argparse, os, re, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Unreadable, load, pct  # noqa: E402  (hardirq->user per sample, sorted)

SIDES = ('below', 'above')


def traced(path, samples):
    """(switches, lock contentions, reader blocked in D) per sample of one traced run, or None."""
    if not os.path.exists(path):
        return None
    switches = contentions = blocked = 0
    for line in open(path, errors='replace'):
        if 'sched_switch:' in line:
            switches += 1
            if re.search(r'prev_comm=valirq_reader .*prev_state=D', line):
                blocked += 1
        elif 'contention_begin:' in line:
            contentions += 1
    n = max(samples, 1)
    return switches / n, contentions / n, blocked / n


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--rounds', type=int, default=None)
    ap.add_argument('out')
    a = ap.parse_args(argv)
    if not os.path.isdir(a.out):
        print(f'irq_thread_priority.py: {a.out}: no such directory', file=sys.stderr)
        return 2
    rounds = a.rounds or max([int(m.group(1)) for f in os.listdir(a.out) for m in [re.match(r'(?:below|above)-(\d+)\.bin$', f)] if m] or [0])
    print('hardirq->user (hardirq-thread + thread-user), us; IRQ thread below the reader (kernel default) and above it')
    r50, r99 = [], []
    for i in range(1, rounds + 1):
        got = {}
        for side in SIDES:
            try:
                v = load(os.path.join(a.out, f'{side}-{i}.bin'))
                got[side] = (pct(v, 50), pct(v, 99), len(v))
            except Unreadable as e:
                got[side] = str(e)
        parts = [f'{s} p50 {got[s][0] / 1e3:7.1f} p99 {got[s][1] / 1e3:8.1f} (n={got[s][2]})' if isinstance(got[s], tuple) else f'{s} missing: {got[s]}' for s in SIDES]
        line = f'round {i}: ' + ' | '.join(parts)
        if all(isinstance(got[s], tuple) for s in SIDES):
            r50.append(got['above'][0] / got['below'][0])
            r99.append(got['above'][1] / got['below'][1])
            line += f'  ||  above/below p50 {r50[-1]:.2f} p99 {r99[-1]:.2f}'
        print(line)
    if not r50:
        print('no round has both sides: no ratio')
        return 1
    print()
    for name, r in (('p50', r50), ('p99', r99)):
        print(f'above/below {name}: median {statistics.median(r):.2f}  min {min(r):.2f}  max {max(r):.2f}  over {len(r)} round(s); above faster in {sum(x < 1 for x in r)} of {len(r)}')
    print()
    for side in SIDES:
        try:
            n = len(load(os.path.join(a.out, f't-{side}.bin')))
        except Unreadable:
            n = 0
        t = traced(os.path.join(a.out, f't-{side}.trace'), n)
        if t is None or n == 0:
            print(f'traced {side}: missing')
        else:
            print(f'traced {side} ({n} samples, tracing on): {t[0]:.2f} context switches, {t[1]:.2f} lock contentions, reader blocked on a lock {t[2]:.2f} times, per sample')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
