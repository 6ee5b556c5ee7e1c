// SPDX-License-Identifier: GPL-2.0
/*
 * valirq: interrupt modes, the hard IRQ and thread handlers, enable, re-arm and shutdown, and the
 * release policy (quiesce, reset). The shutdown order follows vfio_pci_core_disable(): bus
 * mastering off, INTx disabled at the card, the opener's disable steps (handlers still installed),
 * the IRQs and vectors freed, and only then the quiesce steps and, as the last resort, a function
 * reset.
 *
 * Vectors. The MSI vector and the INTx line are vec[0]; in MSI-X mode table entry i is vec[i], each
 * with its own handler, thread, pending record and mask (disable_irq_nosync() at its vector, as
 * vfio-pci's MSI-X triggers are per vector), and a re-arm unmasks every vector that fired.
 *
 * Interrupt flags. MSI, MSI-X and INTx exclusive are requested IRQF_ONESHOT with an explicit
 * thread, which keeps the primary handler in hard interrupt context on PREEMPT_RT too (hardirq_ns
 * is the hard IRQ's). A shared line must agree with its other handlers: on PREEMPT_RT every
 * force-threaded handler (uio_pci_generic's, vfio's) is ONESHOT, on a standard kernel they are
 * not. So the shared mode asks for IRQF_ONESHOT on PREEMPT_RT and IRQF_NO_THREAD elsewhere
 * (and tries the other on -EBUSY: a standard kernel booted with threadirqs). Its primary handler
 * never needs the line masked after it returns: it always silences the card itself (mask steps
 * or PCI 2.3).
 */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/timekeeping.h>
#include "valirq_dev.h"

const char *valirq_mode_name(u32 mode)
{
	switch (mode) {
	case VALIRQ_MODE_MSI:
		return "msi";
	case VALIRQ_MODE_INTX_EXCLUSIVE:
		return "intx-exclusive";
	case VALIRQ_MODE_INTX_SHARED:
		return "intx-shared";
	case VALIRQ_MODE_MSIX:
		return "msix";
	default:
		return "off";
	}
}

const char *valirq_outcome_name(u32 outcome)
{
	switch (outcome) {
	case VALIRQ_OUTCOME_QUIESCED:
		return "quiesced";
	case VALIRQ_OUTCOME_RESET:
		return "reset";
	case VALIRQ_OUTCOME_NEITHER:
		return "neither";
	default:
		return "none";
	}
}

/* PCI command register ------------------------------------------------------------------- */

/*
 * Caller holds ev_lock. Sets or clears the PCI 2.3 Interrupt Disable bit. The config accessors
 * take only the raw pci_lock, so this is safe under ev_lock (pci_intx() is not: it may look up
 * devres under a sleeping lock on PREEMPT_RT).
 */
static void valirq_intx_write_locked(struct valirq_dev *vd, bool disable)
{
	u16 cmd, new;

	lockdep_assert_held(&vd->ev_lock);
	pci_read_config_word(vd->pdev, PCI_COMMAND, &cmd);
	/* All ones: the card is gone; writing it back would turn on everything else. */
	if (PCI_POSSIBLE_ERROR(cmd))
		return;
	new = disable ? cmd | PCI_COMMAND_INTX_DISABLE : cmd & ~PCI_COMMAND_INTX_DISABLE;
	if (new != cmd)
		pci_write_config_word(vd->pdev, PCI_COMMAND, new);
}

/* Caller holds ev_lock. Adds a reason to hold INTx disabled at the card (and disables it). */
void valirq_intx_hold_locked(struct valirq_dev *vd, u32 reason)
{
	lockdep_assert_held(&vd->ev_lock);
	vd->intx_hold |= reason;
	valirq_intx_write_locked(vd, true);
}

/* Caller holds ev_lock. Lifts one reason; INTx is enabled at the card when none is left. */
void valirq_intx_unhold_locked(struct valirq_dev *vd, u32 reason)
{
	lockdep_assert_held(&vd->ev_lock);
	vd->intx_hold &= ~reason;
	if (!vd->intx_hold)
		valirq_intx_write_locked(vd, false);
}

