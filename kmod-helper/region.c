// SPDX-License-Identifier: GPL-2.0
/*
 * The region kind: contiguous buffers from a physical range the
 * administrator kept from the kernel at boot (memmap=SIZE$BASE on x86). Such
 * a range has no struct page, so the helper gives it ZONE_DEVICE pages with
 * memremap_pages(MEMORY_DEVICE_GENERIC): the buffer code then maps, vmaps
 * and DMA-maps region buffers like any other. Built on kernels with
 * CONFIG_ZONE_DEVICE that let modules read x86's firmware memory map
 * (e820__mapped_raw_any()): only what that map calls RAM and the kernel's
 * own map reserved can be a region, and nothing under lockdown.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/e820/api.h>

#include "dmaheap-helper.h"
#include "dmaheap_helper.h"

#define DMAHP_REGIONS_MAX		8
/* Cleared at a time, between checks for a kill. */
#define DMAHP_REGION_CLEAR		SZ_2M
/*
 * The largest region: bitmap_set() and bitmap_find_next_zero_area() count
 * pages in an unsigned int, so at most UINT_MAX pages (16 TiB - 4 KiB with
 * 4 KiB pages), rounded down to the claim alignment. The bitmap is
 * kvcalloc()ed: past 128 GiB of region it is more than kmalloc() gives.
 */
#define DMAHP_REGION_SIZE_MAX \
	round_down((u64)UINT_MAX << PAGE_SHIFT, DMAHEAP_HELPER_REGION_ALIGN)

struct dmahp_region {
	struct dev_pagemap pgmap;
	struct resource *res;
	phys_addr_t base;
	u64 size;
	unsigned long npages;
	struct mutex lock;		/* bitmap */
	unsigned long *bitmap;		/* a bit a page, set when used */
};

/* Region id N is dmahp_regions[N - 1]; regions live until the module goes. */
static struct dmahp_region *dmahp_regions[DMAHP_REGIONS_MAX];
static DEFINE_MUTEX(dmahp_regions_lock);

/**
 * dmahp_region_get() - a claimed region, by its id
 * @id:	the id REGION_ADD answered; 0 is no region
 *
 * Context: any; no lock taken, regions are never removed while loaded.
 * Return: the region, for dmahp_buffer_export()'s @pool, or NULL if @id
 * names none.
 */
void *dmahp_region_get(u32 id)
{
	if (!id || id > DMAHP_REGIONS_MAX)
		return NULL;
	/* Pairs with dmahp_region_add(): a region is seen whole or not. */
	return smp_load_acquire(&dmahp_regions[id - 1]);
}

static struct dmahp_region *dmahp_region_create(phys_addr_t base, u64 size)
{
	struct dmahp_region *region;
	void *addr;
	int ret;

	region = dmahp_fault("region") ? NULL :
		 kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return ERR_PTR(-ENOMEM);

	region->base = base;
	region->size = size;
	region->npages = size >> PAGE_SHIFT;
	mutex_init(&region->lock);
	region->bitmap = dmahp_fault("region_bitmap") ? NULL :
			 kvcalloc(BITS_TO_LONGS(region->npages),
				  sizeof(unsigned long), GFP_KERNEL);
	if (!region->bitmap) {
		ret = -ENOMEM;
		goto out_free_region;
	}

	region->res = dmahp_fault("region_resource") ? NULL :
		      request_mem_region(base, size, "dmaheap-helper region");
	if (!region->res) {
		ret = -EBUSY;
		goto out_free_bitmap;
	}

	region->pgmap.type = MEMORY_DEVICE_GENERIC;
	region->pgmap.range.start = base;
	region->pgmap.range.end = base + size - 1;
	region->pgmap.nr_range = 1;
	addr = dmahp_fault("region_memremap") ? ERR_PTR(-ENOMEM) :
	       memremap_pages(&region->pgmap, NUMA_NO_NODE);
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		goto out_release;
	}
	return region;

out_release:
	release_mem_region(base, size);
out_free_bitmap:
	kvfree(region->bitmap);
