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
 * (mode 0600, CAP_SYS_RAWIO, one opener at a time; a second open gets -EBUSY), counters in
 * /sys/class/misc/valirq-0000:00:04.0/ and test hooks in /sys/kernel/debug/valirq/0000:00:04.0/.
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
 * When the owning file is released (the driver exited or was SIGKILLed, even between an event and
 * its ack), or the function is unbound, valirq does what vfio_pci_core_disable() does: bus
 * mastering off, INTx disabled at the card, the IRQ and vectors freed; then the release policy
 * (quiesce steps, function reset). A card that is still interrupting stays INTx-disabled at the
 * card, so that a neighbour on a shared line keeps working; INTx stays disabled at the card
 * whenever no INTx handler of ours is installed.
 *
 * rmmod with a file open fails with -EBUSY (the file holds a module reference); unbind with a
 * file open works: the opener's mappings are revoked, a GONE record is queued, and its reads
 * return -ENODEV after the queued records.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "valirq_dev.h"

static char *ids;
module_param(ids, charp, 0444);
MODULE_PARM_DESC(ids, "vendor:device IDs to bind, comma separated (hex), e.g. 1234:11e8");

static struct pci_driver valirq_driver;

static void valirq_free(struct kref *kref)
{
	struct valirq_dev *vd = container_of(kref, struct valirq_dev, kref);

	__free_page(vd->scratch);
	pci_dev_put(vd->pdev);
	kfree(vd);
}

/* File operations ------------------------------------------------------------------------- */

static int valirq_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct valirq_dev *vd = container_of(misc, struct valirq_dev, misc);
	int ret;

	/* The opener programs the card and maps its BARs: what pci-sysfs resource mmap asks. */
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	ret = security_locked_down(LOCKDOWN_PCI_ACCESS);
	if (ret)
		return ret;

	mutex_lock(&vd->lock);
	if (vd->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (vd->owner) {
		ret = -EBUSY;
		goto out;
	}
	ret = nonseekable_open(inode, file);
	if (ret)
		goto out;
	vd->owner = file;
	vd->mapping = file->f_mapping;
	vd->has_program = false;
	memset(&vd->init, 0, sizeof(vd->init));
	memset(&vd->quiesce, 0, sizeof(vd->quiesce));
	valirq_ring_reset(vd, vd->release_flags);
	vd->release_flags = 0;
	mutex_lock(&vd->map_lock);
	vd->revoked = false;
	mutex_unlock(&vd->map_lock);
	kref_get(&vd->kref);
	file->private_data = vd;
out:
	mutex_unlock(&vd->lock);
	return ret;
}

static int valirq_release(struct inode *inode, struct file *file)
{
	struct valirq_dev *vd = file->private_data;

	mutex_lock(&vd->lock);
	if (!vd->dead)
		valirq_shutdown(vd, true, false);
	vd->owner = NULL;
	vd->mapping = NULL;
	/* A revocation ends with its opener: the hooks serve the harness again. */
	mutex_lock(&vd->map_lock);
	vd->revoked = false;
	mutex_unlock(&vd->map_lock);
	mutex_unlock(&vd->lock);
	kref_put(&vd->kref, valirq_free);
	return 0;
}

static ssize_t valirq_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	return valirq_ring_read(file->private_data, file, buf, count);
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
static ssize_t valirq_write(struct file *file, const char __user *buf, size_t count,
			    loff_t *ppos)
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