/*
 * Caller holds ev_lock. The card's PCI 2.3 Interrupt Status: it asserts (or would assert, were
 * INTx enabled) its INTx pin. A card without PCI 2.3 masking has no such bit: never.
 */
bool valirq_intx_asserted_locked(struct valirq_dev *vd)
{
	u16 status;

	lockdep_assert_held(&vd->ev_lock);
	if (!vd->pci23 || !vd->pdev->pin)
		return false;
	pci_read_config_word(vd->pdev, PCI_STATUS, &status);
	/* All ones: the card is gone (surprise removal), not interrupting. */
	return !PCI_POSSIBLE_ERROR(status) && (status & PCI_STATUS_INTERRUPT);
}

/*
 * Caller holds ev_lock. Is the card interrupting? The program's check when there is one and it
 * is only a read, and on a PCI 2.3 card its Interrupt Status bit as well. A read-to-clear check
 * is never read for this: it would take the cause away from the next hard IRQ.
 */
static bool valirq_loud_locked(struct valirq_dev *vd)
{
	u32 status;

	/* A revoked opener's check does not touch the card either (a read may clear causes). */
	if (vd->has_program && !vd->revoked && !valirq_read_to_clear(vd) &&
	    valirq_check(vd, &status))
		return true;
	return valirq_intx_asserted_locked(vd);
}

/*
 * Caller holds ev_lock and has a program. Does the card still interrupt after its ack steps? The
 * check read again; for a read-to-clear check, the PCI 2.3 Interrupt Status bit (none: no).
 */
static bool valirq_still_locked(struct valirq_dev *vd)
{
	u32 status;

	if (valirq_read_to_clear(vd))
		return valirq_intx_asserted_locked(vd);
	return valirq_check(vd, &status);
}

/* Caller holds lock. Bus mastering, under ev_lock: the handler may touch PCI_COMMAND too. */
static void valirq_set_master(struct valirq_dev *vd, bool on)
{
	raw_spin_lock_irq(&vd->ev_lock);
	if (on)
		pci_set_master(vd->pdev);
	else
		pci_clear_master(vd->pdev);
	raw_spin_unlock_irq(&vd->ev_lock);
}

/* Handlers ------------------------------------------------------------------------------- */

/* Caller holds ev_lock. A vector's state between two openers (or two enables). */
static void valirq_vec_reset_locked(struct valirq_vec *v)
{
	v->masked = false;
	v->pending_count = 0;
	v->pending_flags = 0;
}

/* Caller holds ev_lock. */
void valirq_vecs_reset_locked(struct valirq_dev *vd)
{
	int i;

	lockdep_assert_held(&vd->ev_lock);
	for (i = 0; i < VALIRQ_MAX_VECTORS; i++)
		valirq_vec_reset_locked(&vd->vec[i]);
}

/* sysfs masked: some vector waits for a re-arm. Takes ev_lock. */
bool valirq_any_masked(struct valirq_dev *vd)
{
	unsigned long flags;
	bool any = false;
	int i;

	raw_spin_lock_irqsave(&vd->ev_lock, flags);
	for (i = 0; i < VALIRQ_MAX_VECTORS && !any; i++)
		any = vd->vec[i].masked;
	raw_spin_unlock_irqrestore(&vd->ev_lock, flags);
	return any;
}

/*
 * Caller holds ev_lock. The card asserts INTx against the program on a shared line: silence it at
 * the card, count it, flag it. woken: the thread has a record pending already.
 */
static irqreturn_t valirq_mismatch_locked(struct valirq_vec *v, u64 now, u32 status, bool woken)
{
	struct valirq_dev *vd = v->vd;

	valirq_intx_hold_locked(vd, VALIRQ_HOLD_MISMATCH);
	atomic64_inc(&vd->c_mismatches);
	if (!woken) {
		v->pending_ns = now;
		v->pending_status = status;
	}
	v->pending_flags |= VALIRQ_EV_MISMATCH;
	return woken ? IRQ_HANDLED : IRQ_WAKE_THREAD;
}

