/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * valirq: a PCI function's interrupts, handed to user space with kernel timestamps.
 *
 * One character device per bound function, /dev/valirq-DDDD:BB:DD.F, one opener at a time.
 * The opener describes the card (VALIRQ_IOC_SET_PROGRAM, VALIRQ_IOC_SET_INIT,
 * VALIRQ_IOC_SET_QUIESCE), enables the interrupt in a mode (VALIRQ_IOC_ENABLE), then read()s
 * struct valirq_event records and re-arms with VALIRQ_IOC_ACK or write() of the 32-bit value 1.
 *
 * Test hooks live in debugfs, root only, one directory per bound function,
 * <debugfs>/valirq/DDDD:BB:DD.F/:
 *   stimulus  VALIRQ_IOC_STIMULUS (a timestamped register write, for raise-to-hard-IRQ latency)
 *   revoke    write 1: revoke the current opener, exactly as its own VALIRQ_IOC_REVOKE would
 *             (ENXIO when nobody has the device open)
 *   barN      the harness's window on memory or I/O BAR N, independent of the opener:
 *             pread/pwrite of 1, 2 or 4 bytes at an offset aligned to that width (valirq holds
 *             the BARs reserved, so sysfs resourceN mappings are refused under IO_STRICT_DEVMEM)
 *
 * and one module-level hook, <debugfs>/valirq/window (present while the module is loaded):
 *   window    the harness's window on a memory BAR of any PCI function, whatever driver has it
 *             (vfio-pci, uio_pci_generic, valirq, none): each open is untargeted until
 *             VALIRQ_IOC_WINDOW, then pread/pwrite of 1, 2 or 4 bytes as barN, and
 *             VALIRQ_IOC_STIMULUS on the targeted BAR (see struct valirq_window)
 *
 * All structures are 64-bit clean with explicit reserved fields (must be zero) and no padding
 * holes; their layout is checked against the C# definitions by a test of the harness.
 */
#ifndef _UAPI_LINUX_VALIRQ_H
#define _UAPI_LINUX_VALIRQ_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VALIRQ_UAPI_VERSION	3

/* Most steps in one list of a program. */
#define VALIRQ_MAX_STEPS	8
/*
 * Records the ring between the IRQ thread and the reader holds. The last VALIRQ_RING_RESERVED
 * slots are kept for control records (REVOKED, GONE), which are never lost to a full ring.
 */
#define VALIRQ_RING_SIZE	256
#define VALIRQ_RING_RESERVED	2

/* Address spaces of a register; must match the BAR's. */
#define VALIRQ_SPACE_MEM	0
#define VALIRQ_SPACE_IO		1

/* One register of the card: BAR, offset in it, access width in bytes (1, 2 or 4). */
struct valirq_reg {
	__u8 bar;
	__u8 width;
	__u8 space;
	__u8 reserved;
	__u32 offset;
};

/*
 * Step operations. The check of an IRQ program is a READ_* step; every other step writes.
 *   READ_NE      the card is interrupting when (reg & mask) != value
 *   READ_EQ      the card is interrupting when (reg & mask) == value
 *   WRITE        reg = value
 *   WRITE_STATUS reg = (status & mask), status being what the check read (ack what was seen)
 *   SET_BITS     reg = reg | value
 *   CLEAR_BITS   reg = reg & ~mask
 */
#define VALIRQ_OP_READ_NE	1
#define VALIRQ_OP_READ_EQ	2
#define VALIRQ_OP_WRITE		3
#define VALIRQ_OP_WRITE_STATUS	4
#define VALIRQ_OP_SET_BITS	5
#define VALIRQ_OP_CLEAR_BITS	6

struct valirq_step {
	struct valirq_reg reg;
	__u32 op;
	__u32 mask;
	__u32 value;
	__u32 reserved;
};

/*
 * How to tell that the card is interrupting (check), acknowledge it (ack: run in the hard IRQ
 * handler), mask it at the card (mask: hard IRQ handler, until user space re-arms) and unmask it
 * (unmask: on re-arm). Lists may be empty; n_* say how many steps are used.
 */
struct valirq_program {
	__u32 n_ack;
	__u32 n_mask;
	__u32 n_unmask;
	__u32 flags;		/* VALIRQ_PROG_* */
	struct valirq_step check;
	struct valirq_step ack[VALIRQ_MAX_STEPS];
	struct valirq_step mask[VALIRQ_MAX_STEPS];
	struct valirq_step unmask[VALIRQ_MAX_STEPS];
};