static void valirq_info(struct valirq_dev *vd, struct valirq_info *info)
{
	struct pci_dev *pdev = vd->pdev;
	u16 cmd = 0;
	int i, nvec;

	memset(info, 0, sizeof(*info));
	info->version = VALIRQ_UAPI_VERSION;
	info->vendor = pdev->vendor;
	info->device = pdev->device;
	info->subsystem_vendor = pdev->subsystem_vendor;
	info->subsystem_device = pdev->subsystem_device;
	info->revision = pdev->revision;
	info->irq_pin = pdev->pin;
	info->msi_capable = !!pdev->msi_cap;
	info->intx_mask_capable = vd->pci23;
	info->legacy_irq = vd->legacy_irq;
	nvec = pci_msix_vec_count(pdev);
	info->msix_vectors = nvec > 0 ? nvec : 0;
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (cmd & PCI_COMMAND_MASTER)
		info->flags |= VALIRQ_INFO_BUSMASTER;
	if (pdev->reset_methods[0])
		info->flags |= VALIRQ_INFO_RESET;
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		unsigned long f = pci_resource_flags(pdev, i);

		info->bars[i].size = pci_resource_len(pdev, i);
		if (vd->bar[i])
			info->bars[i].flags |= VALIRQ_BAR_PRESENT;
		if (f & IORESOURCE_IO)
			info->bars[i].flags |= VALIRQ_BAR_IO;
		if (f & IORESOURCE_PREFETCH)
			info->bars[i].flags |= VALIRQ_BAR_PREFETCH;
		if (valirq_bar_mmap_ok(vd, i))
			info->bars[i].flags |= VALIRQ_BAR_MMAP;
	}
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
	} u;
	struct valirq_program *prog = NULL;
	struct valirq_init *init = NULL;
	long ret;

	/* Copy in before taking the lock (a fault must not happen under it). */
	switch (cmd) {
	case VALIRQ_IOC_SET_PROGRAM:
		prog = memdup_user(uarg, sizeof(*prog));
		if (IS_ERR(prog))
			return PTR_ERR(prog);
		break;
	case VALIRQ_IOC_SET_INIT:
		init = memdup_user(uarg, sizeof(*init));
		if (IS_ERR(init))
			return PTR_ERR(init);
		break;
	case VALIRQ_IOC_SET_QUIESCE:
	case VALIRQ_IOC_ENABLE:
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
		valirq_info(vd, &u.info);
		ret = 0;
		break;
	case VALIRQ_IOC_SET_PROGRAM:
	case VALIRQ_IOC_SET_INIT:
	case VALIRQ_IOC_SET_QUIESCE:
		if (vd->revoked) {
			/* The revoked opener's programs never reach the card again. */
			ret = -EPERM;
			break;
		}
		if (cmd == VALIRQ_IOC_SET_QUIESCE) {
			ret = valirq_validate_quiesce(vd, &u.quiesce);
			if (!ret)
				vd->quiesce = u.quiesce;
			break;
		}
		if (vd->mode != VALIRQ_MODE_OFF) {
			dev_dbg(&vd->pdev->dev, "program: cannot change while interrupts are enabled\n");
			ret = -EBUSY;
			break;
		}
		if (cmd == VALIRQ_IOC_SET_INIT) {
			ret = valirq_validate_init(vd, init);
			if (!ret)
				vd->init = *init;
			break;
		}
		ret = valirq_validate_program(vd, prog);
		if (!ret) {
			vd->prog = *prog;
			vd->has_program = true;
		}
		break;
	case VALIRQ_IOC_ENABLE:
		ret = valirq_enable(vd, &u.enable);
		break;
	case VALIRQ_IOC_DISABLE:
		/* Disabling is not dying: no release policy, no quiesce count. */
		if (vd->mode != VALIRQ_MODE_OFF)
			valirq_shutdown(vd, false, false);
		ret = 0;
		break;
	case VALIRQ_IOC_ACK:
		ret = valirq_ack(vd);
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
	kfree(init);

	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &u, _IOC_SIZE(cmd)))
		ret = -EFAULT;
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

/* sysfs: one value per file (Documentation/ABI/testing/sysfs-class-misc-valirq) --------------- */

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
VALIRQ_COUNTER(mismatches);
VALIRQ_COUNTER(resets);
VALIRQ_COUNTER(reset_failures);

static ssize_t mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", valirq_mode_name(READ_ONCE(valirq_from_dev(dev)->mode)));
}
static DEVICE_ATTR_RO(mode);

static ssize_t masked_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", valirq_any_masked(valirq_from_dev(dev)));
}
static DEVICE_ATTR_RO(masked);

static ssize_t last_release_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	u32 outcome = READ_ONCE(valirq_from_dev(dev)->last_release);

	return sysfs_emit(buf, "%s\n", valirq_outcome_name(outcome));
}
static DEVICE_ATTR_RO(last_release);

static ssize_t intx_hold_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	static const char * const names[] = { "off", "handler", "mismatch", "loud" };
	u32 hold = READ_ONCE(valirq_from_dev(dev)->intx_hold);
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (hold & BIT(i))
			n += sysfs_emit_at(buf, n, "%s%s", n ? " " : "", names[i]);
	}
	return n + sysfs_emit_at(buf, n, "%s\n", n ? "" : "none");
}
static DEVICE_ATTR_RO(intx_hold);

static bool valirq_cmd_bit(struct device *dev, u16 bit, int *err)
{
	u16 cmd;

	*err = pci_read_config_word(valirq_from_dev(dev)->pdev, PCI_COMMAND, &cmd) ? -EIO : 0;
	return cmd & bit;
}

/* The PCI 2.3 Interrupt Disable bit as the card has it now. */
static ssize_t intx_disabled_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	int err;
	bool on = valirq_cmd_bit(dev, PCI_COMMAND_INTX_DISABLE, &err);

	return err ? err : sysfs_emit(buf, "%d\n", on);
}
static DEVICE_ATTR_RO(intx_disabled);

