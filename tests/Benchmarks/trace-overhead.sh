#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark: what a suite's tracing costs. One virtual-lab boot, ROUNDS interleaved rounds of the suite
# without tracing ("off") and with it ("on": --set suites:K:trace:enabled=true), the order alternated each
# round (off first in odd rounds, on first in even ones) to cancel drift; same COUNT, RATE and CPU 1 in
# both. Prints every round's p50 and p99 of the suite's total stage, off and on, and on/off, then the
# ratio's median, min and max over the rounds (trace_overhead.py). Absolute numbers are emulated (TCG);
# the ratio is the result, and its spread over the rounds says how far it can be trusted.
#   tests/Benchmarks/trace-overhead.sh [PLAN] [SUITE] [COUNT] [RATE_HZ] [ROUNDS]
#   (as root, from a built checkout; defaults testplans/qemu/edu.json uio-idle 3000 500 5)
# TOPOLOGY (default single-msi) and BIND (default valirq: the cards bound as the lab tests bind them for
# the edu plan; the uio suites rebind their card to uio_pci_generic themselves) override the lab's.
# Output: out/bench/trace-overhead-TIMESTAMP/: off-I/ and on-I/ (run folders), off-I.log and on-I.log
# (their console output), rounds.txt (each round's order), the lab's logs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
plan=${1:-testplans/qemu/edu.json}
suite=${2:-uio-idle}
count=${3:-3000}
rate=${4:-500}
rounds=${5:-5}
topology=${TOPOLOGY:-single-msi}
bind=${BIND:-valirq}
say() { echo "trace-overhead: $*" >&2; }
for v in "$count" "$rate" "$rounds"; do
    [[ $v =~ ^[1-9][0-9]*$ ]] || { say "COUNT RATE_HZ ROUNDS must be whole numbers above 0 (got '$v')"; exit 2; }
done
(( rounds >= 5 )) || say "warning: $rounds round(s); at least 5 interleaved rounds are needed to judge the spread"
# The plan as an absolute path (the guest sees the host's paths, but starts in another directory).
[[ -f $plan ]] || [[ ! -f $root/$plan ]] || plan=$root/$plan
[[ -f $plan ]] || { say "$plan: no such plan"; exit 2; }
plan=$(cd "$(dirname "$plan")" && pwd)/$(basename "$plan")

# The suite's index in the plan, for --set suites:K:...
k=$(python3 - "$plan" "$suite" <<'PY'
import json, sys
try:
    names = [s.get('name') for s in json.load(open(sys.argv[1]))['suites']]
except Exception as e:
    sys.exit(f"trace-overhead: {sys.argv[1]}: cannot read its suites ({e})")
if sys.argv[2] not in names:
    sys.exit(f"trace-overhead: {sys.argv[1]} has no suite {sys.argv[2]}; its suites: {', '.join(map(str, names))}")
print(names.index(sys.argv[2]))
PY
) || exit 2

cli=$root/artifacts/bin/Validate.Cli/release/validate
common=(--filter "Name=$suite" --set "suites:$k:count=$count" --set "suites:$k:rateHz=$rate" --set "suites:$k:cpus:0=1")
traced=(--set "suites:$k:trace:enabled=true")
# On the host, before the boot: the plan with tracing on must be valid for this checkout's harness (a
# harness without tracing refuses the key). ./validate builds the checkout first if its sources changed.
if ! check=$("$root/validate" run "$plan" --check "${common[@]}" "${traced[@]}" 2>&1); then
    say "this checkout refuses the plan with ${traced[*]} (a harness without tracing?):"
    echo "$check" >&2
    exit 3
fi

out=$root/out/bench/trace-overhead-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
# One run, as a guest shell command. Every output goes under $out, the only folder the guest can write.
# No `set -e` in the guest: a failed run is one missing result (trace_overhead.py says so), not a lost boot.
run_cmd() { # SIDE ROUND
    local name=$1-$2 extra=""
    # The plan may trace the suite already (the edu plan's uio-idle does): off says so explicitly.
    if [[ $1 == on ]]; then extra=" ${traced[*]}"; else extra=" --set suites:$k:trace:enabled=false"; fi
    echo "$cli run $plan ${common[*]}$extra --out $out/$name > $out/$name.log 2>&1"
}
script=":"
: > "$out/rounds.txt"
for i in $(seq 1 "$rounds"); do
    if (( i % 2 )); then order=(off on); else order=(on off); fi
    echo "$i ${order[*]}" >> "$out/rounds.txt"
    for s in "${order[@]}"; do
        script="$script
t0=\$(date +%s); $(run_cmd "$s" "$i"); st=\$?; echo \"round $i $s: exit \$st, \$(( \$(date +%s) - t0 )) s\""
    done
done
script="$script
exit 0"

# Boot ~1 min, each run ~20-40 s under emulation plus COUNT/RATE s of stimuli: generous.
timeout=$(( 600 + rounds * 2 * (count / rate + 120) ))
echo "trace-overhead: $suite of $plan (suites:$k), $rounds round(s) of off/on, $count samples at $rate/s, topology $topology, bind $bind, one boot (timeout $timeout s); output in $out"
status=0
"$root/validate" vlab --topology "$topology" --bind "$bind" --timeout "$timeout" --run-dir "$out" -- /bin/sh -c "$script" || status=$?
(( status == 0 )) || say "the lab exited $status (logs in $out); comparing what was written"
python3 "$root/tests/Benchmarks/trace_overhead.py" --rounds "$rounds" --suite "$suite" "$out" \
    || { (( status != 0 )) || status=1; }
exit "$status"
