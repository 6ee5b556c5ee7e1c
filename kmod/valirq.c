// SPDX-License-Identifier: GPL-2.0
/*
 * valirq - a PCI function's interrupts handed to user space, timestamped, and safe against
 * user-space drivers that die.
 *
 * Bind a function to it (it has no ID table of its own):
 *
 *	echo valirq > /sys/bus/pci/devices/0000:00:04.0/driver_override
 *	echo 0000:00:04.0 > /sys/bus/pci/devices/0000:00:04.0/driver/unbind   # if bound
 *	echo 0000:00:04.0 > /sys/bus/pci/drivers_probe
 *
 * or load with ids=1234:11e8[,vvvv:dddd...]. Each bound function gets /dev/valirq-0000:00:04.0
 * (mode 0600, one opener at a time; a second open gets -EBUSY) and counters in
 * /sys/class/misc/valirq-0000:00:04.0/.
 *
 * Use (see include/uapi/linux/valirq.h for the structures):
 *
 *	fd = open("/dev/valirq-0000:00:04.0", O_RDWR);
 *	ioctl(fd, VALIRQ_IOC_SET_PROGRAM, &program);	// how to recognise, ack, mask the card
 *	ioctl(fd, VALIRQ_IOC_SET_QUIESCE, &quiesce);	// how to silence it if we die
 *	ioctl(fd, VALIRQ_IOC_ENABLE, &(struct valirq_enable){ VALIRQ_MODE_INTX_SHARED });
 *	for (;;) {
 *		read(fd, &ev, sizeof(ev));		// blocks; poll/epoll work too
 *		... handle the card ...
 *		ioctl(fd, VALIRQ_IOC_ACK);		// re-arm (or write the u32 1)
 *	}
 *
 * The hard IRQ handler runs in hard interrupt context even on PREEMPT_RT (IRQF_ONESHOT keeps it
 * out of forced threading) so that its timestamp is the hard IRQ's. On a shared line it returns
 * IRQ_NONE unless the IRQ program's check (or the PCI 2.3 status bit) says the card is
 * interrupting, and masks at the card, never the line. When the owning file is released (the
 * driver exited or was SIGKILLed, even between an event and its ack), or the function is unbound,
 * the quiesce program runs, the IRQ is freed and the card is unmasked only if it is silent; if it
 * is still interrupting it is left masked at the card (PCI 2.3) and counted in quiesce_failures,
 * so that a neighbour on a shared line keeps working.
 *
 * rmmod with a file open fails with -EBUSY (the file holds a module reference); unbind with a
 * file open works: the file's BAR mappings are revoked and its reads return -ENODEV.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/timekeeping.h>
#include <linux/kref.h>
#include <uapi/linux/valirq.h>

#define DRV_NAME "valirq"

static char *ids;
module_param(ids, charp, 0444);
MODULE_PARM_DESC(ids, "vendor:device IDs to bind, comma separated (hex), e.g. 1234:11e8");

struct valirq_dev {
	struct pci_dev *pdev;
	struct miscdevice misc;
	char name[40];
	struct kref kref;		/* probe's reference + one per open file */
	void __iomem *bar[PCI_STD_NUM_BARS];
	struct page *scratch;		/* where revoked mappings land */

	/*
	 * lock serializes open, release, ioctl, write, mmap set-up and remove. It protects owner,
	 * mapping, dead (also read locklessly with READ_ONCE by read/poll/fault), mode, enable_flags,
	 * irq, prog, has_program, quiesce and quiesced. mode, enable_flags, irq, prog and
	 * has_program change only while no IRQ is requested, so the handlers read them unlocked.
	 * Never taken in interrupt context; never held across copy_*_user (the fault handler
	 * takes map_lock under mmap_lock).
	 */
	struct mutex lock;
	struct file *owner;
	struct address_space *mapping;
	bool dead;
	u32 mode;
	u32 enable_flags;
	int irq;
	bool has_program;
	bool quiesced;			/* a release ran the quiesce program since the last open */
	struct valirq_program prog;
	struct valirq_quiesce quiesce;

	/*
	 * ev_lock is raw because the hard IRQ handler takes it on PREEMPT_RT. It protects the ring
	 * (ring, head, tail), the pending hard IRQ (pending_*), seq, total, dropped, next_flags and
	 * masked, and serializes every access to the card's registers made by the programs and the
	 * PCI 2.3 mask/unmask with the hard IRQ handler.
	 */
	raw_spinlock_t ev_lock;
	struct valirq_event ring[VALIRQ_RING_SIZE];
	u32 head, tail;			/* free-running; head - tail records queued */
	u64 seq, total;
	u64 pending_ns;
	u32 pending_count, pending_status;
	u32 dropped;			/* records dropped since the last queued one */
	u32 next_flags;
	bool masked;			/* masked at the line or card, waiting for a re-arm */
	wait_queue_head_t wait;

	/* read_lock serializes readers, so a record leaves the ring only once it reached user space. */
	struct mutex read_lock;

	/*
	 * map_lock protects revoked; the fault handler takes it under mmap_lock, so nothing may take
	 * mmap_lock (fault on user memory) while holding it.
	 */
	struct mutex map_lock;
	bool revoked;

	atomic64_t c_hardirqs, c_irq_none, c_events, c_overruns, c_masks, c_unmasks;
	atomic64_t c_quiesces, c_quiesce_failures, c_revocations;
};

