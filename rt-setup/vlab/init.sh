#!/bin/busybox sh
# SPDX-License-Identifier: MIT
# Guest init of the Validate virtual lab (runs as PID 1 from the initramfs).
#
# Kernel command line parameters, set by the host launcher (harness/Validate.Core/Lab):
#   vlab.mode=probe   print VLAB-PROBE-OK on ttyS0 and power off (accelerator probe)
#   vlab.out=PATH     host path of the writable results share; it is mounted over
#                     the same path inside the chroot, so paths match host and guest
#   vlab.topology=N   topology name, exported to the command as VALIDATE_VLAB_TOPOLOGY
#   vlab.bind=DRIVER  driver the edu cards are bound to before the command (driver_override),
#                     or "none" to leave them unbound
#   vlab.kernel=NAME  the lab kernel flavour (rt, generic), exported as VALIDATE_VLAB_KERNEL
#   vlab.dumpat=EPOCH when the command still runs at this time (seconds since the epoch, the host's clock,
#                     shortly before its timeout kills QEMU): write guest-tasks.txt (every task's state, wait
#                     channel, system call and kernel stack; the managed stacks of .NET processes) and kernel.log
#   vlab.validate=P   the validate CLI (a path in the host root) that reads those managed stacks
# Files in the results share: command.sh (written by the host, run as root in a
# chroot of the host's root, output on ttyS1), modules (extra .ko paths to
# insmod, one per line, built for the kernel booted; valirq.ko's path is exported to the
# command as VALIDATE_VALIRQ_KO, for whatever loads it again), and written here: topology.txt, exit-status,
# kernel.log (the whole guest dmesg), init.log (this script's own trace), guest-tasks.txt (see vlab.dumpat).
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo vlab > /proc/sys/kernel/hostname
mount -t devtmpfs devtmpfs /dev

mode=run out= topology= bind=none kernel= dumpat= validate=
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        vlab.mode=*) mode=${arg#vlab.mode=} ;;
        vlab.out=*) out=${arg#vlab.out=} ;;
        vlab.topology=*) topology=${arg#vlab.topology=} ;;
        vlab.bind=*) bind=${arg#vlab.bind=} ;;
        vlab.kernel=*) kernel=${arg#vlab.kernel=} ;;
        vlab.dumpat=*) dumpat=${arg#vlab.dumpat=} ;;
        vlab.validate=*) validate=${arg#vlab.validate=} ;;
    esac
done

die() {
    echo "vlab-init: $*" > /dev/ttyS0
    echo "vlab-init: $*" > /dev/ttyS1
    poweroff -f
}

if [ "$mode" = probe ]; then
    echo VLAB-PROBE-OK > /dev/ttyS0
    poweroff -f
fi

for m in $(cat /modules/order); do
    insmod "/modules/$m" || die "insmod $m failed"
done
# virtio devices probe asynchronously: wait (at most 10 s) for both 9p tags.
wait_tag() {
    i=0
    # (mount_tag has no newline and may end in NUL: match per file)
    while ! grep -aqs "^$1" /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag; do
        i=$((i + 1)); [ $i -le 200 ] || return 1; sleep 0.05
    done
}
wait_tag hostroot && wait_tag vlabout || die "9p shares hostroot/vlabout did not appear within 10 s"
# cache=loose: the guest keeps what it read (pages, attributes, names) instead of asking the host again on
# every open, stat and read; the host root does not change while the guest runs (the host waits for it).
# Measured in the lab: validate --help 10 s -> 5-7 s, a 10-sample validate run 68-70 s -> 51-56 s.
# The run directory's share (written by both sides) keeps the default, uncached.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host \
    || die "cannot mount the host root (9p tag hostroot)"
# The chroot: the host's root read-only, kernel filesystems and scratch space writable.
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
mkdir -p /host/dev/pts /host/dev/shm 2>/dev/null || true
mount -t devpts devpts /host/dev/pts
mount -t tmpfs tmpfs /host/dev/shm
# /tmp and /var/tmp: the host's content stays visible (a checkout may live there), writes go to a
# tmpfs above it (overlayfs); plain tmpfs if overlay is not available.
mkdir -p /scratch
mount -t tmpfs -o mode=0755 tmpfs /scratch
chroot /host /sbin/modprobe overlay 2>/dev/null
for d in tmp var/tmp; do
    n=$(echo "$d" | tr / _)
    mkdir -p "/scratch/$n/upper" "/scratch/$n/work"
    chmod 1777 "/scratch/$n/upper"
    mount -t overlay overlay -o "lowerdir=/host/$d,upperdir=/scratch/$n/upper,workdir=/scratch/$n/work" "/host/$d" \
        || mount -t tmpfs -o mode=1777 tmpfs "/host/$d"
done
mount -t tmpfs -o mode=0755 tmpfs /host/run
mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /host/sys/kernel/tracing 2>/dev/null
# The results share goes on last, so that a scratch tmpfs (say /tmp) cannot hide it.
# (Under a scratch tmpfs the directory is created there; elsewhere it exists in the host root.)
[ -n "$out" ] || die "no vlab.out= on the kernel command line"
mkdir -p /out "/host$out" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vlabout /out \
    || die "cannot mount the results share (9p tag vlabout)"
mount --bind /out "/host$out" || die "cannot bind the results share on $out"
log="/host$out/init.log"
: > "$log"
trace() { echo "$*" >> "$log"; }
trace "mounted host root and results share at $out (kernel $(uname -r), ${kernel:-rt})"
valirq_ko=

# Modules every topology needs, then the project's own (listed by the host).
for m in uio uio_pci_generic; do
    chroot /host /sbin/modprobe "$m" >> "$log" 2>&1 || die "modprobe $m failed"
done
# VFIO where the kernel has an IOMMU to give it (an iommu topology): vfio-pci for the vfio backend.
if [ -n "$(ls /sys/class/iommu 2>/dev/null)" ]; then
    chroot /host /sbin/modprobe vfio-pci >> "$log" 2>&1 || die "modprobe vfio-pci failed"
    trace "IOMMU present: vfio-pci loaded"
fi
if [ -f "/host$out/modules" ]; then
    while read -r ko; do
        [ -n "$ko" ] || continue
        chroot /host /sbin/insmod "$ko" >> "$log" 2>&1 || die "insmod $ko failed"
        trace "insmod $ko"
        [ "${ko##*/}" = valirq.ko ] && valirq_ko=$ko
    done < "/host$out/modules"
fi

# The topology's cards: the host lists their ids in card-ids ("0xVENDOR 0xDEVICE" per line).
is_card() {
    [ -f "/host$out/card-ids" ] || return 1
    grep -qx "$(cat "$1/vendor") $(cat "$1/device")" "/host$out/card-ids"
}

# Cards as the guest sees them: address, vendor, device, irq.
: > "/host$out/topology.txt"
for d in /sys/bus/pci/devices/*; do
    is_card "$d" || continue
    echo "${d##*/} $(cat "$d/vendor") $(cat "$d/device") $(cat "$d/irq")" >> "/host$out/topology.txt"
