#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The cost of a suite's tracing, round by round, from the run folders trace-overhead.sh writes.

    trace_overhead.py [--rounds N] [--suite NAME] OUT_DIR

OUT_DIR holds off-I/ (the suite without tracing) and on-I/ (with suites:K:trace:enabled=true), each a run
folder with results.json (docs/results.md); the suite's "total" stage (its last) gives p50Ns and p99Ns.
rounds.txt in OUT_DIR, when present, gives each round's order. Prints one line per round (off and on
p50/p99, on/off at p50 and p99), then per ratio its median over the rounds, min, max and the rounds where
tracing made it slower, and each side's own spread over the rounds. A missing or unreadable run is said in
its round and left out. Exit 0 when at least one ratio could be computed, 1 when none, 2 on a usage error."""
import argparse, json, os, re, statistics, sys

SIDES = ('off', 'on')


class Unreadable(Exception):
    pass


def total_of(run_dir, suite):
    """(p50Ns, p99Ns, count, overrides) of the suite's total stage in RUN/results.json, or raise Unreadable."""
    path = os.path.join(run_dir, 'results.json')
    if not os.path.isdir(run_dir):
        raise Unreadable('missing (the run did not happen or crashed before writing)')
    try:
        with open(path, errors='replace') as f:
            r = json.load(f)
    except OSError as e:
        raise Unreadable(f'no results.json ({e.strerror or e}); the run failed before its first suite ended?')
    except ValueError as e:
        raise Unreadable(f'results.json is not JSON ({e}); cut short?')
    try:
        suites = r.get('suites') or []
        s = next((x for x in suites if x.get('name') == suite), None) if suite else (suites[0] if suites else None)
        if s is None:
            names = ', '.join(str(x.get('name')) for x in suites) or 'none'
            raise Unreadable(f'results.json has no suite {suite or ""} (suites: {names})'.replace('  ', ' '))
        stages = s.get('stages') or []
        st = next((x for x in stages if x.get('name') == 'total'), stages[-1] if stages else None)
        if st is None or not isinstance(st.get('p50Ns'), (int, float)) or not isinstance(st.get('p99Ns'), (int, float)):
            raise Unreadable(f'suite {s.get("name")} has no total stage: verdict {s.get("verdict") or "none"}, {(s.get("message") or "no message")[:200]}')
        if st['p50Ns'] <= 0 or st['p99Ns'] <= 0:
            raise Unreadable(f'suite {s.get("name")}: total p50 {st["p50Ns"]} ns, p99 {st["p99Ns"]} ns: nothing measured')
        overrides = ((r.get('plan') or {}).get('overrides')) or []
        return st['p50Ns'], st['p99Ns'], st.get('count'), [str(o) for o in overrides], s.get('verdict')
    except (AttributeError, TypeError, IndexError) as e:
        raise Unreadable(f'results.json of an unexpected shape ({e})')


def log_tail(out, name):
    log = os.path.join(out, f'{name}.log')
    try:
        with open(log, errors='replace') as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return ''
    return f'; its log {log} ' + (f'ends: {lines[-1][:200]}' if lines else 'is empty')


def us(ns):
    return f'{ns / 1000:8.1f}'


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--rounds', type=int, help='rounds planned (a round with nothing in it is reported missing)')
    ap.add_argument('--suite', help='the suite to read in each results.json (default: the first)')
    ap.add_argument('out')
    a = ap.parse_args(argv)
    if not os.path.isdir(a.out):
        ap.error(f'{a.out}: not a directory')
    if a.rounds is not None and a.rounds < 1:
        ap.error('--rounds: give 1 or more')
    order = {}
    try:
        with open(os.path.join(a.out, 'rounds.txt')) as f:
            for line in f:
                w = line.split()
                if len(w) >= 2 and w[0].isdigit():
                    order[int(w[0])] = w[1:]
    except OSError:
        pass
    found = [int(m.group(2)) for m in (re.match(r'^(off|on)-(\d+)$', p) for p in os.listdir(a.out)) if m]
    rounds = a.rounds or max(found + list(order) + [0])
    if rounds < 1:
        print(f'trace_overhead: nothing in {a.out}: no off-I/ or on-I/ run folder')
        return 1

    stats = {}
    print(f'{a.suite or "suite"}: its total stage, us; {rounds} round(s); off = no tracing, on = trace:enabled=true')
    for r in range(1, rounds + 1):
        cells, problems = [], []
        for s in SIDES:
            name = f'{s}-{r}'
            try:
                p50, p99, n, overrides, verdict = total_of(os.path.join(a.out, name), a.suite)
                stats[(s, r)] = (p50, p99)
                cells.append(f'{s} p50 {us(p50)} p99 {us(p99)} (n={n}, {verdict})')
                traced = any(re.search(r'trace:enabled=true$', o, re.I) for o in overrides)
                if traced != (s == 'on'):
                    problems.append(f'  round {r}: {s}: warning: its overrides {"have" if traced else "lack"} trace:enabled=true (overrides: {"; ".join(overrides) or "none"})')
            except Unreadable as e:
                cells.append(f'{s} {"-- left out --":>36}')
                problems.append(f'  round {r}: {s}: {os.path.join(a.out, name)}: {e}; left out{log_tail(a.out, name)}')
        ratio = ''
        if ('off', r) in stats and ('on', r) in stats:
            (o50, o99), (t50, t99) = stats[('off', r)], stats[('on', r)]
            ratio = f'  ||  on/off p50 {t50 / o50:5.2f} p99 {t99 / o99:5.2f}'
        else:
            ratio = '  ||  on/off -- n/a --'
        o = f' [{" ".join(order[r])}]' if r in order else ''
        print(f'round {r}{o}: ' + ' | '.join(cells) + ratio)
        for p in problems:
            print(p)

    print()
    any_ratio = False
    for i, stat in ((0, 'p50'), (1, 'p99')):
        xs = [stats[('on', r)][i] / stats[('off', r)][i] for r in range(1, rounds + 1) if ('on', r) in stats and ('off', r) in stats]
        if not xs:
            print(f'on/off {stat}: no round with both runs')
            continue
        any_ratio = True
        print(f'on/off {stat}: median {statistics.median(xs):.3f}  min {min(xs):.3f}  max {max(xs):.3f}  over {len(xs)} round(s);'
              f'  tracing slower in {sum(x > 1 for x in xs)} of {len(xs)}')
    for s in SIDES:
        for i, stat in ((0, 'p50'), (1, 'p99')):
            xs = [stats[(s, r)][i] for r in range(1, rounds + 1) if (s, r) in stats]
            if xs:
                print(f'{s} {stat} over rounds: median {us(statistics.median(xs)).strip()} us, min {us(min(xs)).strip()}, max {us(max(xs)).strip()},'
                      f' spread max/min {max(xs) / min(xs):.2f}x ({len(xs)} of {rounds} round(s))')
            else:
                print(f'{s} {stat}: no readable run')
    missing = sum((s, r) not in stats for s in SIDES for r in range(1, rounds + 1))
    if missing:
        print(f'{missing} run(s) missing or unreadable, left out (above)')
    if rounds < 5:
        print(f'warning: {rounds} round(s); at least 5 are needed to judge the spread')
    return 0 if any_ratio else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