static struct pci_driver valirq_driver;

static void valirq_free(struct kref *kref)
{
	struct valirq_dev *vd = container_of(kref, struct valirq_dev, kref);

	__free_page(vd->scratch);
	pci_dev_put(vd->pdev);
	kfree(vd);
}

/* Register access and programs ------------------------------------------------------------ */

static u32 valirq_rd(struct valirq_dev *vd, const struct valirq_reg *r)
{
	void __iomem *a = vd->bar[r->bar] + r->offset;

	switch (r->width) {
	case 1:
		return ioread8(a);
	case 2:
		return ioread16(a);
	default:
		return ioread32(a);
	}
}

static void valirq_wr(struct valirq_dev *vd, const struct valirq_reg *r, u32 v)
{
	void __iomem *a = vd->bar[r->bar] + r->offset;

	switch (r->width) {
	case 1:
		iowrite8(v, a);
		break;
	case 2:
		iowrite16(v, a);
		break;
	default:
		iowrite32(v, a);
		break;
	}
}

/* Caller holds ev_lock. status is what the check read. */
static void valirq_run_steps(struct valirq_dev *vd, const struct valirq_step *s, u32 n, u32 status)
{
	u32 i;

	for (i = 0; i < n; i++, s++) {
		switch (s->op) {
		case VALIRQ_OP_WRITE:
			valirq_wr(vd, &s->reg, s->value);
			break;
		case VALIRQ_OP_WRITE_STATUS:
			valirq_wr(vd, &s->reg, status & s->mask);
			break;
		case VALIRQ_OP_SET_BITS:
			valirq_wr(vd, &s->reg, valirq_rd(vd, &s->reg) | s->value);
			break;
		case VALIRQ_OP_CLEAR_BITS:
			valirq_wr(vd, &s->reg, valirq_rd(vd, &s->reg) & ~s->mask);
			break;
		}
	}
}

/* Caller holds ev_lock. True when the program's check says the card is interrupting. */
static bool valirq_check(struct valirq_dev *vd, u32 *status)
{
	const struct valirq_step *c = &vd->prog.check;
	u32 v = valirq_rd(vd, &c->reg);

	*status = v;
	if (c->op == VALIRQ_OP_READ_EQ)
		return (v & c->mask) == c->value;
	return (v & c->mask) != c->value;
}

static int valirq_validate_reg(struct valirq_dev *vd, const struct valirq_reg *r)
{
	struct pci_dev *pdev = vd->pdev;
	bool io;

	if (r->reserved) {
		dev_dbg(&pdev->dev, "register: reserved field is %u, must be 0\n", r->reserved);
		return -EINVAL;
	}
	if (r->bar >= PCI_STD_NUM_BARS || !vd->bar[r->bar]) {
		dev_dbg(&pdev->dev, "register: BAR %u is not present\n", r->bar);
		return -EINVAL;
	}
	io = pci_resource_flags(pdev, r->bar) & IORESOURCE_IO;
	if (r->space != (io ? VALIRQ_SPACE_IO : VALIRQ_SPACE_MEM)) {
		dev_dbg(&pdev->dev, "register: BAR %u is %s space, the step says %s\n", r->bar,
			io ? "I/O" : "memory", r->space == VALIRQ_SPACE_IO ? "I/O" : "memory");
		return -EINVAL;
	}
	if (r->width != 1 && r->width != 2 && r->width != 4) {
		dev_dbg(&pdev->dev, "register: width %u, must be 1, 2 or 4\n", r->width);
		return -EINVAL;
	}
	if (r->offset % r->width) {
		dev_dbg(&pdev->dev, "register: offset 0x%x not aligned to width %u\n", r->offset, r->width);
		return -EINVAL;
	}
	if ((u64)r->offset + r->width > pci_resource_len(pdev, r->bar)) {
		dev_dbg(&pdev->dev, "register: offset 0x%x + %u beyond BAR %u (%llu bytes)\n", r->offset,
			r->width, r->bar, (unsigned long long)pci_resource_len(pdev, r->bar));
		return -EINVAL;
	}
	return 0;
}