done

# Bind the cards (so their lines show in /proc/interrupts), through driver_override as a lab would.
if [ "$bind" != none ]; then
    for d in /sys/bus/pci/devices/*; do
        is_card "$d" || continue
        echo "$bind" > "$d/driver_override"
        [ -e "$d/driver" ] && echo "${d##*/}" > "$d/driver/unbind"
        echo "${d##*/}" > /sys/bus/pci/drivers_probe
        [ "$(basename "$(readlink "$d/driver")")" = "$bind" ] || die "cannot bind ${d##*/} to $bind"
        trace "bound ${d##*/} to $bind"
    done
fi

# What every task was doing shortly before the host's timeout: the kernel's side from /proc, the managed
# stacks of .NET processes from `validate dump-stacks` (at most 30 s each), then the kernel log. Written
# from here, outside the chroot; run once at vlab.dumpat by a watcher that only sleeps until then.
dump_tasks() {
    echo "# the guest's tasks at $(date -u +%H:%M:%S) UTC (uptime $(cut -d' ' -f1 /proc/uptime) s), shortly before the lab's timeout"
    for t in /proc/[0-9]*/task/[0-9]*; do
        st=$(cat "$t/stat" 2>/dev/null) || continue
        st=${st##*) }
        pid=${t#/proc/}
        echo "task ${t##*/} of process ${pid%%/*} ($(cat "$t/comm" 2>/dev/null)): state ${st%% *}, wchan $(cat "$t/wchan" 2>/dev/null), syscall $(cut -d' ' -f1 "$t/syscall" 2>/dev/null)"
        sed 's/^/    /' "$t/stack" 2>/dev/null
    done
    [ -n "$validate" ] && [ -x "/host$validate" ] || return 0
    # The processes a command runs for the CLI (a suites runner, a card driver) first: what QEMU's kill cuts
    # short is the CLI's own, which mostly waits for them.
    for pass in others validate; do
        for p in /proc/[0-9]*; do
            grep -qs libcoreclr "$p/maps" || continue
            c=$(cat "$p/comm" 2>/dev/null)
            { [ "$c" = validate ] && [ $pass = others ]; } && continue
            { [ "$c" != validate ] && [ $pass = validate ]; } && continue
            echo "# managed stacks of process ${p#/proc/} ($c)"
            timeout 30 chroot /host /usr/bin/env -i PATH=/usr/bin:/bin HOME=/tmp DOTNET_NOLOGO=1 "$validate" dump-stacks "${p#/proc/}" 2>&1
        done
    done
}
watcher=
if [ -n "$dumpat" ]; then
    (
        wait_s=$((dumpat - $(date +%s)))
        [ "$wait_s" -gt 0 ] && sleep "$wait_s"
        # Whoever takes the lock first: this dump, or the command's end (then nothing is written).
        mkdir /dump.lock 2>/dev/null || exit 0
        trace "the command still runs near the lab's timeout: writing kernel.log and guest-tasks.txt"
        # The kernel log first, then the tasks as they come (the share writes through): what QEMU's kill cuts short stays.
        dmesg > "/host$out/kernel.log"
        dump_tasks > "/host$out/guest-tasks.txt" 2>&1
    ) &
    watcher=$!
fi

stty -F /dev/ttyS1 raw -echo 2>/dev/null
trace "running command"
chroot /host /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 TERM=dumb \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    VALIDATE_VLAB=1 VALIDATE_VLAB_TOPOLOGY="$topology" VALIDATE_VLAB_OUT="$out" \
    VALIDATE_VLAB_KERNEL="${kernel:-rt}" VALIDATE_VALIRQ_KO="$valirq_ko" \
    /bin/sh "$out/command.sh" < /dev/null > /dev/ttyS1 2>&1
status=$?
if [ -n "$watcher" ]; then
    # The watcher still asleep: it will write nothing. Already dumping: let it finish (bounded), so that
    # its kernel.log does not overwrite the one below.
    if mkdir /dump.lock 2>/dev/null; then kill "$watcher" 2>/dev/null; else wait "$watcher"; fi
fi
echo "$status" > "/host$out/exit-status.tmp"
mv "/host$out/exit-status.tmp" "/host$out/exit-status"
trace "command exited with $status"
dmesg > "/host$out/kernel.log"
sync
poweroff -f
