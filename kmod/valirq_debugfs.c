// SPDX-License-Identifier: GPL-2.0
/*
 * valirq: test hooks in debugfs (root only), one directory per bound function:
 *
 *	/sys/kernel/debug/valirq/0000:00:04.0/stimulus	VALIRQ_IOC_STIMULUS: a timestamped write
 *	/sys/kernel/debug/valirq/0000:00:04.0/revoke	echo 1 >: revoke the current opener
 *	/sys/kernel/debug/valirq/0000:00:04.0/barN	pread/pwrite 1, 2 or 4 bytes at an aligned
 *							offset of BAR N
 *
 * and one module-level file beside the directories, for a function valirq is not bound to:
 *
 *	/sys/kernel/debug/valirq/window			VALIRQ_IOC_WINDOW: target a memory BAR
 *							of any function; then pread/pwrite as
 *							barN, and VALIRQ_IOC_STIMULUS on it
 *
 * They are the harness's side of the card, independent of the user-space driver under test: a
 * raise with its timestamp, a fault injector that takes the card away from a running driver, and
 * an observer of the registers (sysfs resourceN cannot be mapped while valirq holds the BARs).
 *
 * The files are created "unsafe" (no proxy), because 6.1's debugfs proxy does not forward
 * compat_ioctl; every handler brackets itself with debugfs_file_get()/debugfs_file_put() instead,
 * so debugfs removal (the first step of remove) waits for it, and vd outlives every call. The
 * handlers take lock, which orders them with release, revocation and the function reset.
 */
#include <linux/compat.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include "valirq_dev.h"

static struct dentry *valirq_debugfs_root;

static long valirq_dbg_stimulus_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct valirq_dev *vd = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct valirq_stimulus st;
	unsigned long flags;
	long ret;

	if (cmd != VALIRQ_IOC_STIMULUS)
		return -ENOTTY;
	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	ret = debugfs_file_get(file->f_path.dentry);
	if (ret)
		return ret;
	mutex_lock(&vd->lock);
	if (vd->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (vd->revoked) {
		dev_dbg(&vd->pdev->dev, "stimulus: the opener was revoked\n");
		ret = -EPERM;
		goto out;
	}
	ret = st.reserved ? -EINVAL : valirq_validate_reg(vd, &st.reg);
	if (ret)
		goto out;
	/* Nothing between the timestamp and the write; ev_lock orders it with the programs. */
	raw_spin_lock_irqsave(&vd->ev_lock, flags);
	st.before_ns = ktime_get_ns();
	valirq_wr(vd, &st.reg, st.value);
	raw_spin_unlock_irqrestore(&vd->ev_lock, flags);
out:
	mutex_unlock(&vd->lock);
	debugfs_file_put(file->f_path.dentry);
	if (!ret && copy_to_user(uarg, &st, sizeof(st)))
		ret = -EFAULT;
	return ret;
}

static const struct file_operations valirq_dbg_stimulus_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.unlocked_ioctl = valirq_dbg_stimulus_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

static ssize_t valirq_dbg_revoke_write(struct file *file, const char __user *buf, size_t count,
				       loff_t *ppos)
{
	struct valirq_dev *vd = file->private_data;
	bool yes;
	int ret;

	ret = kstrtobool_from_user(buf, count, &yes);
	if (ret)
		return ret;
	if (!yes)
		return count;
	ret = debugfs_file_get(file->f_path.dentry);
	if (ret)
		return ret;
	mutex_lock(&vd->lock);
	if (!vd->owner || vd->dead)
		ret = -ENXIO;
	else
		valirq_revoke(vd);
	mutex_unlock(&vd->lock);
	debugfs_file_put(file->f_path.dentry);
	return ret ? ret : count;
}

static const struct file_operations valirq_dbg_revoke_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = valirq_dbg_revoke_write,
	.llseek = no_llseek,
};

/* A register of the window: width = count, offset = *ppos, checked like a program's step. */
static int valirq_dbg_reg(struct valirq_dbg_bar *b, size_t count, loff_t pos,
			  struct valirq_reg *r)
{
	struct pci_dev *pdev = b->vd->pdev;

