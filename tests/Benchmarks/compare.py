#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hardirq->user (hardirq-thread + thread-user) of valirq readers, round by round, from VALRAW01 sample
files (docs/results.md "Raw samples": gzip or plain, b'VALRAW01', int32 stage count, then per sample int64
timestamp + one int64 per stage, little-endian; valirq's stages raise-hardirq, hardirq-thread, thread-user,
total).

    compare.py [--rounds N] [--sides c,c2,after,before] [--suite NAME] OUT_DIR
    compare.py [--rounds N] ... FILE_OR_RUN_DIR...

OUT_DIR is what valirq-c-vs-csharp.sh writes: c-I.bin (the C reader), c2-I.bin (the C reader again, with
C_AGAIN=1: an A/A side, whose ratio to c is the noise floor of the comparison), after-I/ (this checkout's C#
harness, a run folder with samples/SUITE.bin.gz), before-I/ (another checkout's harness); csharp-I/ (older
runs of the script) counts as "after". Given files or run folders instead, each is placed by its name
(c-I, c2-I, after-I, before-I, csharp-I), else by its kind (plain .bin: c; .gz or a run folder: after, in the
order given). --rounds N and --sides say what was planned, so that a run that crashed before writing
anything is reported missing rather than silently absent. rounds.txt in OUT_DIR (written by the script),
when present, gives each round's order.

