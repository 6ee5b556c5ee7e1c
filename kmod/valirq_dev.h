/* SPDX-License-Identifier: GPL-2.0 */
/*
 * valirq internals shared by its files:
 *   valirq_main.c     module, PCI probe/remove, file operations, sysfs
 *   valirq_prog.c     register access, IRQ and quiesce programs (validation and execution)
 *   valirq_intrs.c    interrupt modes, the handlers, enable/re-arm/shutdown, the release policy
 *   valirq_ring.c     the event ring between the IRQ thread and the reader
 *   valirq_bar.c      BAR reservation and mapping, mmap, revocation
 *   valirq_debugfs.c  test hooks: stimulus, revoke, BAR window; the module-level window
 */
#ifndef _VALIRQ_DEV_H
#define _VALIRQ_DEV_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <uapi/linux/valirq.h>

#define DRV_NAME "valirq"

/*
 * Why the kernel holds the card's PCI 2.3 Interrupt Disable bit (intx_hold). The bit is set while
 * any reason holds and cleared when the last one goes, so that one owner lifting its mask never
 * unmasks a card another owner still needs masked.
 *   OFF       no INTx handler of ours is installed: a valirq card never asserts a line nobody
 *             handles (from probe, and from the start of every shutdown, to the next INTx enable)
 *   HANDLER   the hard IRQ handler masked the card (PCI 2.3 masking) until the opener re-arms
 *   MISMATCH  the card asserted INTx against the program (check said "not mine", or its mask
 *             steps did not silence it); lifted by a re-arm once the card is silent
 *   LOUD      the last release left the card interrupting (informational; the next enable lifts it)
 */
#define VALIRQ_HOLD_OFF		BIT(0)
#define VALIRQ_HOLD_HANDLER	BIT(1)
#define VALIRQ_HOLD_MISMATCH	BIT(2)
#define VALIRQ_HOLD_LOUD	BIT(3)

/* What the last release (or unbind) did to the card: sysfs last_release. */
enum valirq_outcome {
	VALIRQ_OUTCOME_NONE,		/* nothing to do: no steps asked, the card silent */
	VALIRQ_OUTCOME_QUIESCED,	/* the quiesce steps ran and the card is silent */
	VALIRQ_OUTCOME_RESET,		/* the function was reset */
	VALIRQ_OUTCOME_NEITHER,		/* still interrupting, or a reset was asked and failed */
};

struct valirq_dev;

/* Most MSI-X vectors one opener may enable (valirq_enable.vectors is a u32 bit mask). */
#define VALIRQ_MAX_VECTORS	32

/*
 * One interrupt vector of ours: MSI-X table entry i is vec[i]; the MSI vector and the INTx line
 * are vec[0]. irq and name are set under lock while the vector is not requested; the rest is
 * under ev_lock (the vector's hard IRQ handler and thread, re-arm, shutdown).
 */
struct valirq_vec {
	struct valirq_dev *vd;
	u32 index;			/* valirq_event.vector: the MSI-X table entry (else 0) */
	int irq;			/* requested: > 0 */
	char name[48];			/* the IRQ's name (/proc/interrupts) */
	bool masked;			/* masked (line, vector or card) until a re-arm */
	u64 pending_ns;
	u32 pending_count, pending_status, pending_flags;
};

/* One debugfs BAR window: its file's private data. */
struct valirq_dbg_bar {
	struct valirq_dev *vd;
	unsigned int bar;
};

struct valirq_dev {
	struct pci_dev *pdev;
	struct miscdevice misc;
	char name[40];
	struct kref kref;		/* probe's reference + one per open file */
	void __iomem *bar[PCI_STD_NUM_BARS];
	struct page *scratch;		/* where revoked mappings land */
	bool pci23;			/* PCI 2.3 INTx masking works (set at probe) */
	int legacy_irq;			/* the INTx IRQ (pdev->irq is the MSI vector under MSI) */
	struct dentry *debugfs;
	struct valirq_dbg_bar dbg_bar[PCI_STD_NUM_BARS];

	/*
	 * lock serializes open, release, ioctl, write, mmap set-up, the debugfs hooks and remove.
	 * It protects owner, mapping, dead (also read locklessly with READ_ONCE by read, poll and
	 * fault), mode, enable_flags, vectors, each vector's irq and name, pci23_mask,
	 * has_program, prog, init, quiesce, last_release and release_flags, and (with map_lock)
	 * revoked. mode, enable_flags, vectors, pci23_mask, prog, init and has_program change only
	 * while no IRQ of ours is requested, so the handlers read them unlocked. Never taken in
	 * interrupt context; never held across copy_*_user (the fault handler takes map_lock
	 * under mmap_lock).
	 */
	struct mutex lock;
	struct file *owner;
	struct address_space *mapping;
	bool dead;
	u32 mode;
	u32 enable_flags;
	u32 vectors;			/* bit i: vec[i] is requested (MSI, INTx: bit 0) */
	bool pci23_mask;		/* shared mode masks with PCI 2.3, not with mask steps */
	bool has_program;
	u32 last_release;		/* enum valirq_outcome */
	u32 release_flags;		/* VALIRQ_EV_* the next opener's first record carries */
	struct valirq_program prog;
	struct valirq_init init;	/* the opener's init and disable steps (zero: none) */
	struct valirq_quiesce quiesce;

