// SPDX-License-Identifier: GPL-2.0
/*
 * valirq: test hooks in debugfs (root only), one directory per bound function:
 *
 *	/sys/kernel/debug/valirq/0000:00:04.0/stimulus	VALIRQ_IOC_STIMULUS: a timestamped write
 *	/sys/kernel/debug/valirq/0000:00:04.0/revoke	echo 1 >: revoke the current opener
 *	/sys/kernel/debug/valirq/0000:00:04.0/barN	pread/pwrite 1, 2 or 4 bytes at an aligned
 *							offset of BAR N
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

static ssize_t valirq_dbg_bar_read(struct file *file, char __user *buf, size_t count,
				   loff_t *ppos)
{
	u32 v = 0;
	int ret;

	ret = valirq_dbg_bar_access(file, count, *ppos, &v, false);
	if (ret)
		return ret;
	/* Little-endian x86 and the widths 1, 2, 4: the low bytes of v are the register. */
	if (copy_to_user(buf, &v, count))
		return -EFAULT;
	*ppos += count;
	return count;
}

static ssize_t valirq_dbg_bar_write(struct file *file, const char __user *buf, size_t count,
				    loff_t *ppos)
{
	u32 v = 0;
	int ret;

	/* valirq_dbg_reg() bounds count to 4 before anything is copied. */
	if (count > sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, buf, count))
		return -EFAULT;
	ret = valirq_dbg_bar_access(file, count, *ppos, &v, true);
	if (ret)
		return ret;
	*ppos += count;
	return count;
}

static const struct file_operations valirq_dbg_bar_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = valirq_dbg_bar_read,
	.write = valirq_dbg_bar_write,
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
}

void valirq_debugfs_exit(void)
{
	debugfs_remove(valirq_debugfs_root);
}
