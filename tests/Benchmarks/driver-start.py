#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Start-up of the card driver in its three builds (artifacts/drivers/card-{aot,r2r,jit}), on this machine:
# CLOCK_MONOTONIC from just before the spawn to the driver's "hello" line (process start, runtime start,
# Main), and to its exit when it finds no device (hello + the set-up code's first run, JIT included).
# No card needed. Usage: tests/Benchmarks/driver-start.py [RUNS]   (from a built checkout)
# The fault suites measure the same "start" stage on the card, in the lab (docs/faults.md).
import os, statistics, subprocess, sys, time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
# The edu card's programs (testplans/qemu/edu.json), so that the driver parses them as it does on the card.
env = dict(os.environ, VALIDATE_DRIVER_DEVICE='/dev/validate-no-such-device', VALIDATE_DRIVER_PCI='0000:00:00.0',
           VALIDATE_DRIVER_MODE='msi', VALIDATE_DRIVER_CHECK='read-ne:0:0x24:4:0xffffffff:0',
           VALIDATE_DRIVER_ACK='write-status:0:0x64:4:0xffffffff:0', VALIDATE_DRIVER_INIT='', VALIDATE_DRIVER_DISABLE='',
           VALIDATE_DRIVER_READ_TO_CLEAR='', VALIDATE_DRIVER_QUIESCE='write:0:0x64:4:0xffffffff:0xffffffff;clear-bits:0:0x20:4:0x80:0',
           VALIDATE_DRIVER_RELEASE='quiesce')
print(f"card driver start-up, {runs} runs each, ms (median, min, max)")
for mode in ['aot', 'r2r', 'jit']:
    exe = os.path.join(root, 'artifacts', 'drivers', f'card-{mode}', 'validate-card-driver')
    if not os.access(exe, os.X_OK):
        sys.exit(f"driver-start: {exe} is missing; run ./validate once to build it")
    hello, done = [], []
    for _ in range(runs):
        t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        p = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        first = p.stdout.readline().split()
        p.communicate()
        t1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        if len(first) != 3 or first[0] != b'hello':
            sys.exit(f"driver-start: {exe} did not say hello: {first!r}")
        hello.append((int(first[2]) - t0) / 1e6)
        done.append((t1 - t0) / 1e6)
    f = lambda v: f"{statistics.median(v):7.1f} {min(v):7.1f} {max(v):7.1f}"
    print(f"  card-{mode}: spawn->hello {f(hello)}   spawn->exit {f(done)}")