static int valirq_validate_steps(struct valirq_dev *vd, const struct valirq_step *s, u32 n, bool check)
{
	u32 i;
	int ret;

	if (n > VALIRQ_MAX_STEPS) {
		dev_dbg(&vd->pdev->dev, "program: %u steps, at most %u\n", n, VALIRQ_MAX_STEPS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++, s++) {
		ret = valirq_validate_reg(vd, &s->reg);
		if (ret)
			return ret;
		if (s->reserved) {
			dev_dbg(&vd->pdev->dev, "program: step %u reserved field set\n", i);
			return -EINVAL;
		}
		if (check ? (s->op != VALIRQ_OP_READ_NE && s->op != VALIRQ_OP_READ_EQ)
			  : (s->op < VALIRQ_OP_WRITE || s->op > VALIRQ_OP_CLEAR_BITS)) {
			dev_dbg(&vd->pdev->dev, "program: step %u has op %u, not a %s op\n", i, s->op,
				check ? "check" : "write");
			return -EINVAL;
		}
	}
	return 0;
}

static int valirq_validate_program(struct valirq_dev *vd, const struct valirq_program *p)
{
	int ret;

	if (p->flags) {
		dev_dbg(&vd->pdev->dev, "program: flags 0x%x, must be 0\n", p->flags);
		return -EINVAL;
	}
	ret = valirq_validate_steps(vd, &p->check, 1, true);
	if (!ret)
		ret = valirq_validate_steps(vd, p->ack, p->n_ack, false);
	if (!ret)
		ret = valirq_validate_steps(vd, p->mask, p->n_mask, false);
	if (!ret)
		ret = valirq_validate_steps(vd, p->unmask, p->n_unmask, false);
	return ret;
}

/* Interrupt path -------------------------------------------------------------------------- */

/* Caller holds ev_lock. Queues a record, or counts it dropped when the ring is full. */
static void valirq_push(struct valirq_dev *vd, struct valirq_event *ev)
{
	ev->seq = ++vd->seq;
	ev->total = vd->total;
	if (vd->head - vd->tail >= VALIRQ_RING_SIZE) {
		vd->dropped++;
		atomic64_inc(&vd->c_overruns);
		return;
	}
	ev->flags |= vd->next_flags;
	vd->next_flags = 0;
	if (vd->dropped) {
		ev->flags |= VALIRQ_EV_OVERRUN;
		ev->overruns = vd->dropped;
		vd->dropped = 0;
	}
	vd->ring[vd->head % VALIRQ_RING_SIZE] = *ev;
	vd->head++;
}

static irqreturn_t valirq_hardirq(int irq, void *data)
{
	struct valirq_dev *vd = data;
	u64 now = ktime_get_ns();
	bool autorearm = vd->enable_flags & VALIRQ_ENABLE_AUTOREARM;
	u32 status = 0;

	raw_spin_lock(&vd->ev_lock);
	if (vd->mode == VALIRQ_MODE_INTX_SHARED) {
		/* Masked at the card: the line's assertion is not ours. */
		if (vd->masked)
			goto not_ours;
		if (vd->has_program ? !valirq_check(vd, &status) : !pci_check_and_mask_intx(vd->pdev))
			goto not_ours;
	} else if (vd->has_program && !valirq_check(vd, &status)) {
		goto not_ours;
	}

	atomic64_inc(&vd->c_hardirqs);
	if (vd->has_program)
		valirq_run_steps(vd, vd->prog.ack, vd->prog.n_ack, status);
	if (!vd->pending_count)
		vd->pending_ns = now;
	vd->pending_count++;
	vd->pending_status = status;
	vd->total++;

	if (!autorearm) {
		switch (vd->mode) {
		case VALIRQ_MODE_INTX_SHARED:
			if (vd->has_program && vd->prog.n_mask) {
				valirq_run_steps(vd, vd->prog.mask, vd->prog.n_mask, status);
				vd->masked = true;
			} else if (!vd->has_program) {
				vd->masked = true;	/* pci_check_and_mask_intx() masked it */
			}
			break;
		default:
			disable_irq_nosync(irq);
			vd->masked = true;
			break;
		}
		if (vd->masked)
			atomic64_inc(&vd->c_masks);
	}
	raw_spin_unlock(&vd->ev_lock);
	return IRQ_WAKE_THREAD;

not_ours:
	raw_spin_unlock(&vd->ev_lock);
	atomic64_inc(&vd->c_irq_none);
	return IRQ_NONE;
}

static irqreturn_t valirq_thread(int irq, void *data)
{
	struct valirq_dev *vd = data;
	struct valirq_event ev = { .thread_ns = ktime_get_ns() };

	raw_spin_lock_irq(&vd->ev_lock);
	if (!vd->pending_count) {
		raw_spin_unlock_irq(&vd->ev_lock);
		return IRQ_HANDLED;
	}
	ev.hardirq_ns = vd->pending_ns;
	ev.count = vd->pending_count;
	ev.status = vd->pending_status;
	vd->pending_count = 0;
	valirq_push(vd, &ev);
	raw_spin_unlock_irq(&vd->ev_lock);
	wake_up_interruptible(&vd->wait);
	return IRQ_HANDLED;
}

static const char *valirq_mode_name(u32 mode)
{
	switch (mode) {
	case VALIRQ_MODE_MSI:
		return "msi";
	case VALIRQ_MODE_INTX_EXCLUSIVE:
		return "intx-exclusive";
	case VALIRQ_MODE_INTX_SHARED:
		return "intx-shared";
	default:
		return "off";
	}
}

/*
 * Caller holds ev_lock. Sets or clears the PCI 2.3 Interrupt Disable bit. The config accessors
 * take only the raw pci_lock, so this is safe under ev_lock (pci_intx() is not: it may look up
 * devres under a sleeping lock on PREEMPT_RT).
 */
static void valirq_intx_disable_locked(struct valirq_dev *vd, bool disable)
{
	u16 cmd, new;

	pci_read_config_word(vd->pdev, PCI_COMMAND, &cmd);
	new = disable ? cmd | PCI_COMMAND_INTX_DISABLE : cmd & ~PCI_COMMAND_INTX_DISABLE;
	if (new != cmd)
		pci_write_config_word(vd->pdev, PCI_COMMAND, new);
}

/* Caller holds lock. */
static int valirq_enable(struct valirq_dev *vd, const struct valirq_enable *en)
{
	struct pci_dev *pdev = vd->pdev;
	bool autorearm = en->flags & VALIRQ_ENABLE_AUTOREARM;
	bool program_acks = vd->has_program && vd->prog.n_ack;
	unsigned long irqflags = IRQF_ONESHOT;
	int irq, ret;

	if (vd->mode != VALIRQ_MODE_OFF) {
		dev_dbg(&pdev->dev, "enable: already enabled in mode %s\n", valirq_mode_name(vd->mode));
		return -EBUSY;
	}
	if (en->flags & ~VALIRQ_ENABLE_AUTOREARM) {
		dev_dbg(&pdev->dev, "enable: unknown flags 0x%x\n", en->flags);
		return -EINVAL;
	}

	switch (en->mode) {
	case VALIRQ_MODE_MSI:
		if (!pdev->msi_cap) {
			dev_dbg(&pdev->dev, "enable: the function has no MSI capability\n");
			return -EINVAL;
		}
		ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
		if (ret < 0) {
			dev_err(&pdev->dev, "cannot allocate an MSI vector: %pe\n", ERR_PTR(ret));
			return ret;
		}
		irq = pci_irq_vector(pdev, 0);
		break;
	case VALIRQ_MODE_INTX_SHARED:
		if (vd->has_program ? !(vd->prog.n_ack || vd->prog.n_mask) : !pci_intx_mask_supported(pdev)) {
			dev_dbg(&pdev->dev, "enable: a shared line needs a program that acks or masks the card, or PCI 2.3 masking\n");
			return -EINVAL;
		}
		irqflags |= IRQF_SHARED;
		fallthrough;
	case VALIRQ_MODE_INTX_EXCLUSIVE:
		if (!pdev->pin || !pdev->irq) {
			dev_dbg(&pdev->dev, "enable: the function has no INTx line\n");
			return -EINVAL;
		}
		if (autorearm && !program_acks) {
			dev_dbg(&pdev->dev, "enable: AUTOREARM on INTx needs a program with ack steps\n");
			return -EINVAL;
		}
		irq = pdev->irq;
		/*
		 * Keep the card quiet at its INTx pin until the handler is installed (a card that
		 * asserts now would be unhandled on a shared line, and its level lost on an
		 * exclusive one); it is enabled right after request_threaded_irq().
		 */
		raw_spin_lock_irq(&vd->ev_lock);
		valirq_intx_disable_locked(vd, true);
		raw_spin_unlock_irq(&vd->ev_lock);
		break;
	default:
		dev_dbg(&pdev->dev, "enable: unknown mode %u\n", en->mode);
		return -EINVAL;
	}

	raw_spin_lock_irq(&vd->ev_lock);
	vd->masked = false;
	vd->pending_count = 0;
	vd->total = 0;
	raw_spin_unlock_irq(&vd->ev_lock);
	vd->mode = en->mode;
	vd->enable_flags = en->flags;
	vd->irq = irq;

	ret = request_threaded_irq(irq, valirq_hardirq, valirq_thread, irqflags, vd->name, vd);
	if (ret) {
		dev_err(&pdev->dev, "cannot request IRQ %d in mode %s: %pe\n", irq,
			valirq_mode_name(en->mode), ERR_PTR(ret));
		goto err_mode;
	}
	if (en->mode != VALIRQ_MODE_MSI) {
		/* Start clean: INTx enabled at the card, unless the handler has masked it already. */
		raw_spin_lock_irq(&vd->ev_lock);
		if (!vd->masked)
			valirq_intx_disable_locked(vd, false);
		raw_spin_unlock_irq(&vd->ev_lock);
	}
	return 0;

err_mode:
	vd->mode = VALIRQ_MODE_OFF;
	vd->enable_flags = 0;
	if (en->mode == VALIRQ_MODE_MSI)
		pci_free_irq_vectors(pdev);
	return ret;
}

/* Caller holds lock. Re-arm after an event was handled. */
static int valirq_ack(struct valirq_dev *vd)
{
	bool was, still = false;

	if (vd->mode == VALIRQ_MODE_OFF) {
		dev_dbg(&vd->pdev->dev, "ack: interrupts are not enabled\n");
		return -EINVAL;
	}
	raw_spin_lock_irq(&vd->ev_lock);
	was = vd->masked;
	if (was && vd->mode == VALIRQ_MODE_INTX_SHARED) {
		/* Unmask at the card with the hard IRQ handler excluded (it tests masked). */
		if (vd->has_program)
			valirq_run_steps(vd, vd->prog.unmask, vd->prog.n_unmask, 0);
		else
			still = !pci_check_and_unmask_intx(vd->pdev);
	}
	if (!still)
		vd->masked = false;
	raw_spin_unlock_irq(&vd->ev_lock);

	if (still) {
		dev_dbg(&vd->pdev->dev, "ack: the card is still interrupting; acknowledge it at the card first\n");
		return -EAGAIN;
	}
	if (!was)
		return 0;
	if (vd->mode != VALIRQ_MODE_INTX_SHARED)
		enable_irq(vd->irq);
	atomic64_inc(&vd->c_unmasks);
	return 0;
}

/*
 * Caller holds lock. Runs the quiesce program, frees the IRQ, and leaves the card unmasked if it
 * is silent, masked at the card (PCI 2.3) if it is not.
 */
static void valirq_shutdown(struct valirq_dev *vd)
{
	struct pci_dev *pdev = vd->pdev;
	u32 mode = vd->mode, status;
	bool ran = false, loud = false;
	unsigned long flags;

	raw_spin_lock_irqsave(&vd->ev_lock, flags);
	if (vd->quiesce.n_steps) {
		valirq_run_steps(vd, vd->quiesce.steps, vd->quiesce.n_steps, 0);
		ran = true;
	}
	raw_spin_unlock_irqrestore(&vd->ev_lock, flags);

	if (mode != VALIRQ_MODE_OFF) {
		free_irq(vd->irq, vd);
		if (mode == VALIRQ_MODE_MSI)
			pci_free_irq_vectors(pdev);
	}

	/* No handler of ours now: is the card silent? */
	raw_spin_lock_irqsave(&vd->ev_lock, flags);
	if (vd->has_program)
		loud = valirq_check(vd, &status);
	if (mode == VALIRQ_MODE_INTX_SHARED && vd->masked) {
		if (vd->has_program && !loud)
			valirq_run_steps(vd, vd->prog.unmask, vd->prog.n_unmask, 0);
		else if (!vd->has_program && !pci_check_and_unmask_intx(pdev))
			loud = true;
	}
	if (loud && mode != VALIRQ_MODE_MSI && pdev->pin)
		pci_check_and_mask_intx(pdev);
	vd->masked = false;
	vd->pending_count = 0;
	raw_spin_unlock_irqrestore(&vd->ev_lock, flags);

	if (loud) {
		atomic64_inc(&vd->c_quiesce_failures);
		dev_warn(&pdev->dev, "the card is still interrupting after the quiesce program; INTx left disabled at the card\n");
	}
	if (ran) {
		atomic64_inc(&vd->c_quiesces);
		vd->quiesced = true;
	}
	vd->mode = VALIRQ_MODE_OFF;
	vd->enable_flags = 0;
}

/* Caller holds lock. Zaps the owner's BAR mappings; later faults land in the scratch page or SIGBUS. */
static void valirq_revoke(struct valirq_dev *vd)
{
	struct valirq_event ev = { .flags = VALIRQ_EV_REVOKED };
	bool first;

	mutex_lock(&vd->map_lock);
	first = !vd->revoked;
	vd->revoked = true;
	mutex_unlock(&vd->map_lock);
	if (vd->mapping)
		unmap_mapping_range(vd->mapping, 0, 0, 1);
	if (!first)
		return;
	atomic64_inc(&vd->c_revocations);
	raw_spin_lock_irq(&vd->ev_lock);
	valirq_push(vd, &ev);
	raw_spin_unlock_irq(&vd->ev_lock);
	wake_up_interruptible(&vd->wait);
}

/* File operations ------------------------------------------------------------------------- */

static int valirq_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct valirq_dev *vd = container_of(misc, struct valirq_dev, misc);
	int ret = 0;

	mutex_lock(&vd->lock);
	if (vd->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (vd->owner) {
		ret = -EBUSY;
		goto out;
	}
	vd->owner = file;
	vd->mapping = file->f_mapping;
	vd->has_program = false;
	memset(&vd->quiesce, 0, sizeof(vd->quiesce));
	raw_spin_lock_irq(&vd->ev_lock);
	vd->head = vd->tail = 0;
	vd->seq = vd->total = 0;
	vd->dropped = 0;
	vd->next_flags = vd->quiesced ? VALIRQ_EV_QUIESCED : 0;
	raw_spin_unlock_irq(&vd->ev_lock);
	vd->quiesced = false;
	mutex_lock(&vd->map_lock);
	vd->revoked = false;
	mutex_unlock(&vd->map_lock);
	kref_get(&vd->kref);
	file->private_data = vd;
	ret = nonseekable_open(inode, file);
out:
	mutex_unlock(&vd->lock);
	return ret;
}

static int valirq_release(struct inode *inode, struct file *file)
{
	struct valirq_dev *vd = file->private_data;

	mutex_lock(&vd->lock);
	if (!vd->dead)
		valirq_shutdown(vd);
	vd->owner = NULL;
	vd->mapping = NULL;
	mutex_unlock(&vd->lock);
	kref_put(&vd->kref, valirq_free);
	return 0;
}

static bool valirq_readable(struct valirq_dev *vd)
{
	bool r;

	raw_spin_lock_irq(&vd->ev_lock);
	r = vd->head != vd->tail;
	raw_spin_unlock_irq(&vd->ev_lock);
	return r;
}

static ssize_t valirq_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	struct valirq_dev *vd = file->private_data;
	size_t n = count / sizeof(struct valirq_event), done = 0;
	struct valirq_event ev;
	ssize_t ret;

	if (!n)
		return -EINVAL;
	if (mutex_lock_interruptible(&vd->read_lock))
		return -ERESTARTSYS;
	while (!valirq_readable(vd)) {
		if (READ_ONCE(vd->dead)) {
			ret = -ENODEV;
			goto out;
		}
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		ret = wait_event_interruptible(vd->wait, valirq_readable(vd) || READ_ONCE(vd->dead));
		if (ret)
			goto out;
	}
	while (done < n) {
		raw_spin_lock_irq(&vd->ev_lock);
		if (vd->head == vd->tail) {
			raw_spin_unlock_irq(&vd->ev_lock);
			break;
		}
		ev = vd->ring[vd->tail % VALIRQ_RING_SIZE];
		raw_spin_unlock_irq(&vd->ev_lock);
		if (copy_to_user(buf + done * sizeof(ev), &ev, sizeof(ev)))
			break;
		raw_spin_lock_irq(&vd->ev_lock);
		vd->tail++;
		raw_spin_unlock_irq(&vd->ev_lock);
		atomic64_inc(&vd->c_events);
		done++;
	}
	ret = done ? done * sizeof(ev) : -EFAULT;
out:
	mutex_unlock(&vd->read_lock);
	return ret;
}