Prints one line per round (each side's p50/p99, c2/C, after/C and before/C at p50 and p99), then per ratio its
median over the rounds, min, max and the number of rounds where C# was slower than C, and per side the
spread of its own p50 (and p99) over the rounds. A missing or unreadable file is said in its round and left
out. Exit 0 when at least one ratio could be computed, 1 when none, 2 on a usage error."""
import argparse, glob, gzip, os, re, statistics, struct, sys, zlib

SIDES = ('c', 'c2', 'after', 'before')
C_SIDES = ('c', 'c2')   # the C reader's sides (c2: run again, the A/A side that shows the noise floor): .bin files
RUN = re.compile(r'^(c2|c|after|before|csharp)-(\d+)$')


def place(path):
    """(side, round) from a path's name: c-I.bin, after-I/ or a file in it, before-I..., csharp-I...; or None."""
    parts = os.path.normpath(path).split(os.sep)
    base = re.sub(r'\.bin(\.gz)?$', '', parts[-1])
    m = RUN.match(base)
    if m and (m.group(1) in C_SIDES) == (not os.path.isdir(path) and parts[-1].endswith('.bin')):
        return ('after' if m.group(1) == 'csharp' else m.group(1)), int(m.group(2))
    for part in reversed(parts[:-1]):
        m = RUN.match(part)
        if m and m.group(1) not in C_SIDES:
            return ('after' if m.group(1) == 'csharp' else m.group(1)), int(m.group(2))
    return None


class Unreadable(Exception):
    pass


def load(path):
    """hardirq->user of each sample, sorted, in ns."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise Unreadable(e.strerror or str(e))
    if data[:2] == b'\x1f\x8b':
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise Unreadable(f'bad gzip ({e}); cut short by a crash?')
    if len(data) < 12 or data[:8] != b'VALRAW01':
        raise Unreadable(f'not a VALRAW01 file ({len(data)} bytes, starts {data[:8]!r})')
    stages = struct.unpack_from('<i', data, 8)[0]
    if not 3 <= stages <= 64:
        raise Unreadable(f'{stages} stage(s); valirq samples have 4 (raise-hardirq, hardirq-thread, thread-user, total)')
    rec = 8 * (1 + stages)
    body = data[12:12 + (len(data) - 12) // rec * rec]
    vals = sorted(r[2] + r[3] for r in struct.iter_unpack('<%dq' % (1 + stages), body))
    if not vals:
        raise Unreadable('no samples')
    return vals


def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def sample_file(run_dir, suite):
    """The raw sample file of a C# run folder, or raise Unreadable saying why there is none."""
    if not os.path.isdir(run_dir):
        raise Unreadable('missing (the run did not happen or crashed before writing)')
    found = sorted(glob.glob(os.path.join(run_dir, 'samples', '*.bin.gz')) + glob.glob(os.path.join(run_dir, 'samples', '*.bin')))
    if suite:
        found = [f for f in found if os.path.basename(f).startswith(suite)]
    if not found:
        log = [f for f in (run_dir.rstrip('/') + '.log',) if os.path.exists(f)]
        raise Unreadable('no samples/*.bin.gz in it (the run failed?' + (f' see {log[0]})' if log else ')'))
    return found[0]


def classify(paths):
    """{(side, round): path} and the notes on paths that fit nowhere."""
    placed, notes, next_round = {}, [], {s: 1 for s in SIDES}
    for p in paths:
        known = place(p)
        if known:
            side, rnd = known
        else:
            side = 'c' if p.endswith('.bin') and not os.path.isdir(p) else 'after'
            rnd = next_round[side]
        next_round[side] = max(next_round[side], rnd + 1)
        if (side, rnd) in placed:
            notes.append(f'{p}: a second {side} file for round {rnd}; ignored')
            continue
        placed[(side, rnd)] = p
    return placed, notes


def scan(out):
    """{(side, round): path} of what the script wrote in OUT."""
    placed = {}
    for p in sorted(os.listdir(out)):
        full = os.path.join(out, p)
        known = place(full) if os.path.isdir(full) or p.endswith('.bin') else None
        if known and not (known[0] in C_SIDES and os.path.isdir(full)):
            placed.setdefault(known, full)
    return placed


def log_tail(out, side, rnd):
    """'; its log PATH ends: LINE' for the run's console output that the script keeps beside it, or ''."""
    if not out:
        return ''
    log = os.path.join(out, f'{side}-{rnd}.log')
    try:
        with open(log, errors='replace') as f:
            lines = [l.strip() for l in f if l.strip()]
    except OSError:
        return ''
    return f'; its log {log} ' + (f'ends: {lines[-1][:200]}' if lines else 'is empty')


def us(ns):
    return f'{ns / 1000:7.1f}'


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, help='rounds planned (a round with nothing in it is reported missing)')
    ap.add_argument('--sides', help='sides planned, comma-separated from c,c2,after,before')
    ap.add_argument('--suite', help='in a C# run folder, the samples file whose name starts with this')
    ap.add_argument('paths', nargs='+')
    a = ap.parse_args(argv)
    sides_planned = None
    if a.sides:
        sides_planned = [s.strip() for s in a.sides.split(',') if s.strip()]
        bad = [s for s in sides_planned if s not in SIDES]
        if bad:
            ap.error(f'--sides: unknown side(s) {",".join(bad)}; choose from {",".join(SIDES)}')
    if a.rounds is not None and a.rounds < 1:
        ap.error('--rounds: give 1 or more')

    order, out = {}, None
    if len(a.paths) == 1 and os.path.isdir(a.paths[0]) and not place(a.paths[0]):
        out = a.paths[0]
        placed, notes = scan(out), []
        try:
            with open(os.path.join(out, 'rounds.txt')) as f:
                for line in f:
                    w = line.split()
                    if len(w) >= 2 and w[0].isdigit():
                        order[int(w[0])] = w[1:]
        except OSError:
            pass
    else:
        placed, notes = classify(a.paths)
    for n in notes:
        print(n)

    sides = sides_planned or [s for s in SIDES if any(k[0] == s for k in placed)]
    if not sides:
        print('compare: nothing to compare: no c-I.bin, after-I/ or before-I/ found in ' + ' '.join(a.paths))
        return 1
    rounds = a.rounds or max([k[1] for k in placed] + [max(order) if order else 0])
    csharp = [s for s in ('after', 'before') if s in sides]
    versus = [s for s in ('c2', 'after', 'before') if s in sides]   # each against c
    if rounds < 1:
        print('compare: no round to compare (give --rounds N)')
        return 1

    stats = {}  # (side, round) -> (p50, p99, n)
    print(f'hardirq->user (hardirq-thread + thread-user), us; {rounds} round(s); sides: {", ".join(sides)}')
    for r in range(1, rounds + 1):
        cells, problems = [], []
        for s in sides:
            path = placed.get((s, r))
            try:
                if path is None:
                    raise Unreadable('missing (the run did not happen or crashed before writing)')
                f = sample_file(path, a.suite) if os.path.isdir(path) else path
                v = load(f)
                stats[(s, r)] = (pct(v, 50), pct(v, 99), len(v))
                cells.append(f'{s} p50 {us(stats[(s, r)][0])} p99 {us(stats[(s, r)][1])} (n={len(v)})')
            except Unreadable as e:
                shown = path if path else f'{s}-{r}'
                problems.append(f'  round {r}: {s}: {shown}: {e}; left out{log_tail(out, s, r)}')
                cells.append(f'{s} {"-- left out --":>31}')
        ratios = []
        for s in versus:
            if (s, r) in stats and ('c', r) in stats:
                (p50, p99, _), (c50, c99, _) = stats[(s, r)], stats[('c', r)]
                ratios.append(f'{s}/C p50 {p50 / c50:5.2f} p99 {p99 / c99:5.2f}')
            elif 'c' in sides:
                ratios.append(f'{s}/C  -- n/a --')
        o = f' [{" ".join(order[r])}]' if r in order else ''
        print(f'round {r}{o}: ' + ' | '.join(cells) + ('  ||  ' + '  '.join(ratios) if ratios else ''))
        for p in problems:
            print(p)

    def summary(label, xs, slower=None):
        if not xs:
            print(f'{label}: no round with both sides')
            return
        line = f'{label}: median {statistics.median(xs):.3f}  min {min(xs):.3f}  max {max(xs):.3f}  over {len(xs)} round(s)'
        if slower:
            line += f';  {slower} in {sum(x > 1 for x in xs)} of {len(xs)}'
        print(line)

    any_ratio = False
    print()
    for s in versus:
        if 'c' not in sides:
            break
        for i, stat in ((0, 'p50'), (1, 'p99')):
            xs = [stats[(s, r)][i] / stats[('c', r)][i] for r in range(1, rounds + 1) if (s, r) in stats and ('c', r) in stats]
            any_ratio |= bool(xs)
            summary(f'{s}/C {stat}', xs, 'C again (c2) slower than C' if s == 'c2' else f'C# ({s}) slower than C')
    if len(csharp) == 2:
        for i, stat in ((0, 'p50'), (1, 'p99')):
            xs = [stats[('after', r)][i] / stats[('before', r)][i] for r in range(1, rounds + 1) if ('after', r) in stats and ('before', r) in stats]
            any_ratio |= bool(xs)
            summary(f'after/before {stat}', xs, 'after slower than before')
    print()
    for s in sides:
        for i, stat in ((0, 'p50'), (1, 'p99')):
            xs = [stats[(s, r)][i] for r in range(1, rounds + 1) if (s, r) in stats]
            if xs:
                print(f'{s} {stat} over rounds: median {us(statistics.median(xs)).strip()} us, min {us(min(xs)).strip()}, max {us(max(xs)).strip()}, spread max/min {max(xs) / min(xs):.2f}x ({len(xs)} of {rounds} round(s))')
            else:
                print(f'{s} {stat}: no readable run')
    missing = sum((s, r) not in stats for s in sides for r in range(1, rounds + 1))
    if missing:
        print(f'{missing} run(s) missing or unreadable, left out (above)')
    if rounds < 5:
        print(f'warning: {rounds} round(s); issue 16 asks for at least 5 to judge the spread')
    return 0 if any_ratio or len(sides) == 1 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
