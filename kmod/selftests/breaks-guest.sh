#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the virtual lab: loads each deliberately broken valirq (built by breaks.py into DIR) planned
# for TOPOLOGY, runs the tests that must fail on it, and says per break whether they did.
#   ./validate vlab --topology T --bind valirq -- kmod/selftests/breaks-guest.sh DIR T [REPS]
dir=$1 topo=$2 reps=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
good=${VALIDATE_VALIRQ_KO:-}
ncards=$(ls /dev/valirq-* 2>/dev/null | wc -l)
caught=0 missed=0

load() {
    i=0
    while ! rmmod valirq 2>/dev/null; do
        i=$((i + 1)); [ $i -le 50 ] || { echo "# rmmod valirq failed"; return 1; }; sleep 0.1
    done
    insmod "$1" || return 1
    i=0
    while [ "$(ls /dev/valirq-* 2>/dev/null | wc -l)" -lt "$ncards" ]; do
        i=$((i + 1)); [ $i -le 100 ] || { echo "# $1: the cards did not come back"; return 1; }; sleep 0.05
    done
}

while IFS='|' read -r name t filters what; do
    [ "$t" = "$topo" ] || continue
    echo "# break $name: $what"
    load "$dir/$name/valirq.ko" || { echo "not ok - break $name: could not load"; missed=$((missed + 1)); continue; }
    all=1
    oldifs=$IFS; IFS=';'
    for f in $filters; do
        IFS=$oldifs
        out=$(VALIRQ_KO="$dir/$name/valirq.ko" timeout 300 "$here/valirq_test" "$topo" "$reps" "$f" 2>&1)
        nok=$(printf '%s\n' "$out" | grep -c '^not ok')
        ok=$(printf '%s\n' "$out" | grep -c '^ok')
        printf '%s\n' "$out" | grep -A1 '^not ok' | grep -v '^--' | sed "s/^/#   /"
        if [ "$nok" -gt 0 ]; then
            echo "#   [$f]: $nok failed, $ok passed: caught"
        else
            echo "#   [$f]: $ok passed, none failed: NOT CAUGHT"
            all=0
        fi
        IFS=';'
    done
    IFS=$oldifs
    if [ $all = 1 ]; then
        echo "ok - break $name is caught"; caught=$((caught + 1))
    else
        echo "not ok - break $name is not caught by every test meant to"; missed=$((missed + 1))
    fi
done < "$dir/plan.txt"
[ -n "$good" ] && load "$good" && echo "# the lab's valirq reloaded"
echo "# breaks on $topo: $caught caught, $missed not"
[ $missed = 0 ]