/*
 * The hard IRQ handler of every vector (data: the vector). On a shared line it claims an interrupt
 * only when the program's check (or the PCI 2.3 status) says the card is interrupting, and masks
 * the card itself. An MSI or MSI-X vector or an exclusive line is only ever this card's: a check
 * that does not recognise the interrupt is wrong, so the interrupt is counted as a mismatch and
 * served (the vector or line masked until re-armed), never left to the kernel's
 * spurious-interrupt detection. Each MSI-X vector keeps its own pending record.
 */
static irqreturn_t valirq_hardirq(int irq, void *data)
{
	struct valirq_vec *v = data;
	struct valirq_dev *vd = v->vd;
	u64 now = ktime_get_ns();
	bool autorearm = vd->enable_flags & VALIRQ_ENABLE_AUTOREARM;
	bool shared = vd->mode == VALIRQ_MODE_INTX_SHARED;
	bool intx = vd->mode == VALIRQ_MODE_INTX_SHARED || vd->mode == VALIRQ_MODE_INTX_EXCLUSIVE;
	u32 status = 0;
	irqreturn_t ret;
	bool ours, woken;

	raw_spin_lock(&vd->ev_lock);
	woken = v->pending_count || v->pending_flags;
	if (shared && (v->masked || vd->intx_hold)) {
		/*
		 * Masked at the card: the line's assertion is a neighbour's, unless the program's
		 * mask steps did not silence the card (INTx not disabled, yet it asserts).
		 */
		if (vd->intx_hold || !valirq_intx_asserted_locked(vd))
			goto not_ours;
		ret = valirq_mismatch_locked(v, now, 0, woken);
		raw_spin_unlock(&vd->ev_lock);
		return ret;
	}

	if (vd->has_program)
		ours = valirq_check(vd, &status);
	else if (vd->pci23_mask)
		ours = pci_check_and_mask_intx(vd->pdev);	/* reads and masks in one go */
	else
		ours = true;
	if (!ours && shared) {
		if (!vd->has_program || !valirq_intx_asserted_locked(vd))
			goto not_ours;
		/*
		 * The card asserts: a raise between the two reads, or a check that disagrees. A
		 * read-to-clear check is not read again: the card counts as disagreeing.
		 */
		if (valirq_read_to_clear(vd) || !valirq_check(vd, &status)) {
			ret = valirq_mismatch_locked(v, now, status, woken);
			raw_spin_unlock(&vd->ev_lock);
			return ret;
		}
	} else if (!ours) {
		atomic64_inc(&vd->c_mismatches);
		vd->next_flags |= VALIRQ_EV_MISMATCH;
	}

	atomic64_inc(&vd->c_hardirqs);
	if (vd->has_program)
		valirq_run_steps(vd, vd->prog.ack, vd->prog.n_ack, status);
	if (!v->pending_count)
		v->pending_ns = now;
	v->pending_count++;
	v->pending_status = status;
	vd->total++;

	/*
	 * AUTOREARM relies on the ack steps: on INTx a card they did not silence is masked, and a
	 * burst the thread cannot keep up with (an ack step that raises the next interrupt, a
	 * starved thread) is masked too, so that no storm holds the CPU in hard IRQ context.
	 */
	if (autorearm && ((intx && valirq_still_locked(vd)) ||
			  v->pending_count >= VALIRQ_RING_SIZE))
		autorearm = false;
	if (!autorearm) {
		if (!shared)
			disable_irq_nosync(irq);
		else if (!vd->pci23_mask)
			valirq_run_steps(vd, vd->prog.mask, vd->prog.n_mask, status);
		else if (vd->has_program)
			valirq_intx_hold_locked(vd, VALIRQ_HOLD_HANDLER);
		else
			vd->intx_hold |= VALIRQ_HOLD_HANDLER;	/* pci_check_and_mask_intx() did */
		v->masked = true;
		atomic64_inc(&vd->c_masks);
	}
	raw_spin_unlock(&vd->ev_lock);
	/* A thread already woken takes this one too: handled, as far as the kernel counts. */
	return woken ? IRQ_HANDLED : IRQ_WAKE_THREAD;

not_ours:
	raw_spin_unlock(&vd->ev_lock);
	atomic64_inc(&vd->c_irq_none);
	return IRQ_NONE;
}

