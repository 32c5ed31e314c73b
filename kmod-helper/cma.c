// SPDX-License-Identifier: GPL-2.0
/*
 * The contiguous kind on kernels with CONFIG_DMA_CMA, from the default CMA
 * area. Where the kernel exports the CMA allocator (7.2: cma_alloc(),
 * cma_release(), dev_get_cma_area()), straight from the area, as the
 * kernel's CMA heap does: never anything else. Elsewhere dma_alloc_pages()
 * on the helper's device, which takes blocks of more than a page from the
 * default area (the device has no area of its own). Built only on such
 * kernels. Buffers are zeroed.
 *
 * dma_alloc_pages() serves a block of one page, and any block the area
 * cannot serve, from ordinary pages: those are charged to the caller's
 * memory cgroup (dh_gfp()) and never wake the OOM killer. Blocks from the
 * area are charged to nobody: it was set aside at boot, and a module cannot
 * charge pages it did not get from the page allocator (docs/memcg.md).
 */
#include <linux/cma.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>

#include "dmaheap_helper.h"

/* Reclaim, then fail rather than invoke the OOM killer. */
#define CMA_DMA_GFP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* dma_alloc_pages(): the path of every kernel that does not export CMA. */
static int dh_cma_dma_allocate(struct dh_buffer *buffer,
			       struct task_struct *caller)
{
	struct page *page;
	int ret;

	page = dh_fault("pages") ? NULL :
	       dma_alloc_pages(dh_dev, buffer->len, &buffer->dma_addr,
			       DMA_BIDIRECTIONAL, dh_gfp(buffer, CMA_DMA_GFP));
	if (!page)
		return -ENOMEM;
	/* Listed as charged only when it came from ordinary pages. */
	buffer->charged = buffer->charged && PageMemcgKmem(page);

	ret = dh_sg_set_contiguous(&buffer->sg_table, page, buffer->len);
	if (ret)
		dma_free_pages(dh_dev, buffer->len, page, buffer->dma_addr,
			       DMA_BIDIRECTIONAL);
	return ret;
}

static void dh_cma_dma_free(struct dh_buffer *buffer)
{
	dma_free_pages(dh_dev, buffer->len, sg_page(buffer->sg_table.sgl),
		       buffer->dma_addr, DMA_BIDIRECTIONAL);
}

#ifdef DH_HAVE_CMA_EXPORTS
/*
 * For tests: where both paths exist, take the one of the kernels that do
 * not export CMA, so that it is tested on a kernel with a memory cgroup.
 */
static bool dh_cma_dma_api;
module_param_named(cma_dma_api, dh_cma_dma_api, bool, 0600);
MODULE_PARM_DESC(cma_dma_api,
		 "Test: the CMA kind through dma_alloc_pages(), as where cma_alloc() is not exported");

/* Straight from the area; buffer->pool is the area. */
static int dh_cma_area_allocate(struct dh_buffer *buffer,
				struct task_struct *caller)
{
	struct cma *cma = dev_get_cma_area(dh_dev);
	unsigned long i, count = buffer->len >> PAGE_SHIFT;
	unsigned int align = min(get_order(buffer->len), CONFIG_CMA_ALIGNMENT);
	struct page *page;
	int ret;

	if (!cma)
		return -ENOMEM;
	page = dh_fault("pages") ? NULL : cma_alloc(cma, count, align, true);
	if (!page)
		return -ENOMEM;

	/* As the kernel's CMA heap: page by page, stopping for a kill. */
	for (i = 0; i < count; i++) {
		clear_highpage(page + i);
		if (dh_killed(caller)) {
			ret = -EINTR;
			goto out_release;
		}
	}
	ret = dh_sg_set_contiguous(&buffer->sg_table, page, buffer->len);
	if (ret)
		goto out_release;
	buffer->pool = cma;
	buffer->charged = false;
	return 0;

out_release:
	cma_release(cma, page, count);
	return ret;
}

static int dh_cma_allocate(struct dh_buffer *buffer,
			   struct task_struct *caller)
{
	if (READ_ONCE(dh_cma_dma_api))
		return dh_cma_dma_allocate(buffer, caller);
	return dh_cma_area_allocate(buffer, caller);
}

static void dh_cma_free(struct dh_buffer *buffer)
{
	if (!buffer->pool) {
		dh_cma_dma_free(buffer);
		return;
	}
	cma_release(buffer->pool, sg_page(buffer->sg_table.sgl),
		    buffer->len >> PAGE_SHIFT);
}
#else
#define dh_cma_allocate	dh_cma_dma_allocate
#define dh_cma_free	dh_cma_dma_free
#endif

const struct dh_kind dh_cma_kind = {
	.name = "dmaheapd-cma",
	.allocate = dh_cma_allocate,
	.free = dh_cma_free,
	.chargeable = true,
};