/*
 * Program flags.
 *   READ_TO_CLEAR  the check's register clears itself when read (a cause register such as an
 *                  Intel NIC's ICR). valirq reads it exactly once per hard IRQ, in the check, and
 *                  never again: not at ENABLE, not at re-arm, not at release. The event's status
 *                  is that one read; user space must take it from the event and not read the
 *                  register again (what it would read is what came after). Where valirq would
 *                  have re-read the check (ENABLE's EIO test, the re-arm race test, release's
 *                  "still interrupting" test) it uses the PCI 2.3 Interrupt Status bit when the
 *                  card has PCI 2.3 masking, and otherwise does without.
 */
#define VALIRQ_PROG_READ_TO_CLEAR	(1U << 0)

/*
 * Steps run around the opener's interrupts (VALIRQ_IOC_SET_INIT), for a card that must be told to
 * interrupt at all (an interrupt-enable register, a vector-routing register):
 *   init     run by ENABLE once the vectors or the line are set up and the handlers installed,
 *            before the mode counts as enabled (the card may interrupt right away)
 *   disable  run before the handlers are removed, by DISABLE and by release or unbind ahead of
 *            the quiesce steps (not for a revoked opener: like quiesce, nothing of a revoked
 *            opener's touches the card again)
 * WRITE_STATUS is refused in both (there is no status). Either list may be empty.
 */
struct valirq_init {
	__u32 n_init;
	__u32 n_disable;
	struct valirq_step init[VALIRQ_MAX_STEPS];
	struct valirq_step disable[VALIRQ_MAX_STEPS];
};

/*
 * What the kernel does when the owning file is released (the driver exited or was killed) or the
 * function is unbound. Whatever the policy, bus mastering is cleared, INTx is disabled at the card
 * and the vectors are freed first; then:
 *   QUIESCE            run the steps; a card still interrupting stays INTx-disabled ("neither")
 *   RESET              reset the function (pci_try_reset_function), no steps
 *   QUIESCE_THEN_RESET run the steps; reset the function when the card still interrupts
 * The outcome (quiesced, reset, neither) is counted in sysfs, shown in sysfs last_release and
 * flagged on the next opener's first record (VALIRQ_EV_QUIESCED, _RESET, _UNQUIESCED).
 */
#define VALIRQ_RELEASE_QUIESCE			0
#define VALIRQ_RELEASE_RESET			1
#define VALIRQ_RELEASE_QUIESCE_THEN_RESET	2

struct valirq_quiesce {
	__u32 n_steps;
	__u32 policy;		/* VALIRQ_RELEASE_* */
	struct valirq_step steps[VALIRQ_MAX_STEPS];
};

/*
 * Interrupt modes.
 *   MSI            one MSI vector; masked at the line (vector) until re-armed
 *   INTX_EXCLUSIVE legacy line, not shared; masked at the line until re-armed (fast)
 *   MSIX           the MSI-X vectors chosen in valirq_enable.vectors (bit i: table entry i, below
 *                  valirq_info.msix_vectors, at most 32); each is masked at its vector once it
 *                  fires, until the next re-arm, which unmasks every vector that fired; each
 *                  record carries its vector (valirq_event.vector). The program's check runs in
 *                  each vector's hard IRQ handler.
 *   INTX_SHARED    legacy line, shared; masked at the card by the program's mask steps, or by the
 *                  PCI 2.3 Interrupt Disable bit when the program has no mask steps. Refused
 *                  (EINVAL) on a card without PCI 2.3 masking unless the program has mask steps.
 *
 * The kernel guards the line against a wrong program. On a shared line, when the card asserts
 * INTx (PCI 2.3 Interrupt Status) while the program's check says it is not interrupting, or
 * while the program's mask steps should have silenced it, valirq masks it at the card with the
 * PCI 2.3 Interrupt Disable bit, counts it (sysfs mismatches) and flags the next record
 * (VALIRQ_EV_MISMATCH); a re-arm lifts that mask once the card is silent (EAGAIN before). An
 * MSI vector or an exclusive line is only ever the card's: an interrupt the check does not
 * recognise is counted and flagged the same way and served (masked at the line until re-armed).
 * ENABLE fails with EIO while the card asserts INTx against its own check. A card without
 * PCI 2.3 masking has no Interrupt Status bit: on a shared line its guard is its mask steps.
 *
 * Unless the program says VALIRQ_PROG_READ_TO_CLEAR, the check must have no side effects:
 * valirq reads it in the hard IRQ handler, again to rule out races, at ENABLE, at re-arm and at
 * release.
 */
#define VALIRQ_MODE_OFF			0
#define VALIRQ_MODE_MSI			1
#define VALIRQ_MODE_INTX_EXCLUSIVE	2
#define VALIRQ_MODE_INTX_SHARED		3
#define VALIRQ_MODE_MSIX		4