/* The IRQ thread of every vector (data: the vector): its pending hard IRQs become one record. */
static irqreturn_t valirq_thread(int irq, void *data)
{
	struct valirq_vec *v = data;
	struct valirq_dev *vd = v->vd;
	struct valirq_event ev = { .thread_ns = ktime_get_ns(), .vector = v->index };

	raw_spin_lock_irq(&vd->ev_lock);
	if (!v->pending_count && !v->pending_flags) {
		raw_spin_unlock_irq(&vd->ev_lock);
		return IRQ_HANDLED;
	}
	ev.hardirq_ns = v->pending_ns;
	ev.count = v->pending_count;
	ev.status = v->pending_status;
	ev.flags = v->pending_flags;
	v->pending_count = 0;
	v->pending_flags = 0;
	valirq_push(vd, &ev, false);
	raw_spin_unlock_irq(&vd->ev_lock);
	wake_up_interruptible(&vd->wait);
	return IRQ_HANDLED;
}

/* Enable, re-arm, shutdown ----------------------------------------------------------------- */

/*
 * On a shared line the first attempt is IRQF_PROBE_SHARED (no "Flags mismatch" error in the log
 * when the line's handlers disagree with us on IRQF_ONESHOT); the second takes their side. Which
 * handler comes first still matters on a standard kernel booted with threadirqs: a forced-threaded
 * neighbour that requests after us (NO_THREAD, not ONESHOT) is refused. A module cannot tell
 * whether threadirqs is on (force_irqthreads_key is not exported).
 */
static int valirq_request(struct valirq_vec *v, u32 mode)
{
	unsigned long flags = IRQF_ONESHOT;
	int ret;

	if (mode != VALIRQ_MODE_INTX_SHARED)
		return request_threaded_irq(v->irq, valirq_hardirq, valirq_thread, flags,
					    v->name, v);
	flags = IRQF_SHARED | (IS_ENABLED(CONFIG_PREEMPT_RT) ? IRQF_ONESHOT : IRQF_NO_THREAD);
	ret = request_threaded_irq(v->irq, valirq_hardirq, valirq_thread,
				   flags | IRQF_PROBE_SHARED, v->name, v);
	if (ret == -EBUSY) {
		flags ^= IRQF_ONESHOT | IRQF_NO_THREAD;
		ret = request_threaded_irq(v->irq, valirq_hardirq, valirq_thread, flags, v->name,
					   v);
	}
	return ret;
}

/* Caller holds lock. Frees the requested vectors' IRQs (the handlers are gone when it returns). */
static void valirq_free_irqs(struct valirq_dev *vd)
{
	unsigned long bits = vd->vectors;
	int i;

	for_each_set_bit(i, &bits, VALIRQ_MAX_VECTORS) {
		free_irq(vd->vec[i].irq, &vd->vec[i]);
		vd->vec[i].irq = 0;
	}
	vd->vectors = 0;
}

/*
 * Caller holds lock, the mode and vectors set, nothing requested. Requests every vector's IRQ, or
 * none: on an error the ones requested are freed again.
 */
static int valirq_request_all(struct valirq_dev *vd, u32 vectors, int legacy_irq)
{
	struct pci_dev *pdev = vd->pdev;
	unsigned long bits = vectors;
	int i, ret;

	for_each_set_bit(i, &bits, VALIRQ_MAX_VECTORS) {
		struct valirq_vec *v = &vd->vec[i];

		if (vd->mode == VALIRQ_MODE_MSIX) {
			v->irq = pci_irq_vector(pdev, i);
			snprintf(v->name, sizeof(v->name), "%s-msix%d", vd->name, i);
		} else {
			v->irq = vd->mode == VALIRQ_MODE_MSI ? pci_irq_vector(pdev, 0) : legacy_irq;
			strscpy(v->name, vd->name, sizeof(v->name));
		}
		ret = v->irq < 0 ? v->irq : valirq_request(v, vd->mode);
		if (ret == -EBUSY) {
			/* Another driver has the line, or its handlers cannot share it. */
			dev_dbg(&pdev->dev, "IRQ %d is busy in mode %s\n", v->irq,
				valirq_mode_name(vd->mode));
			goto err_free;
		} else if (ret) {
			dev_err(&pdev->dev, "cannot request IRQ %d (vector %d) in mode %s: %pe\n",
				v->irq, i, valirq_mode_name(vd->mode), ERR_PTR(ret));
			goto err_free;
		}
		vd->vectors |= BIT(i);
	}
	return 0;

err_free:
	vd->vec[i].irq = 0;
	valirq_free_irqs(vd);
	return ret;
}