	/*
	 * ev_lock is raw because the hard IRQ handlers take it on PREEMPT_RT. It protects the ring
	 * (ring, head, tail), each vector's pending hard IRQ (pending_*) and masked, seq, total,
	 * dropped, next_flags and intx_hold, and serializes every access to the card's registers
	 * made by the programs and the debugfs window, and every read-modify-write of the PCI
	 * command register (INTx disable, bus mastering), with the hard IRQ handlers.
	 */
	raw_spinlock_t ev_lock;
	struct valirq_event ring[VALIRQ_RING_SIZE];
	u32 head, tail;			/* free-running; head - tail records queued */
	u64 seq, total;
	struct valirq_vec vec[VALIRQ_MAX_VECTORS];
	u32 dropped;			/* records dropped since the last queued one */
	u32 next_flags;			/* flags for the next queued record */
	u32 intx_hold;			/* VALIRQ_HOLD_* */
	wait_queue_head_t wait;

	/* read_lock serializes readers: a record leaves the ring once it reached user space. */
	struct mutex read_lock;

	/*
	 * map_lock protects revoked and unmapped for the fault handler, which takes it under
	 * mmap_lock, so nothing may take mmap_lock (fault on user memory) while holding it. Both
	 * are written with lock and map_lock held, so holding either is enough to read them.
	 */
	struct mutex map_lock;
	bool revoked;
	bool unmapped;			/* remove: no fault maps the BAR any more */

	atomic64_t c_hardirqs, c_irq_none, c_events, c_overruns, c_masks, c_unmasks;
	atomic64_t c_quiesces, c_quiesce_failures, c_revocations, c_mismatches;
	atomic64_t c_resets, c_reset_failures;
};

/* valirq_prog.c; callers of the run/check functions hold ev_lock. */
u32 valirq_ioread(void __iomem *a, unsigned int width);
void valirq_iowrite(void __iomem *a, unsigned int width, u32 v);
u32 valirq_rd(struct valirq_dev *vd, const struct valirq_reg *r);
void valirq_wr(struct valirq_dev *vd, const struct valirq_reg *r, u32 v);
void valirq_run_steps(struct valirq_dev *vd, const struct valirq_step *s, u32 n, u32 status);
bool valirq_check(struct valirq_dev *vd, u32 *status);
int valirq_validate_reg(struct valirq_dev *vd, const struct valirq_reg *r);
int valirq_validate_program(struct valirq_dev *vd, const struct valirq_program *p);
int valirq_validate_quiesce(struct valirq_dev *vd, const struct valirq_quiesce *q);
int valirq_validate_init(struct valirq_dev *vd, const struct valirq_init *in);
bool valirq_read_to_clear(struct valirq_dev *vd);

/* valirq_intrs.c */
const char *valirq_mode_name(u32 mode);
const char *valirq_outcome_name(u32 outcome);
bool valirq_intx_asserted_locked(struct valirq_dev *vd);
void valirq_intx_hold_locked(struct valirq_dev *vd, u32 reason);
void valirq_intx_unhold_locked(struct valirq_dev *vd, u32 reason);
int valirq_enable(struct valirq_dev *vd, const struct valirq_enable *en);
int valirq_ack(struct valirq_dev *vd);
void valirq_shutdown(struct valirq_dev *vd, bool dying, bool dev_locked);
void valirq_vecs_reset_locked(struct valirq_dev *vd);
bool valirq_any_masked(struct valirq_dev *vd);

/* valirq_ring.c */
void valirq_push(struct valirq_dev *vd, struct valirq_event *ev, bool control);
void valirq_push_control(struct valirq_dev *vd, u32 flags);
bool valirq_readable(struct valirq_dev *vd);
void valirq_ring_reset(struct valirq_dev *vd, u32 first_flags);
ssize_t valirq_ring_read(struct valirq_dev *vd, struct file *file, char __user *buf, size_t count);

/* valirq_bar.c */
int valirq_bars_setup(struct valirq_dev *vd);
void valirq_bars_teardown(struct valirq_dev *vd);
bool valirq_bar_mmap_ok(struct valirq_dev *vd, unsigned int bar);
int valirq_mmap(struct file *file, struct vm_area_struct *vma);
void valirq_zap(struct valirq_dev *vd);
void valirq_revoke(struct valirq_dev *vd);

/* valirq_debugfs.c */
void valirq_debugfs_init(void);
void valirq_debugfs_exit(void);
void valirq_debugfs_add(struct valirq_dev *vd);
void valirq_debugfs_remove(struct valirq_dev *vd);

#endif /* _VALIRQ_DEV_H */
