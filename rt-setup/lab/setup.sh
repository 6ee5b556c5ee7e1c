#!/bin/bash
# SPDX-License-Identifier: MIT
# rt-setup/lab/setup.sh: make a Debian 12 machine a Validate lab machine, one reversible step at a time.
#
#   setup.sh STEP show       what the step would change (a diff), changing nothing
#   setup.sh STEP apply      make the change (idempotent: a second apply changes nothing)
#   setup.sh STEP rollback   undo it
#
# STEP is one of: config kernel cmdline dkms access bind nightly, or all (in that order; rollback in reverse).
# The configuration is /etc/validate/validate.conf (`config apply` installs rt-setup/lab/validate.conf
# there; edit it, then apply the other steps). rt-setup/lab/README.md explains every step.
# SYSROOT=/some/dir makes every file change under that folder instead of / and skips the commands that
# act on the running system (apt-get, update-grub, dkms, udevadm, systemctl): how the tests run it.
set -euo pipefail

here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
checkout=$(cd "$here/../.." && pwd)
sysroot=${SYSROOT:-}
live=1; [[ -n $sysroot ]] && live=0

say() { echo "rt-setup: $*"; }
die() { echo "rt-setup: $1" >&2; exit "${2:-2}"; }
run() { if ((live)); then "$@"; else say "(SYSROOT set: not running: $*)"; fi; }