	if ((count != 1 && count != 2 && count != 4) || pos < 0 || pos > U32_MAX)
		return -EINVAL;
	r->bar = b->bar;
	r->width = count;
	r->space = pci_resource_flags(pdev, b->bar) & IORESOURCE_IO ?
		   VALIRQ_SPACE_IO : VALIRQ_SPACE_MEM;
	r->reserved = 0;
	r->offset = pos;
	return valirq_validate_reg(b->vd, r);
}

/* One access through the window: under lock (not during a reset) and ev_lock (the handler). */
static int valirq_dbg_bar_access(struct file *file, size_t count, loff_t pos, u32 *v, bool write)
{
	struct valirq_dbg_bar *b = file->private_data;
	struct valirq_dev *vd = b->vd;
	struct valirq_reg r;
	unsigned long flags;
	int ret;

	ret = valirq_dbg_reg(b, count, pos, &r);
	if (ret)
		return ret;
	ret = debugfs_file_get(file->f_path.dentry);
	if (ret)
		return ret;
	mutex_lock(&vd->lock);
	if (vd->dead) {
		ret = -ENODEV;
	} else {
		raw_spin_lock_irqsave(&vd->ev_lock, flags);
		if (write)
			valirq_wr(vd, &r, *v);
		else
			*v = valirq_rd(vd, &r);
		raw_spin_unlock_irqrestore(&vd->ev_lock, flags);
	}
	mutex_unlock(&vd->lock);
	debugfs_file_put(file->f_path.dentry);
	return ret;
}

/* One access of count bytes at pos: the barN files' and the window's. */
typedef int (*valirq_dbg_access_fn)(struct file *file, size_t count, loff_t pos, u32 *v,
				    bool write);