/* Caller holds lock. MSI-X: the vectors asked for exist (below the table size, at most 32). */
static int valirq_check_msix(struct valirq_dev *vd, u32 vectors)
{
	struct pci_dev *pdev = vd->pdev;
	int nvec = pci_msix_vec_count(pdev);

	if (nvec <= 0) {
		dev_dbg(&pdev->dev, "enable: the function has no MSI-X capability\n");
		return -EINVAL;
	}
	if (!vectors || (nvec < VALIRQ_MAX_VECTORS && vectors >> nvec)) {
		dev_dbg(&pdev->dev, "enable: vectors 0x%x, the MSI-X table has %d entries\n",
			vectors, nvec);
		return -EINVAL;
	}
	return 0;
}

/*
 * Caller holds lock. Installs the handlers in a mode, then runs the init steps; the card's
 * interrupts flow once it returns. MSI and MSI-X vectors are allocated first and freed again on
 * any error (which re-enables INTx: valirq disables it again).
 */
int valirq_enable(struct valirq_dev *vd, const struct valirq_enable *en)
{
	struct pci_dev *pdev = vd->pdev;
	bool autorearm = en->flags & VALIRQ_ENABLE_AUTOREARM;
	bool program_acks = vd->has_program && vd->prog.n_ack;
	bool msi = en->mode == VALIRQ_MODE_MSI || en->mode == VALIRQ_MODE_MSIX;
	bool master = msi || (en->flags & VALIRQ_ENABLE_BUSMASTER);
	u32 vectors = BIT(0);
	bool mismatch = false;
	u32 status;
	int ret;

	lockdep_assert_held(&vd->lock);
	if (vd->revoked) {
		dev_dbg(&pdev->dev, "enable: the device was revoked from this opener\n");
		return -EPERM;
	}
	if (vd->mode != VALIRQ_MODE_OFF) {
		dev_dbg(&pdev->dev, "enable: already enabled in mode %s\n",
			valirq_mode_name(vd->mode));
		return -EBUSY;
	}
	if (en->flags & ~(VALIRQ_ENABLE_AUTOREARM | VALIRQ_ENABLE_BUSMASTER)) {
		dev_dbg(&pdev->dev, "enable: unknown flags 0x%x\n", en->flags);
		return -EINVAL;
	}
	if (en->reserved) {
		dev_dbg(&pdev->dev, "enable: reserved field is 0x%x, must be 0\n", en->reserved);
		return -EINVAL;
	}
	if (en->vectors && en->mode != VALIRQ_MODE_MSIX) {
		dev_dbg(&pdev->dev, "enable: vectors 0x%x outside MSI-X mode\n", en->vectors);
		return -EINVAL;
	}

	switch (en->mode) {
	case VALIRQ_MODE_MSI:
		if (!pdev->msi_cap) {
			dev_dbg(&pdev->dev, "enable: the function has no MSI capability\n");
			return -EINVAL;
		}
		break;
	case VALIRQ_MODE_MSIX:
		ret = valirq_check_msix(vd, en->vectors);
		if (ret)
			return ret;
		vectors = en->vectors;
		break;
	case VALIRQ_MODE_INTX_SHARED:
		if (!vd->pci23 && !(vd->has_program && vd->prog.n_mask)) {
			dev_dbg(&pdev->dev, "enable: a shared line needs PCI 2.3 masking or a program with mask steps\n");
			return -EINVAL;
		}
		fallthrough;
	case VALIRQ_MODE_INTX_EXCLUSIVE:
		if (!pdev->pin || !vd->legacy_irq) {
			dev_dbg(&pdev->dev, "enable: the function has no INTx line\n");
			return -EINVAL;
		}
		if (autorearm && !program_acks) {
			dev_dbg(&pdev->dev, "enable: AUTOREARM on INTx needs a program with ack steps\n");
			return -EINVAL;
		}
		/*
		 * INTx is held disabled (OFF) until our handler is installed. A read-to-clear
		 * check is not read here: its first read belongs to the first hard IRQ.
		 */
		raw_spin_lock_irq(&vd->ev_lock);
		if (vd->has_program && !valirq_read_to_clear(vd) &&
		    valirq_intx_asserted_locked(vd))
			mismatch = !valirq_check(vd, &status);
		raw_spin_unlock_irq(&vd->ev_lock);
		if (mismatch) {
			dev_dbg(&pdev->dev, "enable: the card asserts INTx but the program's check says it is not interrupting\n");
			return -EIO;
		}
		break;
	default:
		dev_dbg(&pdev->dev, "enable: unknown mode %u\n", en->mode);
		return -EINVAL;
	}

	if (en->mode == VALIRQ_MODE_MSI) {
		ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	} else if (en->mode == VALIRQ_MODE_MSIX) {
		/* Table entries 0 .. the highest asked for; only those asked for are requested. */
		ret = pci_alloc_irq_vectors(pdev, fls(vectors), fls(vectors), PCI_IRQ_MSIX);
	} else {
		ret = 0;
	}
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot allocate %s vectors: %pe\n",
			valirq_mode_name(en->mode), ERR_PTR(ret));
		return ret;
	}

	raw_spin_lock_irq(&vd->ev_lock);
	valirq_vecs_reset_locked(vd);
	vd->total = 0;
	raw_spin_unlock_irq(&vd->ev_lock);
	vd->mode = en->mode;
	vd->enable_flags = en->flags;
	vd->pci23_mask = en->mode == VALIRQ_MODE_INTX_SHARED &&
			 !(vd->has_program && vd->prog.n_mask);

	ret = valirq_request_all(vd, vectors, vd->legacy_irq);
	if (ret)
		goto err_mode;
	if (en->flags & VALIRQ_ENABLE_BUSMASTER) {
		/* As vfio no-IOMMU: user space may DMA anywhere now; say so. */
		dev_warn_once(&pdev->dev, "bus mastering granted to user space: DMA without IOMMU protection\n");
		add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	}
	if (master)
		valirq_set_master(vd, true);
	raw_spin_lock_irq(&vd->ev_lock);
	if (msi) {
		/* The MSI core owns the INTx disable bit now (pci_intx_for_msi()). */
		vd->intx_hold &= ~(VALIRQ_HOLD_LOUD | VALIRQ_HOLD_MISMATCH);
	} else {
		/*
		 * Start clean: INTx enabled at the card now that our handler is there, so that a
		 * card left asserting by the last opener interrupts this one. The handler may
		 * have masked it already (HANDLER, MISMATCH): then it stays masked.
		 */
		valirq_intx_unhold_locked(vd, VALIRQ_HOLD_OFF | VALIRQ_HOLD_LOUD);
	}
	/* The card is told to interrupt last: everything that serves it is in place. */
	valirq_run_steps(vd, vd->init.init, vd->init.n_init, 0);
	raw_spin_unlock_irq(&vd->ev_lock);
	return 0;

