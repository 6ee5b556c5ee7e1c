#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark: what the IRQ thread's priority against the reader's costs on PREEMPT_RT. The C reference reader
# of valirq (valirq_reader.c: same loop as the harness, MSI at RATE on CPU 1, SCHED_FIFO 80), in ONE lab boot,
# ROUNDS interleaved rounds of: "below", the card's IRQ thread as the kernel leaves it (SCHED_FIFO 50, under
# the reader), and "above", the IRQ thread at IRQ_PRIO (default 90, over the reader; the plan key irqPriority
# does the same for a suite). Then one short traced run of each (sched_switch, sched_wakeup, irq_handler_entry,
# lock:contention_begin/end on CPU 1), to count per side the context switches and the times the reader blocked
# on a lock. Prints every round's hardirq->user p50/p99 per side, above/below with median, min and max, and
# the traced counts. Absolute numbers are emulated (TCG); the ratio in one boot is the result.
#   tests/Benchmarks/irq-thread-priority.sh [COUNT] [RATE_HZ] [ROUNDS] [IRQ_PRIO]   (as root; 5000 500 5 90)
# Output: out/bench/irq-thread-priority-TIMESTAMP/: below-I.bin, above-I.bin (VALRAW01), their logs,
# t-below.trace, t-above.trace, the lab's logs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-5000}
rate=${2:-500}
rounds=${3:-5}
irqprio=${4:-90}
say() { echo "irq-thread-priority: $*" >&2; }
for v in "$count" "$rate" "$rounds" "$irqprio"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { say "COUNT RATE_HZ ROUNDS IRQ_PRIO must be whole numbers above 0 (got '$v')"; exit 2; }
done
(( irqprio <= 99 )) || { say "IRQ_PRIO $irqprio is not a SCHED_FIFO priority; use 1 to 99"; exit 2; }
(( rounds >= 5 )) || say "warning: $rounds round(s); at least 5 interleaved rounds are needed to judge the spread"

out=$root/out/bench/irq-thread-priority-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
gcc -O2 -Wall -Wextra -I "$root/kmod/include/uapi" -o "$out/valirq_reader" "$root/tests/Benchmarks/valirq_reader.c"
traced=$(( count < 500 ? count : 500 ))
# The guest writes only under $out. valirq requests the IRQ when the reader enables it, so the reader sets
# its IRQ thread itself (its 7th argument) and puts it back at the end.
cat > "$out/guest.sh" <<GUEST
T=/sys/kernel/tracing
i=0
while [ \$i -lt $rounds ]; do
  i=\$((i+1))
  if [ \$((i % 2)) -eq 1 ]; then order="below above"; else order="above below"; fi
  for side in \$order; do
    p=; [ \$side = above ] && p=$irqprio
    $out/valirq_reader 0000:00:04.0 $count $rate 1 80 $out/\$side-\$i.bin \$p > $out/\$side-\$i.log 2>&1
    echo "round \$i \$side: exit \$?"
  done
done
[ -d \$T/events ] || mount -t tracefs nodev \$T
echo 0 > \$T/tracing_on; echo mono > \$T/trace_clock; echo 2 > \$T/tracing_cpumask
for e in sched/sched_switch sched/sched_wakeup irq/irq_handler_entry lock/contention_begin lock/contention_end; do
  [ -e \$T/events/\$e/enable ] && echo 1 > \$T/events/\$e/enable
done
for side in below above; do
  p=; [ \$side = above ] && p=$irqprio
  echo > \$T/trace; echo 1 > \$T/tracing_on
  $out/valirq_reader 0000:00:04.0 $traced $rate 1 80 $out/t-\$side.bin \$p > $out/t-\$side.log 2>&1
  echo 0 > \$T/tracing_on; cat \$T/per_cpu/cpu1/trace > $out/t-\$side.trace
done
exit 0
GUEST
timeout=$(( 600 + (2 * rounds + 2) * (count / rate + 30) ))
echo "irq-thread-priority: $rounds round(s) of below (FIFO 50) and above (FIFO $irqprio), reader FIFO 80, $count samples at $rate/s, one boot (timeout $timeout s); output in $out"
status=0
"$root/validate" vlab --topology single-msi --bind valirq --timeout "$timeout" --run-dir "$out" -- /bin/sh "$out/guest.sh" || status=$?
(( status == 0 )) || say "the lab exited $status (logs in $out); comparing what was written"
python3 "$root/tests/Benchmarks/irq_thread_priority.py" --rounds "$rounds" "$out" || { (( status != 0 )) || status=1; }
exit "$status"