static __poll_t valirq_poll(struct file *file, poll_table *wait)
{
	struct valirq_dev *vd = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &vd->wait, wait);
	if (valirq_readable(vd))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(vd->dead))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

/* write() of the u32 1 re-arms, as VALIRQ_IOC_ACK does. */
static ssize_t valirq_write(struct file *file, const char __user *buf, size_t count, loff_t *ppos)
{
	struct valirq_dev *vd = file->private_data;
	u32 v;
	int ret;

	if (count != sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, buf, sizeof(v)))
		return -EFAULT;
	if (v != 1)
		return -EINVAL;
	mutex_lock(&vd->lock);
	ret = vd->dead ? -ENODEV : valirq_ack(vd);
	mutex_unlock(&vd->lock);
	return ret ? ret : sizeof(v);
}

static int valirq_info(struct valirq_dev *vd, struct valirq_info *info)
{
	struct pci_dev *pdev = vd->pdev;
	int i;

	memset(info, 0, sizeof(*info));
	info->version = VALIRQ_UAPI_VERSION;
	info->vendor = pdev->vendor;
	info->device = pdev->device;
	info->subsystem_vendor = pdev->subsystem_vendor;
	info->subsystem_device = pdev->subsystem_device;
	info->revision = pdev->revision;
	info->irq_pin = pdev->pin;
	info->msi_capable = !!pdev->msi_cap;
	info->intx_mask_capable = pci_intx_mask_supported(pdev);
	info->legacy_irq = pdev->pin ? pdev->irq : 0;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned long f = pci_resource_flags(pdev, i);

		info->bars[i].size = pci_resource_len(pdev, i);
		if (vd->bar[i])
			info->bars[i].flags |= VALIRQ_BAR_PRESENT;
		if (f & IORESOURCE_IO)
			info->bars[i].flags |= VALIRQ_BAR_IO;
		if (f & IORESOURCE_PREFETCH)
			info->bars[i].flags |= VALIRQ_BAR_PREFETCH;
	}
	return 0;
}