err_mode:
	vd->mode = VALIRQ_MODE_OFF;
	vd->enable_flags = 0;
	vd->pci23_mask = false;
	if (msi) {
		pci_free_irq_vectors(pdev);
		/* pci_free_irq_vectors() re-enabled INTx: restore what we hold. */
		raw_spin_lock_irq(&vd->ev_lock);
		valirq_intx_hold_locked(vd, VALIRQ_HOLD_OFF);
		raw_spin_unlock_irq(&vd->ev_lock);
	}
	return ret;
}

/*
 * Caller holds lock. Re-arm after an event was handled: every vector that fired and was masked
 * is unmasked (MSI-X: each at its vector).
 */
int valirq_ack(struct valirq_dev *vd)
{
	unsigned long unmask = 0, bits = vd->vectors;
	bool still = false;
	int i;

	lockdep_assert_held(&vd->lock);
	if (vd->revoked) {
		dev_dbg(&vd->pdev->dev, "ack: the device was revoked from this opener\n");
		return -EPERM;
	}
	if (vd->mode == VALIRQ_MODE_OFF) {
		dev_dbg(&vd->pdev->dev, "ack: interrupts are not enabled\n");
		return -EINVAL;
	}
	raw_spin_lock_irq(&vd->ev_lock);
	if (vd->intx_hold & VALIRQ_HOLD_MISMATCH) {
		/*
		 * Lifted once the card is silent: while it asserts, lifting it would only bring
		 * the same interrupt back (its mask steps do not work, or its check is wrong).
		 */
		if (valirq_intx_asserted_locked(vd))
			still = true;
		else
			valirq_intx_unhold_locked(vd, VALIRQ_HOLD_MISMATCH);
	}
	if (vd->mode == VALIRQ_MODE_INTX_SHARED && !still && vd->vec[0].masked) {
		/*
		 * Unmask at the card with the hard IRQ handler excluded (it tests masked). Another
		 * hold than the handler's keeps the card masked.
		 */
		if (!vd->pci23_mask)
			valirq_run_steps(vd, vd->prog.unmask, vd->prog.n_unmask, 0);
		else if (vd->intx_hold & ~VALIRQ_HOLD_HANDLER)
			vd->intx_hold &= ~VALIRQ_HOLD_HANDLER;
		else if (pci_check_and_unmask_intx(vd->pdev))
			vd->intx_hold &= ~VALIRQ_HOLD_HANDLER;
		else
			still = true;
		if (!still) {
			vd->vec[0].masked = false;
			atomic64_inc(&vd->c_unmasks);
		}
	} else if (vd->mode != VALIRQ_MODE_INTX_SHARED && !still) {
		for_each_set_bit(i, &bits, VALIRQ_MAX_VECTORS) {
			if (vd->vec[i].masked) {
				vd->vec[i].masked = false;
				unmask |= BIT(i);
			}
		}
	}
	raw_spin_unlock_irq(&vd->ev_lock);

	if (still) {
		dev_dbg(&vd->pdev->dev, "ack: the card is still interrupting; acknowledge it at the card first\n");
		return -EAGAIN;
	}
	/* Masked at the line or vector (disable_irq_nosync() in the handler): unmask there. */
	for_each_set_bit(i, &unmask, VALIRQ_MAX_VECTORS) {
		enable_irq(vd->vec[i].irq);
		atomic64_inc(&vd->c_unmasks);
	}
	return 0;
}

