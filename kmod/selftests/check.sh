#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the valirq selftests in the virtual lab on every topology and prints one TAP stream:
# each topology's results renumbered, a failed lab run (kernel WARN/BUG/Oops/"nobody cared" in the
# guest log, timeout, crash) as a "not ok" of its own, and the plan at the end.
#   VALIRQ_TOPOLOGIES="single-msi"  run only these;  VALIRQ_REPS=200  kills per kill test
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kmod=$(dirname "$here")
root=$(dirname "$kmod")
validate=$root/validate
topologies=${VALIRQ_TOPOLOGIES:-single-msi single-intx shared-intx}
reps=${VALIRQ_REPS:-200}
n=0
echo "TAP version 13"
for t in $topologies; do
    out=$(mktemp)
    echo "# lab: $t"
    VALIDATE_OUT=${VALIDATE_OUT:-$root/out} "$validate" vlab --topology "$t" --bind valirq --timeout 900 -- \
        /usr/bin/env VALIRQ_KO="$kmod/valirq.ko" "$here/valirq_test" "$t" "$reps" > "$out" 2> "$out.err"
    status=$?
    while IFS= read -r line; do
        if [[ $line =~ ^(not\ )?ok\ [0-9]+(.*)$ ]]; then
            n=$((n + 1))
            echo "${BASH_REMATCH[1]}ok $n [$t]${BASH_REMATCH[2]}"
        elif [[ $line == \#* ]]; then
            echo "$line"
        fi
    done < "$out"
    # The guest's own plan: tests it promised but never reported are failures.
    planned=$(grep -E '^1\.\.[0-9]+' "$out" | tail -1 | cut -d. -f3)
    reported=$(grep -cE '^(not )?ok [0-9]+' "$out")
    if [[ -z $planned ]]; then
        n=$((n + 1)); echo "not ok $n [$t] the test program did not finish (no TAP plan)"
    fi
    if [[ $status -ne 0 ]]; then
        case $status in
            1) ;;  # failures already reported above
            *) n=$((n + 1)); echo "not ok $n [$t] lab run: $(tail -1 "$out.err")" ;;
        esac
    else
        n=$((n + 1)); echo "ok $n [$t] guest kernel log clean (no WARN, BUG, Oops, nobody cared, hung task)"
    fi
    grep -v '^$' "$out.err" | sed 's/^/# /' | tail -5
    rm -f "$out" "$out.err"
    : "$reported"
done
echo "1..$n"