static long valirq_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct valirq_dev *vd = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		u32 version;
		struct valirq_info info;
		struct valirq_quiesce quiesce;
		struct valirq_enable enable;
		struct valirq_stimulus stimulus;
	} u;
	struct valirq_program *prog = NULL;
	unsigned long flags;
	long ret;

	/* Copy in before taking the lock (a fault must not happen under it). */
	switch (cmd) {
	case VALIRQ_IOC_SET_PROGRAM:
		prog = memdup_user(uarg, sizeof(*prog));
		if (IS_ERR(prog))
			return PTR_ERR(prog);
		break;
	case VALIRQ_IOC_SET_QUIESCE:
	case VALIRQ_IOC_ENABLE:
	case VALIRQ_IOC_STIMULUS:
		if (copy_from_user(&u, uarg, _IOC_SIZE(cmd)))
			return -EFAULT;
		break;
	}

	mutex_lock(&vd->lock);
	if (vd->dead) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case VALIRQ_IOC_VERSION:
		u.version = VALIRQ_UAPI_VERSION;
		ret = 0;
		break;
	case VALIRQ_IOC_INFO:
		ret = valirq_info(vd, &u.info);
		break;
	case VALIRQ_IOC_SET_PROGRAM:
		if (vd->mode != VALIRQ_MODE_OFF) {
			dev_dbg(&vd->pdev->dev, "program: cannot change while interrupts are enabled\n");
			ret = -EBUSY;
			break;
		}
		ret = valirq_validate_program(vd, prog);
		if (!ret) {
			vd->prog = *prog;
			vd->has_program = true;
		}
		break;
	case VALIRQ_IOC_SET_QUIESCE:
		ret = u.quiesce.reserved ? -EINVAL :
		      valirq_validate_steps(vd, u.quiesce.steps, u.quiesce.n_steps, false);
		if (!ret) {
			raw_spin_lock_irqsave(&vd->ev_lock, flags);
			vd->quiesce = u.quiesce;
			raw_spin_unlock_irqrestore(&vd->ev_lock, flags);
		}
		break;
	case VALIRQ_IOC_ENABLE:
		ret = valirq_enable(vd, &u.enable);
		break;
	case VALIRQ_IOC_DISABLE:
		if (vd->mode != VALIRQ_MODE_OFF) {
			struct valirq_quiesce keep = vd->quiesce;

			/* Disabling is not dying: no quiesce program, no quiesce count. */
			vd->quiesce.n_steps = 0;
			valirq_shutdown(vd);
			vd->quiesce = keep;
		}
		ret = 0;
		break;
	case VALIRQ_IOC_ACK:
		ret = valirq_ack(vd);
		break;
	case VALIRQ_IOC_STIMULUS:
		ret = u.stimulus.reserved ? -EINVAL : valirq_validate_reg(vd, &u.stimulus.reg);
		if (ret)
			break;
		/* Nothing between the timestamp and the write. */
		local_irq_save(flags);
		u.stimulus.before_ns = ktime_get_ns();
		valirq_wr(vd, &u.stimulus.reg, u.stimulus.value);
		local_irq_restore(flags);
		break;
	case VALIRQ_IOC_REVOKE:
		valirq_revoke(vd);
		ret = 0;
		break;
	default:
		ret = -ENOTTY;
		break;
	}