/*
 * AUTOREARM: the kernel re-arms by itself after each interrupt (no masking until the reader acks);
 * events stream into the ring and a slow reader sees overruns. On INTx it needs a program whose
 * ack steps silence the card.
 */
#define VALIRQ_ENABLE_AUTOREARM		(1U << 0)
/*
 * BUSMASTER: enable PCI bus mastering (the card may DMA) while enabled. It is always on while an
 * MSI mode is enabled (an MSI is a memory write by the card) and always cleared first on disable,
 * release, revocation and unbind. VALIRQ_INFO_BUSMASTER says whether it is on now.
 */
#define VALIRQ_ENABLE_BUSMASTER		(1U << 1)

struct valirq_enable {
	__u32 mode;
	__u32 flags;
	__u32 vectors;		/* MSIX: bit i enables table entry i; other modes: 0 */
	__u32 reserved;
};

/*
 * A test hook of debugfs (VALIRQ_IOC_STIMULUS on <debugfs>/valirq/DDDD:BB:DD.F/stimulus, or on a
 * targeted <debugfs>/valirq/window, root): write value to reg; before_ns is CLOCK_MONOTONIC
 * taken right before the write (interrupts off between the two). On the stimulus file: EPERM
 * while the device's opener is revoked. On the window: reg.bar must be the targeted BAR.
 */
struct valirq_stimulus {
	struct valirq_reg reg;
	__u32 value;
	__u32 reserved;
	__u64 before_ns;
};

/*
 * A test hook of debugfs (VALIRQ_IOC_WINDOW on <debugfs>/valirq/window, root): points this open
 * file at memory BAR bar of PCI function domain:bus:devfn, whatever driver it has, without
 * requesting the region (it coexists with vfio-pci's request). reserved must be 0 (EINVAL);
 * no such function: ENODEV; bar not a memory BAR with a nonzero length, or not assigned: EINVAL;
 * the file already targeted: EBUSY. Then pread/pwrite of exactly 1, 2 or 4 bytes at an offset
 * aligned to the width and inside the BAR (else EINVAL; ENXIO before VALIRQ_IOC_WINDOW) read or
 * write that register, and VALIRQ_IOC_STIMULUS writes a register of the targeted BAR (reg.bar
 * must be that BAR, reg.space MEM) with its timestamp. The function and the mapping are held
 * until the file is closed. Nothing is serialized with the function's driver, and a function in
 * D3hot or removed reads ~0 and drops writes.
 */
struct valirq_window {
	__u32 domain;
	__u8 bus;
	__u8 devfn;		/* PCI_DEVFN(slot, function) */
	__u8 bar;
	__u8 reserved;
};

#define VALIRQ_BAR_PRESENT	(1U << 0)
#define VALIRQ_BAR_IO		(1U << 1)
#define VALIRQ_BAR_PREFETCH	(1U << 2)
#define VALIRQ_BAR_MMAP		(1U << 3)	/* mmap-able: memory, page-aligned, >= a page */

struct valirq_bar_info {
	__u64 size;
	__u32 flags;
	__u32 reserved;
};

struct valirq_info {
	__u32 version;
	__u16 vendor;
	__u16 device;
	__u16 subsystem_vendor;
	__u16 subsystem_device;
	__u8 revision;
	__u8 irq_pin;		/* 0: no INTx */
	__u8 msi_capable;
	__u8 intx_mask_capable;	/* PCI 2.3 Interrupt Disable works */
	__u32 legacy_irq;
	__u32 flags;		/* VALIRQ_INFO_* */
	__u16 msix_vectors;	/* MSI-X table size, 0: no MSI-X */
	__u16 reserved16;
	__u32 reserved32;
	struct valirq_bar_info bars[6];
};

#define VALIRQ_INFO_BUSMASTER	(1U << 0)	/* PCI bus mastering is enabled now */
#define VALIRQ_INFO_RESET	(1U << 1)	/* the function has a reset method */

/*
 * Event flags.
 *   OVERRUN     records were dropped before this one: see overruns
 *   QUIESCED    first record since a release ran the quiesce steps and the card fell silent
 *   REVOKED     the card was taken away (count is 0): see the revocation note below
 *   RESET       first record since a release reset the function
 *   UNQUIESCED  first record since a release left the card interrupting, or a reset asked for
 *               failed (neither quiesced nor reset)
 *   MISMATCH    the card asserted INTx against the program: masked at the card (PCI 2.3);
 *               on MSI the check said "not mine" for an MSI (served anyway); see the modes
 *   GONE        the function is being unbound (count is 0); the outcome flags on the same
 *               record say what its release did
 */
