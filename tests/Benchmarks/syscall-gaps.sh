#!/bin/bash
# SPDX-License-Identifier: MIT
# Where an interrupt's path to user space goes, system call by system call: the C reference reader of valirq
# and the harness's C# valirq backend (valirq-msi-idle), same card, CPU 1, SCHED_FIFO 80, in ONE lab boot,
# ROUNDS rounds of each, with ftrace on CPU 1 (raw_syscalls sys_enter/sys_exit for read, poll, ioctl and
# clock_nanosleep, irq_handler_entry, sched_switch, sched_wakeup; trace_clock mono). syscall_gaps.py then
# splits each sample of the measuring thread: the hard IRQ to the stimulus ioctl's return, the user code
# from there to poll (gap1), poll to switching out, the time away (the IRQ thread), the switch back to
# poll's return, the user code to read (gap2), the read, the user code to the ack ioctl (gap3, which takes
# the user stamp). The user gaps are what the loop's own code costs; the rest is the kernel's, alike for
# both. Tracing slows everything under emulation alike: compare the sides, not the absolute numbers.
#   tests/Benchmarks/syscall-gaps.sh [COUNT] [RATE_HZ] [ROUNDS]   (as root, from a built checkout; 1000 500 2)
# Output: out/bench/syscall-gaps-TIMESTAMP/: c-I.trace, cs-I.trace (CPU 1's trace of each run), the runs'
# output (c-I.log, cs-I.log, cs-I/), the lab's logs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-1000}
rate=${2:-500}
rounds=${3:-2}
say() { echo "syscall-gaps: $*" >&2; }
for v in "$count" "$rate" "$rounds"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { say "COUNT RATE_HZ ROUNDS must be whole numbers above 0 (got '$v')"; exit 2; }
done
plan=$root/testplans/qemu/edu.json
k=$(python3 -c 'import json,sys; print([s.get("name") for s in json.load(open(sys.argv[1]))["suites"]].index("valirq-msi-idle"))' "$plan") \
    || { say "$plan: no suite valirq-msi-idle"; exit 2; }
cli=$root/artifacts/bin/Validate.Cli/release/validate
[[ -x $cli ]] || { say "$cli is missing: build this checkout first (./validate --help builds it)"; exit 2; }
out=$root/out/bench/syscall-gaps-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
gcc -O2 -Wall -Wextra -I "$root/kmod/include/uapi" -o "$out/valirq_reader" "$root/tests/Benchmarks/valirq_reader.c"
# In the guest: tracefs set up once, then per run the ring cleared, tracing on, the run, tracing off, CPU 1's trace kept.
cat > "$out/guest.sh" <<GUEST
T=/sys/kernel/tracing
[ -d \$T/events ] || mount -t tracefs nodev \$T
echo 0 > \$T/tracing_on
echo mono > \$T/trace_clock
echo 2 > \$T/tracing_cpumask
echo 65536 > \$T/per_cpu/cpu1/buffer_size_kb
for e in sys_enter sys_exit; do echo 'id == 0 || id == 7 || id == 16 || id == 230' > \$T/events/raw_syscalls/\$e/filter; done
for e in raw_syscalls/sys_enter raw_syscalls/sys_exit irq/irq_handler_entry sched/sched_switch sched/sched_wakeup; do echo 1 > \$T/events/\$e/enable; done
i=0
while [ \$i -lt $rounds ]; do
  i=\$((i+1))
  echo > \$T/trace; echo 1 > \$T/tracing_on
  $out/valirq_reader 0000:00:04.0 $count $rate 1 80 $out/c-\$i.bin > $out/c-\$i.log 2>&1
  echo 0 > \$T/tracing_on; cat \$T/per_cpu/cpu1/trace > $out/c-\$i.trace
  echo > \$T/trace; echo 1 > \$T/tracing_on
  $cli run $plan --filter FullyQualifiedName~valirq-msi-idle --out $out/cs-\$i --set suites:$k:count=$count --set suites:$k:rateHz=$rate --set suites:$k:cpus:0=1 --set suites:$k:trace:enabled=false > $out/cs-\$i.log 2>&1
  echo 0 > \$T/tracing_on; cat \$T/per_cpu/cpu1/trace > $out/cs-\$i.trace
  echo "round \$i done"
done
for e in raw_syscalls/sys_enter raw_syscalls/sys_exit irq/irq_handler_entry sched/sched_switch sched/sched_wakeup; do echo 0 > \$T/events/\$e/enable; done
exit 0
GUEST
timeout=$(( 600 + rounds * (2 * count / rate + 150) ))
echo "syscall-gaps: $rounds round(s) of C and C#, $count samples at $rate/s, one boot (timeout $timeout s); output in $out"
status=0
"$root/validate" vlab --topology single-msi --bind valirq --timeout "$timeout" --run-dir "$out" -- /bin/sh "$out/guest.sh" || status=$?
(( status == 0 )) || say "the lab exited $status (logs in $out); reading what was written"
traces=()
for i in $(seq 1 "$rounds"); do traces+=("$out/c-$i.trace" "$out/cs-$i.trace"); done
python3 "$root/tests/Benchmarks/syscall_gaps.py" "${traces[@]}" || { (( status != 0 )) || status=1; }
exit "$status"