/* Caller holds lock, no IRQ of ours requested. Tries a function reset; true when it worked. */
static bool valirq_reset(struct valirq_dev *vd, bool dev_locked)
{
	struct pci_dev *pdev = vd->pdev;
	int ret;

	/* remove() runs with the device lock held; a release must not wait for it. */
	ret = dev_locked ? pci_reset_function_locked(pdev) : pci_try_reset_function(pdev);
	if (ret) {
		atomic64_inc(&vd->c_reset_failures);
		dev_info(&pdev->dev, "function reset failed: %pe\n", ERR_PTR(ret));
		return false;
	}
	atomic64_inc(&vd->c_resets);
	return true;
}

/*
 * Caller holds lock. Takes the card's interrupts away: bus mastering off, INTx disabled at the
 * card, the opener's disable steps (its handlers still installed; not for a revoked opener), the
 * IRQ and vectors freed. When dying (release, unbind), then applies the release policy: the
 * quiesce steps (unless the opener was revoked) and a reset when the policy says so. A card
 * still interrupting afterwards stays INTx-disabled at the card, so a shared line lives.
 */
void valirq_shutdown(struct valirq_dev *vd, bool dying, bool dev_locked)
{
	struct pci_dev *pdev = vd->pdev;
	u32 mode = vd->mode, policy = vd->quiesce.policy;
	bool steps = dying && !vd->revoked && policy != VALIRQ_RELEASE_RESET && vd->quiesce.n_steps;
	bool reset = false, tried = false, loud;
	u32 outcome;

	lockdep_assert_held(&vd->lock);
	valirq_set_master(vd, false);
	raw_spin_lock_irq(&vd->ev_lock);
	valirq_intx_hold_locked(vd, VALIRQ_HOLD_OFF);
	/*
	 * The disable steps tell the card to stop interrupting while our handlers are still there
	 * to serve what it raised before; a revoked opener's steps never run.
	 */
	if (mode != VALIRQ_MODE_OFF && !vd->revoked)
		valirq_run_steps(vd, vd->init.disable, vd->init.n_disable, 0);
	raw_spin_unlock_irq(&vd->ev_lock);

	if (mode != VALIRQ_MODE_OFF) {
		valirq_free_irqs(vd);
		if (mode == VALIRQ_MODE_MSI || mode == VALIRQ_MODE_MSIX) {
			pci_free_irq_vectors(pdev);
			/* pci_free_irq_vectors() re-enabled INTx (pci_intx_for_msi()). */
			raw_spin_lock_irq(&vd->ev_lock);
			valirq_intx_hold_locked(vd, VALIRQ_HOLD_OFF);
			raw_spin_unlock_irq(&vd->ev_lock);
		}
	}
	vd->mode = VALIRQ_MODE_OFF;
	vd->enable_flags = 0;
	vd->pci23_mask = false;

	raw_spin_lock_irq(&vd->ev_lock);
	if (steps)
		valirq_run_steps(vd, vd->quiesce.steps, vd->quiesce.n_steps, 0);
	loud = valirq_loud_locked(vd);
	raw_spin_unlock_irq(&vd->ev_lock);

	if (dying && (policy == VALIRQ_RELEASE_RESET ||
		      (policy == VALIRQ_RELEASE_QUIESCE_THEN_RESET && loud))) {
		tried = true;
		reset = valirq_reset(vd, dev_locked);
		raw_spin_lock_irq(&vd->ev_lock);
		/* The reset restored the command register we saved: our holds still stand. */
		valirq_intx_hold_locked(vd, VALIRQ_HOLD_OFF);
		loud = valirq_loud_locked(vd);
		raw_spin_unlock_irq(&vd->ev_lock);
	}

	raw_spin_lock_irq(&vd->ev_lock);
	vd->intx_hold &= VALIRQ_HOLD_OFF;
	if (loud)
		vd->intx_hold |= VALIRQ_HOLD_LOUD;
	valirq_vecs_reset_locked(vd);
	raw_spin_unlock_irq(&vd->ev_lock);

	if (!dying)
		return;
	if (reset && !loud)
		outcome = VALIRQ_OUTCOME_RESET;
	else if (steps && !loud && !tried)
		outcome = VALIRQ_OUTCOME_QUIESCED;
	else if (!steps && !tried && !loud)
		outcome = VALIRQ_OUTCOME_NONE;
	else
		outcome = VALIRQ_OUTCOME_NEITHER;
	if (steps)
		atomic64_inc(&vd->c_quiesces);
	if (loud) {
		atomic64_inc(&vd->c_quiesce_failures);
		dev_warn_ratelimited(&pdev->dev, "the card is still interrupting after its release (%s); INTx left disabled at the card\n",
				     reset ? "reset" : steps ? "quiesced" : "no quiesce steps");
	}
	vd->last_release = outcome;
	vd->release_flags = outcome == VALIRQ_OUTCOME_QUIESCED ? VALIRQ_EV_QUIESCED :
			    outcome == VALIRQ_OUTCOME_RESET ? VALIRQ_EV_RESET :
			    outcome == VALIRQ_OUTCOME_NEITHER ? VALIRQ_EV_UNQUIESCED : 0;
}
