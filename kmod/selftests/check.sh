#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make -C kmod check`: one TAP stream for valirq.
#   1. checkpatch.pl --strict on the module's sources (checkpatch.sh), one test;
#   2. for every lab kernel and every topology: the virtual lab booted with the cards bound to valirq (built
#      for that kernel, its .ko handed to the test program as VALIRQ_KO) and the selftests run in it, each
#      result renumbered and tagged [kernel/topology]; then, per lab run, a "not ok" when the test program
#      reported fewer or more results than its TAP plan (or no plan), and the guest kernel log as a test of
#      its own (a WARN/BUG/Oops/"nobody cared"/hung task, a timeout or a crash is a "not ok").
# The plan comes at the end.
#
#   KERNELS="rt generic"                             lab kernels (validate vlab --kernel); VALIRQ_KERNELS too
#   TOPOLOGIES="single-msi single-intx shared-intx msi-reset"  topologies (intel-msix by hand: see below); VALIRQ_TOPOLOGIES too
#   GENERIC_TOPOLOGIES="single-msi shared-intx"      on the generic kernel (the module's code is the same;
#                                                    what differs is the kernel's IRQ core: MSI, a shared line, MSI-X)
#   VALIRQ_REPS=200                                  kills per kill test (25 times as many random programs)
#   VALIRQ_GENERIC_REPS=VALIRQ_REPS/2                the same on the generic kernel (its boots check the IRQ
#                                                    core's other path, not the module's code again: half)
#   CHECKPATCH=0                                     leave out the checkpatch test
#
#   check.sh --parse KERNEL/TOPOLOGY FILE [STATUS]   only the parser: one test program's TAP output (FILE) as
#                                                    this script reports it, STATUS being the lab's exit status
#                                                    (default 0); for checking the checks
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kmod=$(dirname "$here")
root=$(dirname "$kmod")
validate=$root/validate
kernels=${VALIRQ_KERNELS:-${KERNELS:-rt generic}}
# intel-msix is not in the default lists: QEMU 7.2's e1000e aborts (assertion in
# e1000e_intrmgr_on_msix_throttling_timer) when MSI-X is disabled within its throttling interval of a
# message, which the MSI-X tests do; run it with TOPOLOGIES=intel-msix until the lab's QEMU is fixed.
topologies=${VALIRQ_TOPOLOGIES:-${TOPOLOGIES:-single-msi single-intx shared-intx msi-reset}}
generic_topologies=${VALIRQ_TOPOLOGIES:-${GENERIC_TOPOLOGIES:-single-msi shared-intx}}
reps=${VALIRQ_REPS:-200}
generic_reps=${VALIRQ_GENERIC_REPS:-$((reps / 2))}
n=0

emit() { n=$((n + 1)); echo "$1 $n $2"; }

# report TAG OUT ERR STATUS: the test program's results from OUT, renumbered and tagged, then the run's own tests.
report() {
    local tag=$1 out=$2 err=$3 status=$4 line planned reported failed=0
    while IFS= read -r line; do
        if [[ $line =~ ^(not\ )?ok\ [0-9]+(.*)$ ]]; then
            [[ -n ${BASH_REMATCH[1]} ]] && failed=$((failed + 1))
            emit "${BASH_REMATCH[1]}ok" "[$tag]${BASH_REMATCH[2]}"
        elif [[ $line == \#* ]]; then
            echo "$line"
        fi
    done < "$out"
    # The program's own plan: every result it promised must be there, and nothing beyond it.
    planned=$(grep -E '^1\.\.[0-9]+' "$out" | tail -1 | sed -E 's/^1\.\.([0-9]+).*/\1/')
    reported=$(grep -cE '^(not )?ok [0-9]+' "$out")
    if [[ -z $planned ]]; then
        emit "not ok" "[$tag] the test program did not finish (no TAP plan; $reported result(s) reported)"
    elif [[ $planned -ne $reported ]]; then
        emit "not ok" "[$tag] the test program reported $reported result(s) against its plan of $planned"
    else
        emit ok "[$tag] the test program reported all $planned result(s) of its plan"
    fi
    case $status in
        0|1)
            # vlab passed the program's own status through: the lab ran to the end and the guest kernel log is clean.
            emit ok "[$tag] guest kernel log clean (no WARN, BUG, Oops, nobody cared, hung task)"
            if [[ $status -eq 1 && $failed -eq 0 ]]; then
                emit "not ok" "[$tag] the test program exited with status 1 but reported no failure"
            fi
            ;;
        *) emit "not ok" "[$tag] lab run (status $status): $(grep -v '^$' "$err" 2>/dev/null | tail -1)" ;;
    esac
}

echo "TAP version 13"
if [[ ${1:-} == --parse ]]; then
    [[ $# -ge 3 ]] || { echo "usage: check.sh --parse KERNEL/TOPOLOGY FILE [STATUS]" >&2; exit 2; }
    report "$2" "$3" /dev/null "${4:-0}"
    echo "1..$n"
    exit 0
fi

if [[ ${CHECKPATCH:-1} != 0 ]]; then
    cp=$("$here/checkpatch.sh" 2>&1)
    case $? in
        0) emit ok "checkpatch --strict clean ($(tail -1 <<< "$cp" | sed 's/^checkpatch: //'))" ;;
        1) first=$(grep -m1 -E '^[^ :]+:[0-9]+: ' <<< "$cp")
           emit "not ok" "checkpatch --strict: $(tail -1 <<< "$cp" | sed 's/^checkpatch: //'); first: kmod/$first"
           grep -E '^[^ :]+:[0-9]+: ' <<< "$cp" | head -40 | sed 's|^|# kmod/|' ;;
        *) emit "not ok" "checkpatch --strict did not run: $(tail -1 <<< "$cp" | sed 's/^checkpatch: //')" ;;
    esac
fi

for k in $kernels; do
    ts=$topologies r=$reps
    [[ $k == generic ]] && ts=$generic_topologies r=$generic_reps
    for t in $ts; do
        out=$(mktemp)
        echo "# lab: kernel $k, topology $t"
        start=$SECONDS
        # In the guest: the valirq.ko the lab built for the kernel it booted (VALIDATE_VALIRQ_KO, set by the guest init).
        VALIDATE_OUT=${VALIDATE_OUT:-$root/out} "$validate" vlab --kernel "$k" --topology "$t" --bind valirq --timeout 900 -- \
            /bin/sh -c 'echo "# guest kernel: $(uname -r) $(uname -v); VALIRQ_KO=$VALIDATE_VALIRQ_KO"; exec /usr/bin/env VALIRQ_KO="$VALIDATE_VALIRQ_KO" "$@"' \
            sh "$here/valirq_test" "$t" "$r" > "$out" 2> "$out.err"
        status=$?
        report "$k/$t" "$out" "$out.err" "$status"
        echo "# lab: kernel $k, topology $t: $((SECONDS - start)) s, status $status"
        grep -v '^$' "$out.err" | sed 's/^/# /' | tail -5
        rm -f "$out" "$out.err"
    done
done
echo "1..$n"