/* Bus mastering as the card has it now. */
static ssize_t busmaster_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	int err;
	bool on = valirq_cmd_bit(dev, PCI_COMMAND_MASTER, &err);

	return err ? err : sysfs_emit(buf, "%d\n", on);
}
static DEVICE_ATTR_RO(busmaster);

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
	&dev_attr_mismatches.attr,
	&dev_attr_resets.attr,
	&dev_attr_reset_failures.attr,
	&dev_attr_mode.attr,
	&dev_attr_masked.attr,
	&dev_attr_last_release.attr,
	&dev_attr_intx_hold.attr,
	&dev_attr_intx_disabled.attr,
	&dev_attr_busmaster.attr,
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
	for (i = 0; i < VALIRQ_MAX_VECTORS; i++) {
		vd->vec[i].vd = vd;
		vd->vec[i].index = i;
	}
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
	 * pci_enable_device() enabled INTx. No DMA and no INTx until an opener asks for them
	 * (bus mastering, VALIRQ_HOLD_OFF), from here on.
	 */
	vd->pci23 = pci_intx_mask_supported(pdev);
	vd->legacy_irq = pdev->pin ? pdev->irq : 0;
	raw_spin_lock_irq(&vd->ev_lock);
	pci_clear_master(pdev);
	valirq_intx_hold_locked(vd, VALIRQ_HOLD_OFF);
	raw_spin_unlock_irq(&vd->ev_lock);
	ret = valirq_bars_setup(vd);
	if (ret)
		goto err_disable;

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
		goto err_bars;
	}
	valirq_debugfs_add(vd);
	dev_info(&pdev->dev, "bound as /dev/%s\n", vd->name);
	return 0;

err_bars:
	valirq_bars_teardown(vd);
err_disable:
	raw_spin_lock_irq(&vd->ev_lock);
	valirq_intx_unhold_locked(vd, VALIRQ_HOLD_OFF);
	raw_spin_unlock_irq(&vd->ev_lock);
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
	bool loud;

	/* No new opens or hook calls from here on; sysfs readers and hook callers are drained. */
	valirq_debugfs_remove(vd);
	misc_deregister(&vd->misc);

	mutex_lock(&vd->lock);
	/* No fault maps a BAR page from here on, whatever revoked says. */
	mutex_lock(&vd->map_lock);
	vd->unmapped = true;
	mutex_unlock(&vd->map_lock);
	if (vd->owner) {
		/* The opener loses the card: mappings first, then the release as if it had died. */
		valirq_zap(vd);
		valirq_shutdown(vd, true, true);
		valirq_push_control(vd, VALIRQ_EV_GONE | vd->release_flags);
		vd->release_flags = 0;
	}
	WRITE_ONCE(vd->dead, true);
	mutex_unlock(&vd->lock);
	wake_up_interruptible_all(&vd->wait);

	/*
	 * dead is set under lock: no file operation touches the BARs any more. Leave INTx as the
	 * next driver expects it (enabled), unless the card is interrupting now (the harness may
	 * have raised it since the last release). The next driver's pci_enable_device() enables
	 * INTx anyway; its handler is there by then.
	 */
	raw_spin_lock_irq(&vd->ev_lock);
	loud = valirq_intx_asserted_locked(vd);
	if (!loud)
		valirq_intx_unhold_locked(vd, VALIRQ_HOLD_OFF);
	pci_clear_master(pdev);
	raw_spin_unlock_irq(&vd->ev_lock);
	if (loud)
		dev_warn(&pdev->dev, "unbound while the card is interrupting: INTx left disabled at the card\n");
	valirq_bars_teardown(vd);
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
		if (sscanf(tok, "%x:%x", &vendor, &device) != 2 || vendor > 0xffff ||
		    device > 0xffff) {
			pr_err("ids: '%s' is not vendor:device in hex (e.g. 1234:11e8)\n", tok);
			ret = -EINVAL;
			break;
		}
		ret = pci_add_dynid(&valirq_driver, vendor, device, PCI_ANY_ID, PCI_ANY_ID, 0, 0,
				    0);
	}
	kfree(list);
	return ret;
}

static int __init valirq_init(void)
{
	int ret;

	valirq_debugfs_init();
	ret = pci_register_driver(&valirq_driver);
	if (ret)
		goto err_debugfs;
	ret = valirq_add_ids();
	if (ret)
		goto err_unregister;
	return 0;

err_unregister:
	pci_unregister_driver(&valirq_driver);
err_debugfs:
	valirq_debugfs_exit();
	return ret;
}

static void __exit valirq_exit(void)
{
	pci_unregister_driver(&valirq_driver);
	valirq_debugfs_exit();
}

module_init(valirq_init);
module_exit(valirq_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Validate project");
MODULE_DESCRIPTION("PCI interrupts to user space with kernel timestamps, safe against dying drivers");