static ssize_t valirq_dbg_read(struct file *file, char __user *buf, size_t count, loff_t *ppos,
			       valirq_dbg_access_fn access)
{
	u32 v = 0;
	int ret;

	ret = access(file, count, *ppos, &v, false);
	if (ret)
		return ret;
	/* Little-endian x86 and the widths 1, 2, 4: the low bytes of v are the register. */
	if (copy_to_user(buf, &v, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t valirq_dbg_write(struct file *file, const char __user *buf, size_t count,
				loff_t *ppos, valirq_dbg_access_fn access)
{
	u32 v = 0;
	int ret;

	/* The access checks count is 1, 2 or 4; this bounds the copy before it. */
	if (count > sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, buf, count))
		return -EFAULT;
	ret = access(file, count, *ppos, &v, true);
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

static ssize_t valirq_dbg_bar_read(struct file *file, char __user *buf, size_t count,
				   loff_t *ppos)
{
	return valirq_dbg_read(file, buf, count, ppos, valirq_dbg_bar_access);
}

static ssize_t valirq_dbg_bar_write(struct file *file, const char __user *buf, size_t count,
				    loff_t *ppos)
{
	return valirq_dbg_write(file, buf, count, ppos, valirq_dbg_bar_access);
}

static const struct file_operations valirq_dbg_bar_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = valirq_dbg_bar_read,
	.write = valirq_dbg_bar_write,
	.llseek = default_llseek,
};

/*
 * The module-level window: one per open file of <debugfs>/valirq/window, on a memory BAR of any
 * PCI function, bound to vfio-pci, uio_pci_generic, valirq or nothing. It is how the harness
 * reaches a card held by a user-space VFIO driver under test: vfio-pci requests the BAR when its
 * user maps it, and under CONFIG_IO_STRICT_DEVMEM sysfs resourceN cannot be mapped then. The
 * window requests nothing: pci_iomap() alone, which coexists with any driver's request.
 *
 * No device lock (and nothing of the function's driver) is taken, and none is needed for our
 * own memory's sake: the pci_dev reference keeps the pci_dev, and our mapping stays a valid
 * kernel mapping of the BAR's physical range however drivers are unbound and rebound (the
 * resource and its address do not change with the driver). What the window cannot promise is
 * what is at that range: a function in D3hot (vfio-pci idles an unopened device there) or with
 * memory decoding off drops writes and reads ~0, which the harness accounts for; a function
 * reset by its driver reads what the reset left. Hot removal, or a BAR moved (resize, remove and
 * rescan) while a window is open, leaves the reference on a removed pci_dev and the mapping on
 * the old range: reads of nothing return ~0 on x86 (a platform may report such an access as an
 * error) and writes vanish, unless another function is given that range, which the window would
 * then reach. That is a documented risk of a root-only test hook; close the window before
 * removing or re-sizing a function. Nothing is serialized with the function's driver (or with
 * valirq's own programs, when it is valirq's card: use barN there).
 *
 * The file is created "unsafe" (no proxy) as the per-device files are, because 6.1's proxy does
 * not forward compat_ioctl. Unlike theirs, its handlers need no debugfs_file_get(): the private
 * data is the open file's own, and an open file holds a reference on this module (fops_get() at
 * open), so valirq_debugfs_exit() cannot run, and the file cannot be removed, while it is open.
 */
struct valirq_dbg_window {
	/*
	 * lock serializes targeting (VALIRQ_IOC_WINDOW), the accesses and the stimulus of one open
	 * file, which threads or a fork may share: pdev, base, bar and len are set once under it,
	 * and no access sees them half set. Release takes no lock: it runs once the last reference
	 * to the file is gone, when no other call can be in it.
	 */
	struct mutex lock;
	struct pci_dev *pdev;		/* NULL until targeted; a reference, put at release */
	void __iomem *base;		/* pci_iomap() of the BAR, unmapped at release */
	unsigned int bar;
	resource_size_t len;
};

static int valirq_dbg_window_open(struct inode *inode, struct file *file)
{
	struct valirq_dbg_window *w = kzalloc(sizeof(*w), GFP_KERNEL);

	if (!w)
		return -ENOMEM;
	mutex_init(&w->lock);
	file->private_data = w;
	return 0;
}

static int valirq_dbg_window_release(struct inode *inode, struct file *file)
{
	struct valirq_dbg_window *w = file->private_data;

	if (w->pdev) {
		pci_iounmap(w->pdev, w->base);
		pci_dev_put(w->pdev);
	}
	mutex_destroy(&w->lock);
	kfree(w);
	return 0;
}

/* A register of the targeted BAR: width 1, 2 or 4, aligned to it, inside the BAR. Under lock. */
static int valirq_dbg_window_reg(struct valirq_dbg_window *w, u32 width, u64 offset)
{
	if (!w->pdev)
		return -ENXIO;
	if (width != 1 && width != 2 && width != 4)
		return -EINVAL;
	if (offset % width || offset + width > w->len)
		return -EINVAL;
	return 0;
}

static int valirq_dbg_window_access(struct file *file, size_t count, loff_t pos, u32 *v,
				    bool write)
{
	struct valirq_dbg_window *w = file->private_data;
	int ret;

	if (count > 4 || pos < 0 || pos > U32_MAX)
		return -EINVAL;
	mutex_lock(&w->lock);
	ret = valirq_dbg_window_reg(w, count, pos);
	if (!ret) {
		if (write)
			valirq_iowrite(w->base + pos, count, *v);
		else
			*v = valirq_ioread(w->base + pos, count);
	}
	mutex_unlock(&w->lock);
	return ret;
}

static ssize_t valirq_dbg_window_read(struct file *file, char __user *buf, size_t count,
				      loff_t *ppos)
{
	return valirq_dbg_read(file, buf, count, ppos, valirq_dbg_window_access);
}

static ssize_t valirq_dbg_window_write(struct file *file, const char __user *buf, size_t count,
				       loff_t *ppos)
{
	return valirq_dbg_write(file, buf, count, ppos, valirq_dbg_window_access);
}

static long valirq_dbg_window_target(struct valirq_dbg_window *w, void __user *uarg)
{
	struct valirq_window t;
	struct pci_dev *pdev;
	unsigned long flags;
	void __iomem *base;
	long ret = 0;

	if (copy_from_user(&t, uarg, sizeof(t)))
		return -EFAULT;
	if (t.reserved || t.bar >= PCI_STD_NUM_BARS)
		return -EINVAL;
	mutex_lock(&w->lock);
	if (w->pdev) {
		ret = -EBUSY;
		goto out;
	}
	pdev = pci_get_domain_bus_and_slot(t.domain, t.bus, t.devfn);
	if (!pdev) {
		ret = -ENODEV;
		goto out;
	}
	flags = pci_resource_flags(pdev, t.bar);
	if (!(flags & IORESOURCE_MEM) || (flags & IORESOURCE_UNSET) ||
	    !pci_resource_len(pdev, t.bar)) {
		pci_dbg(pdev, "debugfs window: BAR %u is not an assigned memory BAR\n", t.bar);
		ret = -EINVAL;
		goto put;
	}
	/* Mapped, not requested: vfio-pci (or whoever) may hold the region. */
	base = pci_iomap(pdev, t.bar, 0);
	if (!base) {
		ret = -ENOMEM;
		goto put;
	}
	w->pdev = pdev;
	w->base = base;
	w->bar = t.bar;
	w->len = pci_resource_len(pdev, t.bar);
	pci_dbg(pdev, "debugfs window on BAR %u (%llu bytes)\n", t.bar, (u64)w->len);
	goto out;
put:
	pci_dev_put(pdev);
out:
	mutex_unlock(&w->lock);
	return ret;
}

static long valirq_dbg_window_stimulus(struct valirq_dbg_window *w, void __user *uarg)
{
	struct valirq_stimulus st;
	unsigned long flags;
	long ret;

	if (copy_from_user(&st, uarg, sizeof(st)))
		return -EFAULT;
	mutex_lock(&w->lock);
	ret = valirq_dbg_window_reg(w, st.reg.width, st.reg.offset);
	if (!ret && (st.reserved || st.reg.reserved || st.reg.bar != w->bar ||
		     st.reg.space != VALIRQ_SPACE_MEM))
		ret = -EINVAL;
	if (!ret) {
		/* Nothing between the timestamp and the write, as on the per-device stimulus. */
		local_irq_save(flags);
		st.before_ns = ktime_get_ns();
		valirq_iowrite(w->base + st.reg.offset, st.reg.width, st.value);
		local_irq_restore(flags);
	}
	mutex_unlock(&w->lock);
	if (!ret && copy_to_user(uarg, &st, sizeof(st)))
		ret = -EFAULT;
	return ret;
}

static long valirq_dbg_window_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct valirq_dbg_window *w = file->private_data;

	switch (cmd) {
	case VALIRQ_IOC_WINDOW:
		return valirq_dbg_window_target(w, (void __user *)arg);
	case VALIRQ_IOC_STIMULUS:
		return valirq_dbg_window_stimulus(w, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations valirq_dbg_window_fops = {
	.owner = THIS_MODULE,
	.open = valirq_dbg_window_open,
	.release = valirq_dbg_window_release,
	.read = valirq_dbg_window_read,
	.write = valirq_dbg_window_write,
	.unlocked_ioctl = valirq_dbg_window_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = default_llseek,
};

void valirq_debugfs_add(struct valirq_dev *vd)
{
	struct pci_dev *pdev = vd->pdev;
	char name[8];
	int i;

	/* debugfs failures are not fatal and not checked, as debugfs callers are told to do. */
	vd->debugfs = debugfs_create_dir(pci_name(pdev), valirq_debugfs_root);
	debugfs_create_file_unsafe("stimulus", 0600, vd->debugfs, vd, &valirq_dbg_stimulus_fops);
	debugfs_create_file_unsafe("revoke", 0200, vd->debugfs, vd, &valirq_dbg_revoke_fops);
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!vd->bar[i])
			continue;
		vd->dbg_bar[i].vd = vd;
		vd->dbg_bar[i].bar = i;
		snprintf(name, sizeof(name), "bar%d", i);
		debugfs_create_file_unsafe(name, 0600, vd->debugfs, &vd->dbg_bar[i],
					   &valirq_dbg_bar_fops);
	}
}

void valirq_debugfs_remove(struct valirq_dev *vd)
{
	debugfs_remove(vd->debugfs);
	vd->debugfs = NULL;
}

void valirq_debugfs_init(void)
{
	valirq_debugfs_root = debugfs_create_dir(DRV_NAME, NULL);
	debugfs_create_file_unsafe("window", 0600, valirq_debugfs_root, NULL,
				   &valirq_dbg_window_fops);
}

void valirq_debugfs_exit(void)
{
	debugfs_remove(valirq_debugfs_root);
}