conf=$sysroot/etc/validate/validate.conf
load_conf() {
    [[ -f $conf ]] || die "$conf: missing; run: $0 config apply (then edit it)" 3
    # shellcheck disable=SC1090
    source "$conf"
    : "${VALIDATE_ROOT:?$conf: set VALIDATE_ROOT}" "${VALIDATE_PLAN:?$conf: set VALIDATE_PLAN}" "${RT_CPUS:?$conf: set RT_CPUS}"
    : "${HOUSEKEEPING_CPUS:?$conf: set HOUSEKEEPING_CPUS}" "${VALIRQ_CARDS:?$conf: set VALIRQ_CARDS}"
    [[ $RT_CPUS =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || die "$conf: RT_CPUS=$RT_CPUS is not a CPU list (e.g. 1-3 or 1,3)" 3
    [[ $HOUSEKEEPING_CPUS =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || die "$conf: HOUSEKEEPING_CPUS=$HOUSEKEEPING_CPUS is not a CPU list" 3
    local c
    for c in $VALIRQ_CARDS; do [[ $c =~ ^[0-9a-f]{4}:[0-9a-f]{4}$ ]] || die "$conf: VALIRQ_CARDS: '$c' is not vendor:device (e.g. 1234:11e8)" 3; done
}

# Writes CONTENT to FILE when it differs: show prints the diff, apply writes it, both say so.
put() {
    local file=$sysroot$1 content=$2 mode=${3:-0644} action=$4
    if [[ -f $file ]] && [[ "$(cat "$file")" == "$content" ]]; then say "$1: up to date"; return 0; fi
    diff -u --label "$1 (now)" --label "$1 (new)" "$([[ -f $file ]] && echo "$file" || echo /dev/null)" <(printf '%s\n' "$content") || true
    [[ $action == apply ]] || return 0
    mkdir -p "$(dirname "$file")"
    # Keep what was there before Validate (not an earlier version of ours) for rollback.
    if [[ -f $file && ! -f $file.validate-orig ]] && ! head -1 "$file" | grep -q '^# Validate\|^# /etc/validate/'; then cp -p "$file" "$file.validate-orig"; fi
    printf '%s\n' "$content" > "$file.tmp" && chmod "$mode" "$file.tmp" && mv "$file.tmp" "$file"
    say "$1: written"
    changed=1
}

# Removes FILE (restoring what was there before Validate, if anything).
unput() {
    local file=$sysroot$1
    if [[ -f $file.validate-orig ]]; then mv "$file.validate-orig" "$file"; say "$1: restored"; changed=1
    elif [[ -f $file ]]; then rm -f "$file"; say "$1: removed"; changed=1
    else say "$1: not there"; fi
}

step_config() {
    case $1 in
        show|apply) if [[ -f $conf ]]; then say "$conf: exists (kept; edit it by hand)"; else put /etc/validate/validate.conf "$(cat "$here/validate.conf")" 0644 "$1"; fi ;;
        rollback) unput /etc/validate/validate.conf ;;
    esac
}

# The PREEMPT_RT kernel from Debian. Other distributions: README.md. Never removed by rollback: the
# running kernel might be it; apt-get remove it yourself after booting another.
step_kernel() {
    local pkgs=(linux-image-rt-amd64 linux-headers-rt-amd64) missing=() p
    for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
    case $1 in
        show) ((${#missing[@]})) && say "would install: ${missing[*]}" || say "kernel: ${pkgs[*]} installed" ;;
        apply) if ((${#missing[@]})); then run apt-get install -y --no-install-recommends "${missing[@]}"; changed=1; else say "kernel: ${pkgs[*]} installed"; fi ;;
        rollback) say "kernel: left installed (remove with apt-get remove ${pkgs[*]} after booting another kernel)" ;;
    esac
}

rt_params() { echo "isolcpus=managed_irq,domain,$RT_CPUS nohz_full=$RT_CPUS rcu_nocbs=$RT_CPUS irqaffinity=$HOUSEKEEPING_CPUS"; }

# The RT command line goes in a drop-in that GRUB's update-grub reads after /etc/default/grub: the
# distribution's file is untouched, every installed kernel keeps its entry (Advanced options), and
# rollback is deleting the drop-in.
step_cmdline() {
    load_conf
    local dropin=/etc/default/grub.d/validate-rt.cfg
    case $1 in
        show|apply)
            put $dropin "# Validate (rt-setup/lab/setup.sh cmdline): real-time CPUs $RT_CPUS, housekeeping $HOUSEKEEPING_CPUS
GRUB_CMDLINE_LINUX_DEFAULT=\"\$GRUB_CMDLINE_LINUX_DEFAULT $(rt_params)\"" 0644 "$1" ;;
        rollback) unput $dropin ;;
    esac
    if [[ $1 != show && ${changed:-0} == 1 ]]; then
        run update-grub
        say "the new command line takes effect at the next boot: $(rt_params)"
    fi
}

dkms_version() { sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$checkout/kmod/dkms.conf"; }

# valirq under DKMS: rebuilt for every kernel the machine installs (AUTOINSTALL).
step_dkms() {
    local v; v=$(dkms_version)
    local src=/usr/src/valirq-$v
    case $1 in
        show) say "would copy kmod/ to $src and run: dkms install valirq/$v" ;;
        apply)
            mkdir -p "$sysroot$src"
            # The module's sources are the files Kbuild lists (valirq_*.c), its headers and the UAPI.
            cp -r "$checkout/kmod/Kbuild" "$checkout/kmod/Makefile" "$checkout/kmod/dkms.conf" \
                "$checkout"/kmod/*.c "$checkout"/kmod/*.h "$checkout/kmod/include" "$sysroot$src/"
            say "$src: source copied"
            if ((live)); then
                command -v dkms >/dev/null || apt-get install -y --no-install-recommends dkms
                dkms status valirq/"$v" | grep -q . || dkms add valirq/"$v"
                dkms install valirq/"$v"
            else say "(SYSROOT set: not running dkms install valirq/$v)"; fi ;;
        rollback)
            if ((live)) && command -v dkms >/dev/null; then dkms remove valirq/"$v" --all || true; fi
            rm -rf "$sysroot$src"
            say "$src: removed" ;;
    esac
}

# Who may use the cards and run real-time: the group `validate` gets /dev/valirq-* (udev), rtprio 95 and
# unlimited locked memory (limits.d: PAM logins only; services get the same from LimitRTPRIO= and
# LimitMEMLOCK= in the unit, see step nightly).
step_access() {
    case $1 in
        show|apply)
            if ((live)) && [[ $1 == apply ]] && ! getent group validate >/dev/null; then groupadd --system validate; say "group validate: created"; fi
            put /etc/udev/rules.d/70-valirq.rules '# Validate: the valirq devices belong to the group validate (rt-setup/lab/setup.sh access)
SUBSYSTEM=="misc", KERNEL=="valirq-*", GROUP="validate", MODE="0660"' 0644 "$1"
            put /etc/security/limits.d/90-validate.conf '# Validate: real-time priority and locked memory for the group validate (rt-setup/lab/setup.sh access)
@validate - rtprio 95
@validate - memlock unlimited' 0644 "$1"
            if [[ $1 == apply && ${changed:-0} == 1 ]]; then run udevadm control --reload; run udevadm trigger --subsystem-match=misc; fi ;;
        rollback)
            unput /etc/udev/rules.d/70-valirq.rules
            unput /etc/security/limits.d/90-validate.conf
            if ((live)) && getent group validate >/dev/null; then groupdel validate && say "group validate: removed" || true; fi ;;
    esac
}

unit_bind() {
    cat <<UNIT
# Validate: bind the plan's cards to valirq at boot (rt-setup/lab/setup.sh bind), before any test runs.
[Unit]
Description=Validate: bind the cards under test to valirq
After=systemd-modules-load.service systemd-udev-settle.service
Before=validate-nightly.service

[Service]
Type=oneshot
RemainAfterExit=yes
EnvironmentFile=/etc/validate/validate.conf
ExecStart=$VALIDATE_ROOT/rt-setup/lab/bind-cards.sh

[Install]
WantedBy=multi-user.target
UNIT
}

# Binding at boot: load valirq, then for each card of VALIRQ_CARDS set driver_override and rebind (the
# vendor driver, if any, lets go). validate-bind.service does it on every boot.
step_bind() {
    load_conf
    case $1 in
        show|apply)
            put /etc/modules-load.d/valirq.conf '# Validate: load valirq at boot (rt-setup/lab/setup.sh bind)
valirq' 0644 "$1"
            put /etc/systemd/system/validate-bind.service "$(unit_bind)" 0644 "$1"
            if [[ $1 == apply ]]; then run systemctl daemon-reload; run systemctl enable --now validate-bind.service; fi ;;
        rollback)
            if ((live)); then systemctl disable --now validate-bind.service 2>/dev/null || true; fi
            unput /etc/systemd/system/validate-bind.service
            unput /etc/modules-load.d/valirq.conf
            run systemctl daemon-reload ;;
    esac
}

unit_nightly() {
    cat <<UNIT
# Validate: the nightly run of this machine's plan (rt-setup/lab/setup.sh nightly).
# Type=oneshot: systemd does not start it again while a run is going; flock also stops a second,
# manual start (exit 75, counted as success: nothing was started). A night whose verdict is FAIL
# fails the unit (exit 1), so that systemctl --failed shows it too.
[Unit]
Description=Validate: nightly run of the plan in /etc/validate/validate.conf
Wants=validate-bind.service
After=validate-bind.service network-online.target

[Service]
Type=oneshot
EnvironmentFile=/etc/validate/validate.conf
# limits.d applies to PAM sessions only; a service gets its limits here.
LimitRTPRIO=95
LimitMEMLOCK=infinity
Nice=-5
WorkingDirectory=$VALIDATE_ROOT
ExecStart=/usr/bin/flock --nonblock --conflict-exit-code 75 /run/validate-nightly.lock $VALIDATE_ROOT/validate run \${VALIDATE_PLAN}
SuccessExitStatus=75
TimeoutStartSec=6h

[Install]
WantedBy=multi-user.target
UNIT
}

unit_timer() {
    cat <<UNIT
# Validate: when the nightly run starts (rt-setup/lab/setup.sh nightly). Persistent: a night missed while
# the machine was off runs at the next boot.
[Unit]
Description=Validate: nightly run timer

[Timer]
OnCalendar=$VALIDATE_ON_CALENDAR
Persistent=true
Unit=validate-nightly.service

[Install]
WantedBy=timers.target
UNIT
}

step_nightly() {
    load_conf
    : "${VALIDATE_ON_CALENDAR:?$conf: set VALIDATE_ON_CALENDAR (e.g. \"*-*-* 02:00:00\")}"
    case $1 in
        show|apply)
            put /etc/systemd/system/validate-nightly.service "$(unit_nightly)" 0644 "$1"
            put /etc/systemd/system/validate-nightly.timer "$(unit_timer)" 0644 "$1"
            if [[ $1 == apply ]]; then run systemctl daemon-reload; run systemctl enable --now validate-nightly.timer; fi ;;
        rollback)
            if ((live)); then systemctl disable --now validate-nightly.timer 2>/dev/null || true; fi
            unput /etc/systemd/system/validate-nightly.timer
            unput /etc/systemd/system/validate-nightly.service
            run systemctl daemon-reload ;;
    esac
}

steps=(config kernel cmdline dkms access bind nightly)
[[ $# -eq 2 ]] || die "usage: $0 STEP show|apply|rollback (STEP: ${steps[*]} all)" 64
step=$1 action=$2
[[ $action =~ ^(show|apply|rollback)$ ]] || die "'$action': use show, apply or rollback" 64
if ((live)) && [[ $action != show && $EUID -ne 0 ]]; then die "$action changes the system: run as root (or set SYSROOT to try it in a folder)" 4; fi
if [[ $step == all ]]; then
    list=("${steps[@]}")
    if [[ $action == rollback ]]; then list=(); for ((i=${#steps[@]}-1; i>=0; i--)); do list+=("${steps[i]}"); done; fi
else
    [[ " ${steps[*]} " == *" $step "* ]] || die "'$step' is not a step; use one of: ${steps[*]} all" 64
    list=("$step")
fi
for s in "${list[@]}"; do
    changed=0
    say "== $s $action"
    "step_$s" "$action"
done
