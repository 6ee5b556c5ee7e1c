#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""QEMU `info jit` over the benchmark's measurement windows (qemu-jit-stats.sh).

sample SOCKET LOG: every second, host time and the counters of `info jit` from the HMP monitor at SOCKET.
summary LOG DIR COUNT RATE: per round of valirq-c-vs-csharp.sh's output DIR, each side's window and, per second
in it: translation blocks made (TB count's growth), TB invalidations, TLB partial and full flushes.
"""
import datetime
import glob
import json
import os
import re
import socket
import sys
import time

KEYS = ["TB count", "TB invalidate count", "TLB partial flushes", "TLB full flushes"]


def sample(sock_path, log_path):
    with open(log_path, "a") as out:
        while True:
            try:
                s = socket.socket(socket.AF_UNIX)
                s.settimeout(2)
                s.connect(sock_path)

                def cmd(c):
                    s.sendall(c.encode() + b"\n")
                    data, t = b"", time.time()
                    while time.time() - t < 2 and not data.rstrip().endswith(b"(qemu)"):
                        try:
                            data += s.recv(65536)
                        except socket.timeout:
                            break
                    return data.decode(errors="replace")

                cmd("")
                while True:
                    text = cmd("info jit")
                    vals = dict(re.findall(r"^(" + "|".join(KEYS) + r")\s+(\d+)", text, re.M))
                    if len(vals) == len(KEYS):
                        out.write(f"{time.time():.3f} " + " ".join(f"{k.replace(' ', '_')}={vals[k]}" for k in KEYS) + "\n")
                        out.flush()
                    time.sleep(1)
            except OSError:
                time.sleep(0.5)


def summary(log_path, bench, count, rate):
    rows = []
    for line in open(log_path):
        p = line.split()
        rows.append((float(p[0]), {k: int(v) for k, v in (x.split("=") for x in p[1:])}))
    length = count / rate

    def over(t0, t1):
        inside = [r for r in rows if t0 <= r[0] <= t1]
        if len(inside) < 2:
            return None
        a, b = inside[0], inside[-1]
        dt = b[0] - a[0]
        d = {k: b[1][k] - a[1][k] for k in a[1]}
        if d["TB_count"] < 0:   # the translation buffer was flushed in between: counts restart
            return None
        return {k: v / dt for k, v in d.items()}

    print("QEMU `info jit` per second over each measurement window (host samples every 1 s; the windows' first and last second cut off):")
    print(f"{'round':>5} {'side':>5} {'window (UTC)':>21} {'TBs made':>9} {'TB inval':>9} {'TLB part':>9} {'TLB full':>9}")
    totals = {}
    for i in range(1, 1000):
        c = os.path.join(bench, f"c-{i}.bin")
        if not os.path.exists(c):
            break
        sides = []
        end = os.stat(c).st_mtime
        sides.append(("c", end - length, end))
        res = os.path.join(bench, f"after-{i}", "results.json")
        if os.path.exists(res):
            m = json.load(open(res))["suites"][0]["measurement"]
            t0 = datetime.datetime.fromisoformat(m["startedUtc"].replace("Z", "+00:00")).timestamp()
            sides.append(("after", t0, t0 + m["durationS"]))
        for side, t0, t1 in sides:
            r = over(t0 + 1, t1 - 1)
            when = datetime.datetime.fromtimestamp(t0, datetime.timezone.utc).strftime("%H:%M:%S")
            if r is None:
                print(f"{i:>5} {side:>5} {when:>21}   (no samples, or the buffer was flushed)")
                continue
            totals.setdefault(side, []).append(r)
            print(f"{i:>5} {side:>5} {when:>21} {r['TB_count']:9.1f} {r['TB_invalidate_count']:9.1f} {r['TLB_partial_flushes']:9.1f} {r['TLB_full_flushes']:9.1f}")
    for side, rs in totals.items():
        avg = {k: sum(r[k] for r in rs) / len(rs) for k in rs[0]}
        print(f"{side}: mean over {len(rs)} window(s): TBs made {avg['TB_count']:.1f}/s, TB invalidations {avg['TB_invalidate_count']:.1f}/s, "
              f"TLB partial flushes {avg['TLB_partial_flushes']:.1f}/s, full {avg['TLB_full_flushes']:.1f}/s")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "sample":
        sample(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 6 and sys.argv[1] == "summary":
        summary(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)
