#!/bin/bash
# SPDX-License-Identifier: MIT
# Diagnostic: runs valirq-c-vs-csharp.sh (same arguments) with the virtual lab's QEMU given an HMP monitor on a
# unix socket, samples QEMU's `info jit` every second on the host (translation blocks made and invalidated, TLB
# flushes: what TCG, the lab's emulator, spends on code it has not translated yet, or on code pages written to),
# and then says, for every round, what each side's measurement window cost the emulator per second: the C
# reader's window (its c-N.bin written at its end, COUNT/RATE long) and the C# one (results.json's
# measurement startedUtc and durationS, the guest's clock, which QEMU keeps on the host's).
#   tests/Benchmarks/qemu-jit-stats.sh [COUNT] [RATE_HZ] [ROUNDS]    (as root; IRQ_PRIO as for the benchmark)
# Output: the benchmark's own, then the table; qemu-jit.log (the samples) in the benchmark's output folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${1:-5000}
rate=${2:-500}
qemu=$(command -v qemu-system-x86_64) || { echo "qemu-jit-stats: qemu-system-x86_64 not found" >&2; exit 2; }
tmp=$(mktemp -d /tmp/validate-qemu-jit-XXXXXX)
mkdir "$tmp/bin"
# The lab finds QEMU on PATH: this one is the real one with a monitor added ("-monitor none" stays: no default one).
cat > "$tmp/bin/qemu-system-x86_64" <<WRAP
#!/bin/sh
rm -f "$tmp/mon.sock"
exec "$qemu" "\$@" -monitor unix:$tmp/mon.sock,server=on,wait=off
WRAP
chmod +x "$tmp/bin/qemu-system-x86_64"
python3 "$here/qemu_jit_stats.py" sample "$tmp/mon.sock" "$tmp/jit.log" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true; rm -rf "$tmp"' EXIT
start=$(date +%s)
PATH="$tmp/bin:$PATH" "$here/valirq-c-vs-csharp.sh" "$@"
kill $sampler 2>/dev/null || true
dir=$(ls -td "$root"/out/bench/valirq-c-vs-csharp-* | head -1)
[[ $(stat -c %Y "$dir") -ge $start ]] || { echo "qemu-jit-stats: no benchmark output newer than the start" >&2; exit 1; }
cp "$tmp/jit.log" "$dir/qemu-jit.log"
python3 "$here/qemu_jit_stats.py" summary "$dir/qemu-jit.log" "$dir" "$count" "$rate"