#define VALIRQ_EV_OVERRUN	(1U << 0)
#define VALIRQ_EV_QUIESCED	(1U << 1)
#define VALIRQ_EV_REVOKED	(1U << 2)
#define VALIRQ_EV_RESET		(1U << 3)
#define VALIRQ_EV_UNQUIESCED	(1U << 4)
#define VALIRQ_EV_MISMATCH	(1U << 5)
#define VALIRQ_EV_GONE		(1U << 6)

/*
 * One record per IRQ-thread run. count: hard IRQs of this card since the previous record;
 * hardirq_ns and thread_ns: CLOCK_MONOTONIC at hard IRQ entry (the first one counted here) and in
 * the IRQ thread; status: what the program's check read; overruns: records dropped since the
 * previous one because the ring was full; total: hard IRQs of this card since it was enabled.
 * In MSIX mode each vector has its own records: count, hardirq_ns and status are that vector's.
 */
struct valirq_event {
	__u64 seq;
	__u64 hardirq_ns;
	__u64 thread_ns;
	__u32 count;
	__u32 overruns;
	__u32 status;
	__u32 flags;
	__u64 total;
	__u32 vector;		/* MSIX: the table entry that fired; other modes: 0 */
	__u32 reserved0;
	__u64 reserved1;
};

/*
 * mmap: offset VALIRQ_MMAP_OFFSET(bar) maps that memory BAR, MAP_SHARED only, when the BAR is
 * page-aligned and at least a page long (VALIRQ_BAR_MMAP; a smaller BAR shares its page with
 * other registers and is not mapped at all). On revocation (VALIRQ_IOC_REVOKE, debugfs revoke,
 * unbind, release) the PTEs are zapped; later accesses land in a scratch page whose writes never
 * reach the card, or raise SIGBUS when VALIRQ_MMAP_SIGBUS is or-ed in the offset.
 *
 * Revocation takes the card away from the opener: besides the mappings, its interrupts are
 * shut down (bus mastering off, INTx disabled at the card, IRQ and vectors freed) and neither its
 * programs nor the stimulus hook touch the card again; its release runs no quiesce steps (a
 * RESET policy still resets). A REVOKED record is queued; ENABLE and ACK then fail with EPERM.
 */
#define VALIRQ_MMAP_SHIFT	40
#define VALIRQ_MMAP_OFFSET(bar)	((__u64)(bar) << VALIRQ_MMAP_SHIFT)
#define VALIRQ_MMAP_SIGBUS	(1ULL << 39)

/*
 * 0xBE is unassigned in Documentation/userspace-api/ioctl/ioctl-number.rst (checked against
 * 6.1 and mainline); numbers 0x00-0x1F are ours. Unknown commands get ENOTTY.
 */
#define VALIRQ_IOC_MAGIC	0xBE
#define VALIRQ_IOC_VERSION	_IOR(VALIRQ_IOC_MAGIC, 0x00, __u32)
#define VALIRQ_IOC_INFO		_IOR(VALIRQ_IOC_MAGIC, 0x01, struct valirq_info)
#define VALIRQ_IOC_SET_PROGRAM	_IOW(VALIRQ_IOC_MAGIC, 0x02, struct valirq_program)
#define VALIRQ_IOC_SET_QUIESCE	_IOW(VALIRQ_IOC_MAGIC, 0x03, struct valirq_quiesce)
#define VALIRQ_IOC_ENABLE	_IOW(VALIRQ_IOC_MAGIC, 0x04, struct valirq_enable)
#define VALIRQ_IOC_DISABLE	_IO(VALIRQ_IOC_MAGIC, 0x05)
#define VALIRQ_IOC_ACK		_IO(VALIRQ_IOC_MAGIC, 0x06)
#define VALIRQ_IOC_REVOKE	_IO(VALIRQ_IOC_MAGIC, 0x08)
#define VALIRQ_IOC_SET_INIT	_IOW(VALIRQ_IOC_MAGIC, 0x09, struct valirq_init)
/* On the debugfs stimulus and window files only (test hooks), not on the device. */
#define VALIRQ_IOC_STIMULUS	_IOWR(VALIRQ_IOC_MAGIC, 0x07, struct valirq_stimulus)
/* On the debugfs window file only; new in version 3's module (ENOTTY from an older one). */
#define VALIRQ_IOC_WINDOW	_IOW(VALIRQ_IOC_MAGIC, 0x0A, struct valirq_window)

#endif /* _UAPI_LINUX_VALIRQ_H */