out_free_region:
	kfree(region);
	return ERR_PTR(ret);
}

static void dmahp_region_destroy(struct dmahp_region *region)
{
	memunmap_pages(&region->pgmap);
	release_mem_region(region->base, region->size);
	kvfree(region->bitmap);
	kfree(region);
}

/* walk_iomem_res_desc(): is each reserved resource where the last ended? */
static int dmahp_region_next_reserved(struct resource *res, void *arg)
{
	u64 *next = arg;

	if (res->start != *next)
		return -EADDRNOTAVAIL;
	*next = (u64)res->end + 1;
	return 0;
}

/*
 * Is all of [base, base + size) RAM in the firmware's memory map, the one
 * memmap= does not change (/sys/firmware/memmap)? e820__mapped_raw_any()
 * only says whether any of a range is; asked of the first byte of every
 * page and of the range's last byte, it leaves out only a hole or another
 * entry that starts and ends inside one page, which no firmware map has.
 */
static int dmahp_region_firmware_ram(u64 base, u64 size)
{
	u64 end = base + size, p;

	if (!e820__mapped_raw_any(end - 1, end, E820_TYPE_RAM))
		return -ENXIO;
	for (p = base; p < end; p += PAGE_SIZE) {
		if (!e820__mapped_raw_any(p, p + 1, E820_TYPE_RAM))
			return -ENXIO;
		if (IS_ALIGNED(p + PAGE_SIZE, DMAHEAP_HELPER_REGION_ALIGN)) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/*
 * Only RAM the administrator set aside at boot: RAM in the firmware's map
 * that the kernel's own map (memmap=SIZE$BASE) made a "Reserved" resource,
 * all of it. What the firmware itself reserved (MMIO windows, ACPI and EFI
 * runtime memory, TSEG, graphics stolen memory) or left out is not RAM to
 * map write-back and clear.
 */
static int dmahp_region_check(u64 base, u64 size)
{
	u64 next = base;
	int ret;

	if (!size || !IS_ALIGNED(base, DMAHEAP_HELPER_REGION_ALIGN) ||
	    !IS_ALIGNED(size, DMAHEAP_HELPER_REGION_ALIGN) ||
	    size > DMAHP_REGION_SIZE_MAX || base + size < base ||
	    base + size - 1 > (phys_addr_t)-1)
		return -EINVAL;
	if (region_intersects(base, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EADDRNOTAVAIL;
	ret = dmahp_region_firmware_ram(base, size);
	if (ret)
		return ret;
	ret = walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, base,
				  base + size - 1, &next,
				  dmahp_region_next_reserved);
	if (ret || next != base + size)
		return -EADDRNOTAVAIL;
	return 0;
}

/* Under dmahp_regions_lock: the id of exactly this range, or an error. */
static int dmahp_region_find(u64 base, u64 size, u32 *id)
{
	struct dmahp_region *r;
	int i;

	for (i = 0; i < DMAHP_REGIONS_MAX; i++) {
		r = dmahp_regions[i];
		if (!r)
			continue;
		if (r->base == base && r->size == size) {
			*id = i + 1;
			return 0;
		}
		if (base < r->base + r->size && r->base < base + size)
			return -EBUSY;
	}
	return -ENOENT;
}

static int dmahp_region_add(u64 base, u64 size, u32 *id)
{
	struct dmahp_region *region;
	int ret, i;

	ret = dmahp_region_check(base, size);
	if (ret)
		return ret;

	mutex_lock(&dmahp_regions_lock);
	ret = dmahp_region_find(base, size, id);
	if (ret != -ENOENT)
		goto out_unlock;

	for (i = 0; i < DMAHP_REGIONS_MAX && dmahp_regions[i]; i++)
		;
	if (i == DMAHP_REGIONS_MAX) {
		ret = -ENOSPC;
		goto out_unlock;
	}

	region = dmahp_region_create(base, size);
	if (IS_ERR(region)) {
		ret = PTR_ERR(region);
		goto out_unlock;
	}
	/* Publish it initialised, for dmahp_region_get() without the lock. */
	smp_store_release(&dmahp_regions[i], region);
	*id = i + 1;
	ret = 0;
	pr_info("region %u: %pa, %llu MiB\n", *id, &region->base,
		size >> 20);
out_unlock:
	mutex_unlock(&dmahp_regions_lock);
	return ret;
}

/**
 * dmahp_ioctl_region_add() - DMAHEAP_HELPER_IOC_REGION_ADD: claim a range
 * @uarg:	the daemon's struct dmaheap_helper_region; its id is set
 *
 * A range already claimed whole answers its id again.
 *
 * Context: process context; sleeps.
 * Return: 0, or -EFAULT, -EINVAL, -EADDRNOTAVAIL, -ENXIO, -EBUSY, -ENOSPC,
 * -ENOMEM, -EINTR, or lockdown's error.
 */
long dmahp_ioctl_region_add(void __user *uarg)
{
	struct dmaheap_helper_region req;
	int ret;

	/* Physical memory as a buffer: what lockdown refuses /dev/mem for. */
	ret = security_locked_down(LOCKDOWN_DEV_MEM);
	if (ret)
		return ret;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.id || req.reserved0 ||
	    memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;

	ret = dmahp_region_add(req.base, req.size, &req.id);
	if (ret)
		return ret;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

/**
 * dmahp_regions_exit() - give every claimed region back, at unload
 *
 * Context: module exit; no buffer is left, so no region page is in use.
 */
void dmahp_regions_exit(void)
{
	int i;

	for (i = 0; i < DMAHP_REGIONS_MAX; i++)
		if (dmahp_regions[i])
			dmahp_region_destroy(dmahp_regions[i]);
}

static int dmahp_region_allocate(struct dmahp_buffer *buffer,
				 struct task_struct *caller)
{
	struct dmahp_region *region = buffer->pool;
	unsigned long npages = buffer->len >> PAGE_SHIFT;
	size_t off;
	unsigned long start;
	struct page *page;
	void *addr;
	int ret;

	if (buffer->len > region->size)
		return -ENOMEM;

	mutex_lock(&region->lock);
	start = bitmap_find_next_zero_area(region->bitmap, region->npages, 0,
					   npages, 0);
	if (start >= region->npages) {
		mutex_unlock(&region->lock);
		return -ENOMEM;
	}
	bitmap_set(region->bitmap, start, npages);
	mutex_unlock(&region->lock);

	page = pfn_to_page(PHYS_PFN(region->base) + start);
	/*
	 * The pages are in the linear map since memremap_pages(). A buffer
	 * may be most of the region: cleared a chunk at a time, stopping for
	 * a kill, as the CMA kind does page by page.
	 */
	addr = page_address(page);
	for (off = 0; off < buffer->len; off += DMAHP_REGION_CLEAR) {
		if (dmahp_killed(caller)) {
			ret = -EINTR;
			goto out_clear;
		}
		memset(addr + off, 0,
		       min_t(size_t, buffer->len - off, DMAHP_REGION_CLEAR));
		cond_resched();
	}

	ret = dmahp_sg_set_contiguous(&buffer->sg_table, page, buffer->len);
	if (ret)
		goto out_clear;
	return 0;

out_clear:
	mutex_lock(&region->lock);
	bitmap_clear(region->bitmap, start, npages);
	mutex_unlock(&region->lock);
	return ret;
}

static void dmahp_region_free(struct dmahp_buffer *buffer)
{
	struct dmahp_region *region = buffer->pool;
	unsigned long start;

	start = page_to_pfn(sg_page(buffer->sg_table.sgl)) -
		PHYS_PFN(region->base);
	mutex_lock(&region->lock);
	bitmap_clear(region->bitmap, start, buffer->len >> PAGE_SHIFT);
	mutex_unlock(&region->lock);
}

const struct dmahp_kind dmahp_region_kind = {
	.name = "dmaheapd-region",
	.allocate = dmahp_region_allocate,
	.free = dmahp_region_free,
};