out:
	mutex_unlock(&vd->lock);
	kfree(prog);

	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &u, _IOC_SIZE(cmd)))
		ret = -EFAULT;
	return ret;
}

static vm_fault_t valirq_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct valirq_dev *vd = vma->vm_private_data;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	unsigned int bar = off >> VALIRQ_MMAP_SHIFT;
	u64 inner = off & (VALIRQ_MMAP_SIGBUS - 1);
	unsigned long page = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	vm_fault_t ret;

	mutex_lock(&vd->map_lock);
	if (vd->revoked || READ_ONCE(vd->dead)) {
		if (off & VALIRQ_MMAP_SIGBUS)
			ret = VM_FAULT_SIGBUS;
		else
			ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(vd->scratch),
						  vm_get_page_prot(vma->vm_flags));
	} else {
		ret = vmf_insert_pfn(vma, vmf->address,
				     ((pci_resource_start(vd->pdev, bar) + inner) >> PAGE_SHIFT) + page);
	}
	mutex_unlock(&vd->map_lock);
	return ret;
}

static const struct vm_operations_struct valirq_vm_ops = {
	.fault = valirq_fault,
};

static int valirq_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct valirq_dev *vd = file->private_data;
	struct pci_dev *pdev = vd->pdev;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 bar = off >> VALIRQ_MMAP_SHIFT;
	u64 inner = off & (VALIRQ_MMAP_SIGBUS - 1);
	u64 size = vma->vm_end - vma->vm_start;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&vd->lock);
	if (vd->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (bar >= PCI_STD_NUM_BARS || !vd->bar[bar] || !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM)) {
		dev_dbg(&pdev->dev, "mmap: BAR %llu is not a present memory BAR\n", bar);
		ret = -EINVAL;
		goto out;
	}
	if (inner + size > PAGE_ALIGN(pci_resource_len(pdev, bar))) {
		dev_dbg(&pdev->dev, "mmap: 0x%llx bytes at 0x%llx beyond BAR %llu\n", size, inner, bar);
		ret = -EINVAL;
		goto out;
	}
	mutex_lock(&vd->map_lock);
	if (vd->revoked)
		ret = -EPERM;
	mutex_unlock(&vd->map_lock);
	if (ret)
		goto out;
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = vd;
	vma->vm_ops = &valirq_vm_ops;
