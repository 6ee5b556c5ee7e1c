#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.pl --strict on valirq's kernel sources, as a kernel reviewer runs it (`make -C kmod checkpatch`).
#
#   checkpatch.sh [FILE...]    default: kmod/*.c, kmod/*.h and kmod/include/**/*.h (the selftests are user
#                              space and not checked; *.mod.c is a build product)
#
# checkpatch.pl is the one of Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz; CHECKPATCH_TARBALL
# overrides): scripts/checkpatch.pl, scripts/spelling.txt and scripts/const_structs.checkpatch, all it reads at
# run time with --no-tree, are extracted once into a cache (CHECKPATCH_CACHE, default
# /var/cache/validate/checkpatch, or ~/.cache/validate/checkpatch when that is not writable), again only when
# the tarball changes. Runs from kmod/ so that include/uapi/ is checked as the UAPI it is.
# Prints checkpatch's terse findings (FILE:LINE: ERROR|WARNING|CHECK: ...) and one summary line
# "checkpatch: N error(s), N warning(s), N check(s) in N file(s)". Exit 0 when clean, 1 with findings,
# 2 when checkpatch cannot run (the message names the fix).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kmod=$(dirname "$here")
tarball=${CHECKPATCH_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
fail() { echo "checkpatch: $*" >&2; exit 2; }

[[ -f $tarball ]] || fail "$tarball not found; install it: apt-get install linux-source-6.1"
command -v perl >/dev/null || fail "perl not found; install it: apt-get install perl"
cache=${CHECKPATCH_CACHE:-}
if [[ -z $cache ]]; then
    cache=/var/cache/validate/checkpatch
    if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w $cache ]]; then cache=${XDG_CACHE_HOME:-$HOME/.cache}/validate/checkpatch; fi
fi
mkdir -p "$cache" || fail "cannot create the cache $cache"

# The cache is keyed by the tarball (path, size, time): a new linux-source-6.1 upload is extracted again.
top=$(basename "$tarball" .tar.xz)
wanted=(scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch)
key="$tarball $(stat -c '%s %Y' "$tarball")"
if [[ $(cat "$cache/source" 2>/dev/null) != "$key" || ! -f $cache/scripts/checkpatch.pl ]]; then
    work=$(mktemp -d "$cache/.extract.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    # --occurrence: stop reading the 140 MB tarball once the three files are out.
    tar -xJf "$tarball" -C "$work" --occurrence "${wanted[@]/#/$top/}" 2>"$work/tar.err" \
        || fail "extracting ${wanted[*]} from $tarball failed: $(head -1 "$work/tar.err")"
    rm -rf "$cache/scripts"
    mv "$work/$top/scripts" "$cache/scripts"
    echo "$key" > "$cache/source"
fi

cd "$kmod"
if [[ $# -eq 0 ]]; then
    files=()
    for f in *.c *.h; do
        [[ -f $f && $f != *.mod.c ]] && files+=("$f")
    done
    [[ -d include ]] && mapfile -t -O "${#files[@]}" files < <(find include -name '*.h' -type f | sort)
    set -- "${files[@]}"
fi
[[ $# -gt 0 ]] || fail "no kernel sources in $kmod"

out=$(perl "$cache/scripts/checkpatch.pl" --strict --no-tree --terse --no-summary --show-types -f "$@" 2>&1) || true
findings=$(grep -E '^[^ :]+:[0-9]+: (ERROR|WARNING|CHECK):' <<< "$out" || true)
other=$(grep -vE '^[^ :]+:[0-9]+: (ERROR|WARNING|CHECK):' <<< "$out" | grep -v '^$' || true)
# Anything checkpatch printed that is not a finding (a perl error, a missing file) means it did not check.
[[ -z $other ]] || fail "checkpatch.pl did not run cleanly: $(head -1 <<< "$other")"
count() { grep -cE "^[^ :]+:[0-9]+: $1:" <<< "$findings" || true; }
[[ -n $findings ]] && echo "$findings"
echo "checkpatch: $(count ERROR) error(s), $(count WARNING) warning(s), $(count CHECK) check(s) in $# file(s)"
[[ -z $findings ]]
