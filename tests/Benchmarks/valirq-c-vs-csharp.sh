#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark: the C reference reader of valirq against the harness's C# valirq backend, on the same edu
# card, same CPU and priority, in ONE virtual-lab boot, interleaved C, C#, C, C#, ... (ROUNDS of each) so
# that drift of the emulated machine shows. Prints the hardirq->user p50 and p99 of each run, then the
# ratio of the medians (C# over C). Absolute numbers are emulated (TCG); the ratio is the result, and
# the spread between runs of the same reader says how far it can be trusted.
#   tests/Benchmarks/valirq-c-vs-csharp.sh [COUNT] [RATE_HZ] [ROUNDS]      (as root, from a built checkout)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-5000}
rate=${2:-500}
rounds=${3:-3}
out=$root/out/bench/valirq-c-vs-csharp-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
gcc -O2 -Wall -Wextra -I "$root/kmod/include/uapi" -o "$out/valirq_reader" "$root/tests/Benchmarks/valirq_reader.c"
cli=$root/artifacts/bin/Validate.Cli/release/validate
plan=$root/testplans/qemu/edu.json
csharp() {
    echo "$cli run $plan --filter FullyQualifiedName~valirq-msi-idle --out $out/csharp-$1 --set suites:0:count=$count --set suites:0:rateHz=$rate --set suites:0:cpus:0=1 >/dev/null"
}
script="set -e"
files=()
for i in $(seq 1 "$rounds"); do
    script="$script
$out/valirq_reader 0000:00:04.0 $count $rate 1 80 $out/c-$i.bin
$(csharp "$i")"
    files+=("$out/c-$i.bin" "$out/csharp-$i/samples/valirq-msi-idle.bin.gz")
done
# The run folder is the one place the guest can write: the samples go there.
"$root/validate" vlab --topology single-msi --bind valirq --timeout 1800 --run-dir "$out" -- /bin/sh -c "$script"
python3 "$root/tests/Benchmarks/compare.py" "${files[@]}"