out:
	mutex_unlock(&vd->lock);
	return ret;
}

static const struct file_operations valirq_fops = {
	.owner = THIS_MODULE,
	.open = valirq_open,
	.release = valirq_release,
	.read = valirq_read,
	.write = valirq_write,
	.poll = valirq_poll,
	.unlocked_ioctl = valirq_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = valirq_mmap,
	.llseek = no_llseek,
};

/* sysfs: one value per file --------------------------------------------------------------- */

static struct valirq_dev *valirq_from_dev(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct valirq_dev, misc);
}

#define VALIRQ_COUNTER(name)								\
static ssize_t name##_show(struct device *dev, struct device_attribute *attr, char *buf)	\
{											\
	return sysfs_emit(buf, "%lld\n", atomic64_read(&valirq_from_dev(dev)->c_##name));	\
}											\
static DEVICE_ATTR_RO(name)

VALIRQ_COUNTER(hardirqs);
VALIRQ_COUNTER(irq_none);
VALIRQ_COUNTER(events);
VALIRQ_COUNTER(overruns);
VALIRQ_COUNTER(masks);
VALIRQ_COUNTER(unmasks);
VALIRQ_COUNTER(quiesces);
VALIRQ_COUNTER(quiesce_failures);
VALIRQ_COUNTER(revocations);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", valirq_mode_name(READ_ONCE(valirq_from_dev(dev)->mode)));
}
static DEVICE_ATTR_RO(mode);

static ssize_t masked_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(valirq_from_dev(dev)->masked));
}
static DEVICE_ATTR_RO(masked);

/* The PCI 2.3 Interrupt Disable bit as the card has it now. */
static ssize_t intx_disabled_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct valirq_dev *vd = valirq_from_dev(dev);
	u16 cmd;

	if (pci_read_config_word(vd->pdev, PCI_COMMAND, &cmd))
		return -EIO;
	return sysfs_emit(buf, "%d\n", !!(cmd & PCI_COMMAND_INTX_DISABLE));
}
static DEVICE_ATTR_RO(intx_disabled);

/*
 * Writing 1 revokes the current opener's BAR mappings, as VALIRQ_IOC_REVOKE does from the opener
 * itself: a fault injector for the harness (a driver whose card was taken away while it runs).
 * -ENXIO when nobody has the device open.
 */
