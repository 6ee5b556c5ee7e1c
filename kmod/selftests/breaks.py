#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Deliberately broken valirq builds, to show that each selftest fails when the code it guards breaks.

Each break is one substitution in a copy of kmod/'s sources (nothing in kmod/ is touched), built
against the lab kernel's headers, with the tests (name filters of valirq_test) that must fail on it.

    kmod/selftests/breaks.py list                  what each break does and which tests must catch it
    kmod/selftests/breaks.py build DIR [NAME...]   DIR/NAME/valirq.ko per break, DIR/plan.txt
    ./validate vlab --topology T --bind valirq -- kmod/selftests/breaks-guest.sh DIR T

breaks-guest.sh loads each break planned for topology T in turn, runs its tests and reports, per
break, whether every test that should fail did (a break whose tests all pass is a weak test).
A break whose source no longer matches (the module changed) is reported and skipped.
"""
import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KMOD = os.path.dirname(HERE)

# name, topology, filters (each a substring of the names of tests that must fail), file, old, new
BREAKS = [
    ("bound-u32-wrap", "single-msi", ["0xfffffffc"], "valirq_prog.c",
     "if ((u64)r->offset + r->width > pci_resource_len(pdev, r->bar)) {",
     "if ((u32)(r->offset + r->width) > pci_resource_len(pdev, r->bar)) {",
     "offset+width computed in 32 bits (wraps to 0 at 0xfffffffc)"),
    ("enable-flags-unchecked", "single-msi", ["unknown enable flag"], "valirq_intrs.c",
     "if (en->flags & ~(VALIRQ_ENABLE_AUTOREARM | VALIRQ_ENABLE_BUSMASTER)) {", "if (0) {",
     "unknown enable flags accepted"),
    ("policy-unchecked", "single-msi", ["unknown quiesce policy"], "valirq_prog.c",
     "if (q->policy > VALIRQ_RELEASE_QUIESCE_THEN_RESET) {", "if (0) {",
     "unknown release policies accepted"),
    ("no-cap-check", "single-msi", ["CAP_SYS_RAWIO"], "valirq_main.c",
     "if (!capable(CAP_SYS_RAWIO))", "if (0)",
     "open without CAP_SYS_RAWIO allowed"),
    ("bars-unreserved", "single-msi", ["BARs reserved"], "valirq_bar.c",
     "ret = pci_request_regions(pdev, vd->name);", "ret = 0;",
     "BARs not reserved (sysfs resource0 mappable)", [("valirq_bar.c", "pci_release_regions(vd->pdev);", "(void)0;")]),
    ("no-compat-ioctl", "single-msi", ["32-bit compat"], "valirq_main.c",
     ".compat_ioctl = compat_ptr_ioctl,", "",
     "the device has no compat_ioctl (32-bit callers get ENOTTY)"),
    ("overrun-no-flag", "single-msi", ["overrun"], "valirq_ring.c",
     "ev->flags |= VALIRQ_EV_OVERRUN;", "(void)0;",
     "the record after drops carries the count but not VALIRQ_EV_OVERRUN"),
    ("overrun-spurious-flag", "single-msi", ["overrun"], "valirq_ring.c",
     "if (vd->dropped) {", "if (vd->dropped || vd->seq == 10) {",
     "record 10 is flagged OVERRUN with nothing dropped (the old test threw these flags away)"),
    ("threaded-primary", "single-msi", ["hard IRQ context"], "valirq_intrs.c",
     "unsigned long flags = IRQF_ONESHOT;", "unsigned long flags = 0;",
     "MSI/exclusive requested without IRQF_ONESHOT: PREEMPT_RT force-threads the primary handler"),
    ("master-always", "single-msi", ["bus mastering: off unless"], "valirq_intrs.c",
     "bool master = en->mode == VALIRQ_MODE_MSI || (en->flags & VALIRQ_ENABLE_BUSMASTER);", "bool master = true;",
     "bus mastering enabled on every enable"),
    ("master-kept", "single-msi", ["no DMA after a kill", "bus mastering: off unless"], "valirq_intrs.c",
     "\tvalirq_set_master(vd, false);\n\traw_spin_lock_irq(&vd->ev_lock);\n\tvalirq_intx_hold_locked(vd, VALIRQ_HOLD_OFF);",
     "\traw_spin_lock_irq(&vd->ev_lock);\n\tvalirq_intx_hold_locked(vd, VALIRQ_HOLD_OFF);",
     "shutdown (release, disable, revoke) leaves bus mastering on"),
    ("revoke-keeps-irq", "single-msi", ["no ack step runs", "interrupts shut down"], "valirq_bar.c",
     "\tvalirq_zap(vd);\n\tvalirq_shutdown(vd, false, false);", "\tvalirq_zap(vd);",
     "revocation zaps the mappings but leaves the interrupts and programs running"),
    ("revoked-droppable", "single-msi", ["full ring"], "valirq_ring.c",
     "u32 room = control ? VALIRQ_RING_SIZE : VALIRQ_RING_SIZE - VALIRQ_RING_RESERVED;",
     "u32 room = VALIRQ_RING_SIZE - VALIRQ_RING_RESERVED + 0 * control;",
     "control records get no reserved slots: REVOKED dropped by a full ring"),
    ("stimulus-after-revoke", "single-msi", ["ENABLE/ACK/write/stimulus EPERM"], "valirq_debugfs.c",
     "if (vd->revoked) {\n\t\tdev_dbg(&vd->pdev->dev, \"stimulus: the opener was revoked\\n\");",
     "if (0) {\n\t\tdev_dbg(&vd->pdev->dev, \"stimulus: the opener was revoked\\n\");",
     "the debugfs stimulus writes the card of a revoked opener"),
    ("no-quiesce-failure-count", "single-msi", ["release policies"], "valirq_intrs.c",
     "atomic64_inc(&vd->c_quiesce_failures);", "(void)0;",
     "a release that leaves the card interrupting is not counted"),
    ("no-wake-on-unbind", "single-msi", ["readers blocked"], "valirq_main.c",
     "\t\tvalirq_push_control(vd, VALIRQ_EV_GONE | vd->release_flags);", "",
     "unbind queues no GONE record and wakes nobody", [("valirq_main.c", "\twake_up_interruptible_all(&vd->wait);\n", "")]),
    ("no-zap-on-unbind", "single-msi", ["unbind with a mapping"], "valirq_main.c",
     "\t\tvalirq_zap(vd);\n", "",
     "unbind leaves the opener's mappings on the BAR"),
    ("stamp-in-thread", "single-msi", ["events in order: MSI with IRQ program"], "valirq_intrs.c",
     "ev.hardirq_ns = vd->pending_ns;", "ev.hardirq_ns = ev.thread_ns + 1;",
     "the record's hard IRQ stamp taken after the thread's"),
    # Last on its boot: the kernel then reads past the BAR (the check, at release) and oopses.
    ("bound-offset-only", "single-msi", ["aligned offset = BAR size"], "valirq_prog.c",
     "if ((u64)r->offset + r->width > pci_resource_len(pdev, r->bar)) {",
     "if ((u64)r->offset > pci_resource_len(pdev, r->bar)) {",
     "the bounds check compares the offset, not offset+width (accepts offset == BAR size)"),
    ("start-not-clean", "shared-intx", ["next opener starts clean"], "valirq_intrs.c",
     "valirq_intx_unhold_locked(vd, VALIRQ_HOLD_OFF | VALIRQ_HOLD_LOUD);", "valirq_intx_unhold_locked(vd, VALIRQ_HOLD_OFF);",
     "an INTx enable keeps a card left asserting masked: its pending interrupt never reaches the next opener"),
    ("share-flags", "shared-intx", ["uio_pci_generic neighbour"], "valirq_intrs.c",
     "(IS_ENABLED(CONFIG_PREEMPT_RT) ? IRQF_ONESHOT : IRQF_NO_THREAD)",
     "(IS_ENABLED(CONFIG_PREEMPT_RT) ? IRQF_NO_THREAD : IRQF_ONESHOT)",
     "shared-mode flags that disagree with a force-threaded neighbour (what a standard kernel would see), no retry",
     [("valirq_intrs.c", "\tif (ret == -EBUSY) {\n\t\tflags ^=", "\tif (0) {\n\t\tflags ^=")]),
    ("threaded-primary-intx", "single-intx", ["hard IRQ context"], "valirq_intrs.c",
     "unsigned long flags = IRQF_ONESHOT;", "unsigned long flags = 0;",
     "exclusive INTx requested without IRQF_ONESHOT: PREEMPT_RT force-threads the primary handler"),
    # Last on its boot: a dead line.
    ("no-exclusive-guard", "single-intx", ["INTx guard (exclusive line)", "random programs"], "valirq_intrs.c",
     "\t} else if (!ours) {\n", "\t} else if (!ours) {\n\t\tgoto not_ours;\n",
     "exclusive line: an interrupt the check does not recognise returns IRQ_NONE (v1's behaviour: nobody cared)"),
    # Last on its boot: a dead line ("nobody cared") spoils every later test of that boot.
    ("no-line-guard", "shared-intx", ["a check that disagrees", "random programs"], "valirq_intrs.c",
     "\tif (!ours && shared) {\n\t\tif (!vd->has_program", "\tif (!ours && shared) {\n\t\tgoto not_ours;\n\t\tif (!vd->has_program",
     "shared line: a check that disagrees with the asserting card returns IRQ_NONE (no guard)"),
    # v3: the new interfaces. On single-msi (edu) the generic validation, on intel-msix (82574L) the rest.
    ("vectors-outside-msix", "single-msi", ["enable vectors outside MSI-X mode"], "valirq_intrs.c",
     "if (en->vectors && en->mode != VALIRQ_MODE_MSIX) {", "if (0) {",
     "vectors accepted (and ignored) in a mode other than MSI-X"),
    ("enable-reserved-unchecked", "single-msi", ["enable reserved field set"], "valirq_intrs.c",
     "if (en->reserved) {", "if (0) {",
     "valirq_enable.reserved accepted when not zero"),
    ("prog-flags-unchecked", "single-msi", ["unknown program flag"], "valirq_prog.c",
     "if (p->flags & ~VALIRQ_PROG_READ_TO_CLEAR) {", "if (0) {",
     "unknown program flags accepted"),
    ("init-write-status", "single-msi", ["WRITE_STATUS as an init step", "WRITE_STATUS as a disable step"], "valirq_prog.c",
     "ret = valirq_validate_steps(vd, in->init, in->n_init, VALIRQ_STEPS_NO_STATUS);",
     "ret = valirq_validate_steps(vd, in->init, in->n_init, VALIRQ_STEPS_WRITE);",
     "WRITE_STATUS accepted in init and disable steps",
     [("valirq_prog.c", "ret = valirq_validate_steps(vd, in->disable, in->n_disable, VALIRQ_STEPS_NO_STATUS);",
       "ret = valirq_validate_steps(vd, in->disable, in->n_disable, VALIRQ_STEPS_WRITE);")]),
    ("msix-range-unchecked", "intel-msix", ["82574L: EINVAL"], "valirq_intrs.c",
     "if (!vectors || (nvec < VALIRQ_MAX_VECTORS && vectors >> nvec)) {", "if (!vectors) {",
     "MSI-X vectors beyond the table size not refused up front (the allocation fails with ENOSPC instead)"),
    ("msix-vector-zero", "intel-msix", ["each record on its cause's vector", "a vector that fired stays masked"],
     "valirq_intrs.c",
     "struct valirq_event ev = { .thread_ns = ktime_get_ns(), .vector = v->index };",
     "struct valirq_event ev = { .thread_ns = ktime_get_ns(), .vector = 0 };",
     "records do not carry their vector (always 0)"),
    ("msix-no-vector-mask", "intel-msix", ["a vector that fired stays masked"], "valirq_intrs.c",
     "\t\tif (!shared)\n\t\t\tdisable_irq_nosync(irq);",
     "\t\tif (!shared && vd->mode != VALIRQ_MODE_MSIX)\n\t\t\tdisable_irq_nosync(irq);",
     "MSI-X vectors are not masked after they fire (events stream as with AUTOREARM)"),
    ("init-not-run", "intel-msix", ["82574L init", "each record on its cause's vector"], "valirq_intrs.c",
     "\tvalirq_run_steps(vd, vd->init.init, vd->init.n_init, 0);\n", "",
     "ENABLE does not run the init steps"),
    ("disable-not-run", "intel-msix", ["82574L disable steps"], "valirq_intrs.c",
     "\t\tvalirq_run_steps(vd, vd->init.disable, vd->init.n_disable, 0);\n", "\t\t(void)0;\n",
     "DISABLE and release do not run the disable steps"),
    ("disable-when-revoked", "intel-msix", ["82574L disable steps"], "valirq_intrs.c",
     "if (mode != VALIRQ_MODE_OFF && !vd->revoked)\n\t\tvalirq_run_steps(vd, vd->init.disable",
     "if (mode != VALIRQ_MODE_OFF)\n\t\tvalirq_run_steps(vd, vd->init.disable",
     "a revoked opener's disable steps run at the revocation"),
    ("rtc-read-at-enable", "intel-msix", ["read-to-clear (INTx)"], "valirq_intrs.c",
     "if (vd->has_program && !valirq_read_to_clear(vd) &&\n\t\t    valirq_intx_asserted_locked(vd))",
     "if (vd->has_program &&\n\t\t    valirq_intx_asserted_locked(vd))",
     "ENABLE (INTx) reads a read-to-clear check while the card asserts: the pending cause is lost"),
    ("rtc-read-at-release", "intel-msix", ["read-to-clear (MSI-X)", "read-to-clear (MSI)", "read-to-clear (INTx)"],
     "valirq_intrs.c",
     "if (vd->has_program && !vd->revoked && !valirq_read_to_clear(vd) &&\n\t    valirq_check(vd, &status))",
     "if (vd->has_program && !vd->revoked &&\n\t    valirq_check(vd, &status))",
     "the release reads a read-to-clear check to see whether the card still interrupts"),
    ("rtc-read-twice", "intel-msix", ["read-to-clear (MSI)"], "valirq_intrs.c",
     "\tif (vd->has_program)\n\t\tvalirq_run_steps(vd, vd->prog.ack, vd->prog.n_ack, status);",
     "\tif (vd->has_program)\n\t\tvalirq_check(vd, &status);\n\tif (vd->has_program)\n\t\tvalirq_run_steps(vd, vd->prog.ack, vd->prog.n_ack, status);",
     "the hard IRQ reads the check a second time (the record's status is the second, empty read)"),
    # The module-level debugfs window (any driver): on single-msi, where its tests run on the edu card.
    ("window-no-align", "single-msi", ["debugfs window: EINVAL for widths", "debugfs window: STIMULUS EINVAL"],
     "valirq_debugfs.c",
     "if (offset % width || offset + width > w->len)", "if (offset + width > w->len)",
     "the window accepts misaligned accesses and stimuli"),
    ("window-no-ebusy", "single-msi", ["EBUSY on retargeting", "32-bit compat"], "valirq_debugfs.c",
     "if (w->pdev) {\n\t\tret = -EBUSY;", "if (0) {\n\t\tret = -EBUSY;",
     "a second VALIRQ_IOC_WINDOW retargets the file (and leaks the first reference and mapping)"),
    ("window-stimulus-no-write", "single-msi", ["timestamped STIMULUS raises", "STIMULUS stamp precedes",
                                                "debugfs window: STIMULUS EINVAL", "32-bit compat"], "valirq_debugfs.c",
     "\t\tvalirq_iowrite(w->base + st.reg.offset, st.reg.width, st.value);\n", "",
     "the window's STIMULUS takes the timestamp but skips the write"),
    ("window-stimulus-any-bar", "single-msi", ["debugfs window: STIMULUS EINVAL"], "valirq_debugfs.c",
     "st.reg.bar != w->bar ||", "",
     "the window's STIMULUS ignores reg.bar (writes the targeted BAR whatever the register says)"),
    ("window-io-bar", "single-msi", ["VALIRQ_IOC_WINDOW EINVAL"], "valirq_debugfs.c",
     "if (!(flags & IORESOURCE_MEM) || (flags & IORESOURCE_UNSET) ||",
     "if (!(flags & (IORESOURCE_MEM | IORESOURCE_IO)) || (flags & IORESOURCE_UNSET) ||",
     "the window targets I/O BARs"),
    ("window-reserved", "single-msi", ["VALIRQ_IOC_WINDOW EINVAL"], "valirq_debugfs.c",
     "if (t.reserved || t.bar >= PCI_STD_NUM_BARS)", "if (t.bar >= PCI_STD_NUM_BARS)",
     "valirq_window.reserved accepted when not zero"),
    ("window-no-compat", "single-msi", ["32-bit compat"], "valirq_debugfs.c",
     "\t.unlocked_ioctl = valirq_dbg_window_ioctl,\n\t.compat_ioctl = compat_ptr_ioctl,\n",
     "\t.unlocked_ioctl = valirq_dbg_window_ioctl,\n",
     "the window has no compat_ioctl (32-bit callers get ENOTTY)"),
    ("window-untargeted-ok", "single-msi", ["ENXIO for read, write and STIMULUS"], "valirq_debugfs.c",
     "\tif (!w->pdev)\n\t\treturn -ENXIO;\n", "\tif (!w->pdev)\n\t\treturn 0;\n",
     "an untargeted window reports success (and its accesses would go through a NULL base: the read path"
     " is guarded below)", [("valirq_debugfs.c", "\tif (!ret) {\n\t\tif (write)\n\t\t\tvalirq_iowrite(w->base",
                              "\tif (!ret && w->pdev) {\n\t\tif (write)\n\t\t\tvalirq_iowrite(w->base"),
                             ("valirq_debugfs.c", "\tif (!ret) {\n\t\t/* Nothing between",
                              "\tif (!ret && w->pdev) {\n\t\t/* Nothing between")]),
]


def apply(src_dir, name):
    b = next(x for x in BREAKS if x[0] == name)
    edits = [(b[3], b[4], b[5])] + (list(b[7]) if len(b) > 7 else [])
    for f, old, new in edits:
        path = os.path.join(src_dir, f)
        text = open(path).read()
        if text.count(old) != 1:
            return f"{f}: the text to break occurs {text.count(old)} times (the module changed)"
        open(path, "w").write(text.replace(old, new))
    return None


def kdir():
    dirs = sorted(glob.glob("/lib/modules/*-rt-amd64/build"))
    return os.environ.get("KDIR") or dirs[-1]


def build(out, names):
    os.makedirs(out, exist_ok=True)
    plan = []
    for b in BREAKS:
        if names and b[0] not in names:
            continue
        d = os.path.join(out, b[0])
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for f in glob.glob(os.path.join(KMOD, "*.[ch]")) + [os.path.join(KMOD, "Kbuild")]:
            if not os.path.basename(f).startswith("valirq.mod"):
                shutil.copy(f, d)
        shutil.copytree(os.path.join(KMOD, "include"), os.path.join(d, "include"))
        err = apply(d, b[0])
        if err:
            print(f"{b[0]}: SKIPPED: {err}")
            continue
        r = subprocess.run(["make", "-s", "-C", kdir(), f"M={d}", "modules"], capture_output=True, text=True)
        if r.returncode or not os.path.exists(os.path.join(d, "valirq.ko")):
            print(f"{b[0]}: BUILD FAILED: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
            continue
        plan.append(f"{b[0]}|{b[1]}|{';'.join(b[2])}|{b[6]}")
        print(f"{b[0]}: built ({b[6]})")
    with open(os.path.join(out, "plan.txt"), "w") as f:
        f.write("\n".join(plan) + "\n")


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "list":
        for b in BREAKS:
            print(f"{b[0]} [{b[1]}]: {b[6]}\n    must fail: {', '.join(b[2])}")
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3:])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
