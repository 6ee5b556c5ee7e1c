#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Splits each valirq sample of a reader into its system calls, from an ftrace text trace of the measuring
CPU (syscall-gaps.sh writes them): raw_syscalls sys_enter/sys_exit (read 0, poll 7, ioctl 16,
clock_nanosleep 230), irq_handler_entry, sched_switch. The measuring thread is the task with the most poll
calls. A sample: the stimulus ioctl (an ioctl during which valirq's hard IRQ ran), then poll, the switch out
and back, poll's return, read, and the ack ioctl. Prints per trace the p50 and p90 of each part in us.

    syscall_gaps.py TRACE...

Exit 0 when every trace had samples, 1 otherwise."""
import collections, re, sys

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+): (\w+): (.*)$')
PARTS = [
    ('irq->stim_exit', 'irq', 'stim_exit'),
    ('gap1 stim_exit->poll_enter (user)', 'stim_exit', 'poll_enter'),
    ('poll_enter->switch_out', 'poll_enter', 'out'),
    ('away (IRQ thread)', 'out', 'in'),
    ('switch_in->poll_exit', 'in', 'poll_exit'),
    ('gap2 poll_exit->read_enter (user)', 'poll_exit', 'read_enter'),
    ('read', 'read_enter', 'read_exit'),
    ('gap3 read_exit->ack_enter (user, stamp)', 'read_exit', 'ack_enter'),
    ('irq->poll_exit', 'irq', 'poll_exit'),
]


def events(path):
    with open(path, errors='replace') as f:
        for line in f:
            m = LINE.match(line)
            if m:
                _, pid, _, ts, name, rest = m.groups()
                yield float(ts) * 1e6, int(pid), name, rest


def samples(path):
    ev = list(events(path))
    polls = collections.Counter(p for _, p, n, r in ev if n == 'sys_enter' and r.startswith('NR 7 '))
    if not polls:
        return None, []
    me = polls.most_common(1)[0][0]
    out, cur, state = [], {}, None

    for t, p, name, r in ev:
        mine = p == me
        if state == 'gap3' and mine and name == 'sys_enter' and r.startswith('NR 16 '):
            cur['ack_enter'] = t
            if 'out' in cur and 'in' in cur:
                out.append(cur)
            state = None
        elif mine and name == 'sys_enter' and r.startswith('NR 16 '):
            cur, state = {'irq': None}, 'stim'
        elif state == 'stim' and name == 'irq_handler_entry' and 'valirq' in r:
            cur['irq'] = t
        elif state == 'stim' and mine and name == 'sys_exit' and r.startswith('NR 16 '):
            if cur['irq'] is None:
                state = None
            else:
                cur['stim_exit'], state = t, 'gap1'
        elif state == 'gap1' and mine and name == 'sys_enter' and r.startswith('NR 7 '):
            cur['poll_enter'], state = t, 'poll'
        elif state == 'poll' and name == 'sched_switch' and f'prev_pid={me} ' in r:
            cur['out'], state = t, 'away'
        elif state == 'away' and name == 'sched_switch' and f'next_pid={me} ' in r:
            cur['in'], state = t, 'back'
        elif state in ('poll', 'back') and mine and name == 'sys_exit' and r.startswith('NR 7 '):
            cur['poll_exit'], state = t, 'gap2'
        elif state == 'gap2' and mine and name == 'sys_enter' and r.startswith('NR 0 '):
            cur['read_enter'], state = t, 'read'
        elif state == 'read' and mine and name == 'sys_exit' and r.startswith('NR 0 '):
            cur['read_exit'], state = t, 'gap3'
    return me, out


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    ok = True
    for path in sys.argv[1:]:
        try:
            me, got = samples(path)
        except OSError as e:
            print(f'{path}: {e.strerror}')
            ok = False
            continue
        if not got:
            print(f'{path}: no samples (no reader found in the trace)')
            ok = False
            continue
        print(f'{path}: pid {me}, {len(got)} samples (us)')
        for label, a, b in PARTS:
            v = sorted(s[b] - s[a] for s in got)
            print(f'   {label:42s} p50 {v[len(v) // 2]:8.1f}  p90 {v[int(len(v) * .9)]:8.1f}')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
