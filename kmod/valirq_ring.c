// SPDX-License-Identifier: GPL-2.0
/*
 * valirq: the event ring between the IRQ thread and the reader. Data records (one per IRQ-thread
 * run) may fill VALIRQ_RING_SIZE - VALIRQ_RING_RESERVED slots; when the ring is that full they are
 * dropped and counted, and the next queued record carries the count and VALIRQ_EV_OVERRUN.
 * Control records (REVOKED, GONE: at most one of each per opener) may use the reserved slots,
 * so they are never lost to a full ring.
 */
#include <linux/fs.h>
#include <linux/uaccess.h>
#include "valirq_dev.h"

/* Caller holds ev_lock. Queues a record, or counts it dropped when the ring is full. */
void valirq_push(struct valirq_dev *vd, struct valirq_event *ev, bool control)
{
	u32 room = control ? VALIRQ_RING_SIZE : VALIRQ_RING_SIZE - VALIRQ_RING_RESERVED;

	ev->seq = ++vd->seq;
	ev->total = vd->total;
	if (vd->head - vd->tail >= room) {
		/* Flags that say something happened must reach the reader on a later record. */
		vd->next_flags |= ev->flags;
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

/* Queues a control record (count 0) with flags and wakes the reader. Takes ev_lock. */
void valirq_push_control(struct valirq_dev *vd, u32 flags)
{
	struct valirq_event ev = { .flags = flags, .thread_ns = ktime_get_ns() };
	unsigned long irqflags;

	raw_spin_lock_irqsave(&vd->ev_lock, irqflags);
	valirq_push(vd, &ev, true);
	raw_spin_unlock_irqrestore(&vd->ev_lock, irqflags);
	wake_up_interruptible(&vd->wait);
}

bool valirq_readable(struct valirq_dev *vd)
{
	unsigned long flags;
	bool r;

	raw_spin_lock_irqsave(&vd->ev_lock, flags);
	r = vd->head != vd->tail;
	raw_spin_unlock_irqrestore(&vd->ev_lock, flags);
	return r;
}

/* Caller holds lock, with no IRQ of ours requested. A new opener's empty ring. */
void valirq_ring_reset(struct valirq_dev *vd, u32 first_flags)
{
	raw_spin_lock_irq(&vd->ev_lock);
	vd->head = 0;
	vd->tail = 0;
	vd->seq = 0;
	vd->total = 0;
	vd->dropped = 0;
	valirq_vecs_reset_locked(vd);
	vd->next_flags = first_flags;
	raw_spin_unlock_irq(&vd->ev_lock);
}

ssize_t valirq_ring_read(struct valirq_dev *vd, struct file *file, char __user *buf, size_t count)
{
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
		ret = wait_event_interruptible(vd->wait,
					       valirq_readable(vd) || READ_ONCE(vd->dead));
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