static ssize_t revoke_store(struct device *dev, struct device_attribute *attr, const char *buf, size_t count)
{
	struct valirq_dev *vd = valirq_from_dev(dev);
	bool yes;
	int ret;

	ret = kstrtobool(buf, &yes);
	if (ret)
		return ret;
	if (!yes)
		return count;
	/* lock: owner and dead change only under it, and valirq_revoke() expects it held. */
	mutex_lock(&vd->lock);
	if (!vd->owner || vd->dead)
		ret = -ENXIO;
	else
		valirq_revoke(vd);
	mutex_unlock(&vd->lock);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(revoke);

static struct attribute *valirq_attrs[] = {
	&dev_attr_hardirqs.attr,
	&dev_attr_irq_none.attr,
	&dev_attr_events.attr,
	&dev_attr_overruns.attr,
	&dev_attr_masks.attr,
	&dev_attr_unmasks.attr,
	&dev_attr_quiesces.attr,
	&dev_attr_quiesce_failures.attr,
	&dev_attr_revocations.attr,
	&dev_attr_mode.attr,
	&dev_attr_masked.attr,
	&dev_attr_intx_disabled.attr,
	&dev_attr_revoke.attr,
	NULL,
};
ATTRIBUTE_GROUPS(valirq);

/* PCI driver ------------------------------------------------------------------------------ */

static int valirq_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct valirq_dev *vd;
	int i, ret;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	kref_init(&vd->kref);
	mutex_init(&vd->lock);
	mutex_init(&vd->read_lock);
	mutex_init(&vd->map_lock);
	raw_spin_lock_init(&vd->ev_lock);
	init_waitqueue_head(&vd->wait);
	vd->pdev = pci_dev_get(pdev);
	snprintf(vd->name, sizeof(vd->name), DRV_NAME "-%s", pci_name(pdev));

	vd->scratch = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!vd->scratch) {
		ret = -ENOMEM;
		goto err_free_vd;
	}
	ret = pci_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable the device: %pe\n", ERR_PTR(ret));
		goto err_free_page;
	}
	/*
	 * The BARs are mapped but not reserved, as uio_pci_generic does: with IO_STRICT_DEVMEM a
	 * reservation would close the sysfs resourceN window, which the harness needs as an observer
	 * (and fault injector) independent of the driver under test.
	 */
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (pci_resource_len(pdev, i))
			vd->bar[i] = pci_iomap(pdev, i, 0);
	}
	/* MSI is a memory write by the card. */
	pci_set_master(pdev);

	vd->misc.minor = MISC_DYNAMIC_MINOR;
	vd->misc.name = vd->name;
	vd->misc.fops = &valirq_fops;
	vd->misc.parent = &pdev->dev;
	vd->misc.groups = valirq_groups;
	vd->misc.mode = 0600;
	pci_set_drvdata(pdev, vd);
	ret = misc_register(&vd->misc);
	if (ret) {
		dev_err(&pdev->dev, "cannot register /dev/%s: %pe\n", vd->name, ERR_PTR(ret));
		goto err_unmap;
	}
	dev_info(&pdev->dev, "bound as /dev/%s\n", vd->name);
	return 0;

err_unmap:
	pci_clear_master(pdev);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (vd->bar[i])
			pci_iounmap(pdev, vd->bar[i]);
	}
	pci_disable_device(pdev);
err_free_page:
	__free_page(vd->scratch);
err_free_vd:
	pci_dev_put(pdev);
	kfree(vd);
	return ret;
}

static void valirq_remove(struct pci_dev *pdev)
{
	struct valirq_dev *vd = pci_get_drvdata(pdev);
	int i;

	/* No new opens from here on; sysfs readers are drained. */
	misc_deregister(&vd->misc);

	mutex_lock(&vd->lock);
	if (vd->owner)
		valirq_revoke(vd);
	valirq_shutdown(vd);
	WRITE_ONCE(vd->dead, true);
	mutex_unlock(&vd->lock);
	wake_up_interruptible_all(&vd->wait);

	/* dead is set under lock: no file operation touches the BARs any more. */
	pci_clear_master(pdev);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (vd->bar[i])
			pci_iounmap(pdev, vd->bar[i]);
	}
	pci_disable_device(pdev);
	kref_put(&vd->kref, valirq_free);
}

static struct pci_driver valirq_driver = {
	.name = DRV_NAME,
	.id_table = NULL,	/* driver_override and ids= only */
	.probe = valirq_probe,
	.remove = valirq_remove,
};

static int __init valirq_add_ids(void)
{
	char *list, *cur, *tok;
	unsigned int vendor, device;
	int ret = 0;

	if (!ids || !*ids)
		return 0;
	list = kstrdup(ids, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while ((tok = strsep(&cur, ",")) && !ret) {
		if (!*tok)
			continue;
		if (sscanf(tok, "%x:%x", &vendor, &device) != 2 || vendor > 0xffff || device > 0xffff) {
			pr_err(DRV_NAME ": ids: '%s' is not vendor:device in hex (e.g. 1234:11e8)\n", tok);
			ret = -EINVAL;
			break;
		}
		ret = pci_add_dynid(&valirq_driver, vendor, device, PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0);
	}
	kfree(list);
	return ret;
}

static int __init valirq_init(void)
{
	int ret;

	ret = pci_register_driver(&valirq_driver);
	if (ret)
		return ret;
	ret = valirq_add_ids();
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	pci_unregister_driver(&valirq_driver);
	return ret;
}

static void __exit valirq_exit(void)
{
	pci_unregister_driver(&valirq_driver);
}

module_init(valirq_init);
module_exit(valirq_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Validate project");
MODULE_DESCRIPTION("PCI interrupts to user space with kernel timestamps, safe against dying drivers");
