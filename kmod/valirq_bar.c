// SPDX-License-Identifier: GPL-2.0
/*
 * valirq: the card's BARs. They are reserved (pci_request_regions(), as vfio-pci does at open),
 * mapped for the programs and the debugfs window, and memory BARs that are page-aligned and at
 * least a page long can be mmap-ed by the opener; a smaller BAR shares its page with other
 * registers and is not mapped at all. Revocation zaps the opener's PTEs (later faults land in a
 * scratch page whose writes never reach the card, or SIGBUS) and takes its interrupts away.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include "valirq_dev.h"

int valirq_bars_setup(struct valirq_dev *vd)
{
	struct pci_dev *pdev = vd->pdev;
	int i, ret;

	ret = pci_request_regions(pdev, vd->name);
	if (ret) {
		dev_err(&pdev->dev, "cannot reserve the BARs (another driver holds them?): %pe\n",
			ERR_PTR(ret));
		return ret;
	}
	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!pci_resource_len(pdev, i))
			continue;
		vd->bar[i] = pci_iomap(pdev, i, 0);
		if (!vd->bar[i]) {
			dev_err(&pdev->dev, "cannot map BAR %d\n", i);
			ret = -ENOMEM;
			goto err_unmap;
		}
	}
	return 0;

err_unmap:
	while (--i >= 0) {
		if (vd->bar[i])
			pci_iounmap(pdev, vd->bar[i]);
		vd->bar[i] = NULL;
	}
	pci_release_regions(pdev);
	return ret;
}

void valirq_bars_teardown(struct valirq_dev *vd)
{
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (vd->bar[i])
			pci_iounmap(vd->pdev, vd->bar[i]);
		vd->bar[i] = NULL;
	}
	pci_release_regions(vd->pdev);
}

/* A memory BAR the opener may mmap: page-aligned and at least a page, so nothing else shares it. */
bool valirq_bar_mmap_ok(struct valirq_dev *vd, unsigned int bar)
{
	struct pci_dev *pdev = vd->pdev;

	return bar < PCI_STD_NUM_BARS && vd->bar[bar] &&
	       (pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
	       pci_resource_len(pdev, bar) >= PAGE_SIZE &&
	       PAGE_ALIGNED(pci_resource_start(pdev, bar));
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
	if (vd->revoked || vd->unmapped) {
		if (off & VALIRQ_MMAP_SIGBUS)
			ret = VM_FAULT_SIGBUS;
		else
			ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(vd->scratch),
						  vm_get_page_prot(vma->vm_flags));
	} else {
		ret = vmf_insert_pfn(vma, vmf->address,
				     ((pci_resource_start(vd->pdev, bar) + inner) >> PAGE_SHIFT) +
				     page);
	}
	mutex_unlock(&vd->map_lock);
	return ret;
}

static const struct vm_operations_struct valirq_vm_ops = {
	.fault = valirq_fault,
};

int valirq_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct valirq_dev *vd = file->private_data;
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
	if (!valirq_bar_mmap_ok(vd, bar)) {
		dev_dbg(&vd->pdev->dev, "mmap: BAR %llu is not a present, page-sized memory BAR\n",
			bar);
		ret = -EINVAL;
		goto out;
	}
	if (inner + size > pci_resource_len(vd->pdev, bar)) {
		dev_dbg(&vd->pdev->dev, "mmap: 0x%llx bytes at 0x%llx beyond BAR %llu\n",
			size, inner, bar);
		ret = -EINVAL;
		goto out;
	}
	/* lock excludes a revocation (it writes revoked holding lock too). */
	if (vd->revoked) {
		ret = -EPERM;
		goto out;
	}
	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = vd;
	vma->vm_ops = &valirq_vm_ops;
out:
	mutex_unlock(&vd->lock);
	return ret;
}

/* Caller holds lock. Zaps every mapping of the device file; later faults see revoked/unmapped. */
void valirq_zap(struct valirq_dev *vd)
{
	lockdep_assert_held(&vd->lock);
	if (vd->mapping)
		unmap_mapping_range(vd->mapping, 0, 0, 1);
}

/*
 * Caller holds lock and there is an opener. Takes the card away from it: mappings, interrupts,
 * programs and the stimulus hook; queues one REVOKED record (a control record: never lost).
 */
void valirq_revoke(struct valirq_dev *vd)
{
	lockdep_assert_held(&vd->lock);
	if (vd->revoked)
		return;
	mutex_lock(&vd->map_lock);
	vd->revoked = true;
	mutex_unlock(&vd->map_lock);
	valirq_zap(vd);
	valirq_shutdown(vd, false, false);
	atomic64_inc(&vd->c_revocations);
	valirq_push_control(vd, VALIRQ_EV_REVOKED);
}
