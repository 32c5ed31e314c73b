// SPDX-License-Identifier: GPL-2.0
/*
 * The contiguous kind on kernels with CONFIG_DMA_CMA: dma_alloc_pages() on
 * the helper's device, which takes blocks of more than a page from the
 * default CMA area (the helper's device has no area of its own). Built only
 * on such kernels. Buffers are zeroed by the DMA layer.
 */
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "dmaheap_helper.h"

static int dh_cma_allocate(struct dh_buffer *buffer,
			   struct task_struct *caller)
{
	struct page *page;
	int ret;

	page = dh_fault("pages") ? NULL :
	       dma_alloc_pages(dh_dev, buffer->len, &buffer->dma_addr,
			       DMA_BIDIRECTIONAL, GFP_KERNEL | __GFP_NOWARN);
	if (!page)
		return -ENOMEM;

	ret = dh_sg_set_contiguous(&buffer->sg_table, page, buffer->len);
	if (ret)
		dma_free_pages(dh_dev, buffer->len, page, buffer->dma_addr,
			       DMA_BIDIRECTIONAL);
	return ret;
}

static void dh_cma_free(struct dh_buffer *buffer)
{
	dma_free_pages(dh_dev, buffer->len, sg_page(buffer->sg_table.sgl),
		       buffer->dma_addr, DMA_BIDIRECTIONAL);
}

const struct dh_kind dh_cma_kind = {
	.name = "dmaheapd-cma",
	.allocate = dh_cma_allocate,
	.free = dh_cma_free,
};
