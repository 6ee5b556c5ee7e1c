// SPDX-License-Identifier: GPL-2.0
/*
 * valirq: register access and the card's programs (the IRQ program's check, ack, mask and unmask
 * steps; the quiesce steps). Every step is validated against the BARs before it is accepted, so
 * the kernel never touches an address outside the card's BARs.
 */
#include <linux/io.h>
#include "valirq_dev.h"

/* One access of width 1, 2 or 4 at a mapped register (the programs, the debugfs windows). */
u32 valirq_ioread(void __iomem *a, unsigned int width)
{
	switch (width) {
	case 1:
		return ioread8(a);
	case 2:
		return ioread16(a);
	default:
		return ioread32(a);
	}
}

void valirq_iowrite(void __iomem *a, unsigned int width, u32 v)
{
	switch (width) {
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

u32 valirq_rd(struct valirq_dev *vd, const struct valirq_reg *r)
{
	return valirq_ioread(vd->bar[r->bar] + r->offset, r->width);
}

void valirq_wr(struct valirq_dev *vd, const struct valirq_reg *r, u32 v)
{
	valirq_iowrite(vd->bar[r->bar] + r->offset, r->width, v);
}

/* Caller holds ev_lock. status is what the check read. */
void valirq_run_steps(struct valirq_dev *vd, const struct valirq_step *s, u32 n, u32 status)
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

/* Caller holds ev_lock and has a program. True when its check says the card is interrupting. */
bool valirq_check(struct valirq_dev *vd, u32 *status)
{
	const struct valirq_step *c = &vd->prog.check;
	u32 v = valirq_rd(vd, &c->reg);

	*status = v;
	if (c->op == VALIRQ_OP_READ_EQ)
		return (v & c->mask) == c->value;
	return (v & c->mask) != c->value;
}

int valirq_validate_reg(struct valirq_dev *vd, const struct valirq_reg *r)
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
		dev_dbg(&pdev->dev, "register: offset 0x%x not aligned to width %u\n",
			r->offset, r->width);
		return -EINVAL;
	}
	if ((u64)r->offset + r->width > pci_resource_len(pdev, r->bar)) {
		dev_dbg(&pdev->dev, "register: offset 0x%x + %u beyond BAR %u (%llu bytes)\n",
			r->offset, r->width, r->bar, (u64)pci_resource_len(pdev, r->bar));
		return -EINVAL;
	}
	return 0;
}

/* What a step list may hold: the check's read ops, write ops, or write ops without WRITE_STATUS. */
enum valirq_steps_kind { VALIRQ_STEPS_CHECK, VALIRQ_STEPS_WRITE, VALIRQ_STEPS_NO_STATUS };

static bool valirq_op_ok(u32 op, enum valirq_steps_kind kind)
{
	switch (kind) {
	case VALIRQ_STEPS_CHECK:
		return op == VALIRQ_OP_READ_NE || op == VALIRQ_OP_READ_EQ;
	case VALIRQ_STEPS_NO_STATUS:
		if (op == VALIRQ_OP_WRITE_STATUS)
			return false;
		fallthrough;
	default:
		return op >= VALIRQ_OP_WRITE && op <= VALIRQ_OP_CLEAR_BITS;
	}
}

static int valirq_validate_steps(struct valirq_dev *vd, const struct valirq_step *s, u32 n,
				 enum valirq_steps_kind kind)
{
	static const char * const kinds[] = { "check", "write", "write (no WRITE_STATUS)" };

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
		if (!valirq_op_ok(s->op, kind)) {
			dev_dbg(&vd->pdev->dev, "program: step %u has op %u, not a %s op\n", i,
				s->op, kinds[kind]);
			return -EINVAL;
		}
	}
	return 0;
}

int valirq_validate_program(struct valirq_dev *vd, const struct valirq_program *p)
{
	int ret;

	if (p->flags & ~VALIRQ_PROG_READ_TO_CLEAR) {
		dev_dbg(&vd->pdev->dev, "program: unknown flags 0x%x\n", p->flags);
		return -EINVAL;
	}
	ret = valirq_validate_steps(vd, &p->check, 1, VALIRQ_STEPS_CHECK);
	if (!ret)
		ret = valirq_validate_steps(vd, p->ack, p->n_ack, VALIRQ_STEPS_WRITE);
	if (!ret)
		ret = valirq_validate_steps(vd, p->mask, p->n_mask, VALIRQ_STEPS_WRITE);
	if (!ret)
		ret = valirq_validate_steps(vd, p->unmask, p->n_unmask, VALIRQ_STEPS_WRITE);
	return ret;
}

int valirq_validate_quiesce(struct valirq_dev *vd, const struct valirq_quiesce *q)
{
	if (q->policy > VALIRQ_RELEASE_QUIESCE_THEN_RESET) {
		dev_dbg(&vd->pdev->dev, "quiesce: unknown release policy %u\n", q->policy);
		return -EINVAL;
	}
	return valirq_validate_steps(vd, q->steps, q->n_steps, VALIRQ_STEPS_WRITE);
}

/* Init and disable steps write the card; there is no status to write back (no WRITE_STATUS). */
int valirq_validate_init(struct valirq_dev *vd, const struct valirq_init *in)
{
	int ret;

	ret = valirq_validate_steps(vd, in->init, in->n_init, VALIRQ_STEPS_NO_STATUS);
	if (!ret)
		ret = valirq_validate_steps(vd, in->disable, in->n_disable, VALIRQ_STEPS_NO_STATUS);
	return ret;
}

/*
 * Caller holds lock or the program cannot change (an IRQ of ours is requested). The check clears
 * what it reads: it is read once per hard IRQ and never to find out whether the card interrupts.
 */
bool valirq_read_to_clear(struct valirq_dev *vd)
{
	return vd->has_program && (vd->prog.flags & VALIRQ_PROG_READ_TO_CLEAR);
}
