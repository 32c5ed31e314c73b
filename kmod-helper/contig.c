// SPDX-License-Identifier: GPL-2.0
/*
 * The contiguous kind on kernels without CMA: one block from the page
 * allocator, as large as its largest order allows (4 MiB on x86-64). A larger
 * request fails with -ENOMEM at once; it never falls back to scattered pages.
 *
 * The block is the power of two that holds the buffer, kept whole as
 * dma-direct does without CMA: freed whole, it goes straight back to the
 * buddy lists and the next request of that size finds it. Split, its pages
 * would sit on per-CPU lists, and a freed 4 MiB would not be 4 MiB again.
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "compat.h"
#include "dmaheap_helper.h"

/* Try hard (compaction), but fail rather than invoke the OOM killer. */
#define CONTIG_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)

/**
 * dmahp_contig_max() - the largest buffer of the contiguous kind
 *
 * Return: the size of a block of the page allocator's largest order, in
 * bytes; for INFO's contig_max.
 */
size_t dmahp_contig_max(void)
{
	return PAGE_SIZE << DMAHP_MAX_PAGE_ORDER;
}

static int dmahp_contig_allocate(struct dmahp_buffer *buffer,
				 struct task_struct *caller)
{
	unsigned int order = get_order(buffer->len);
	struct page *page;
	int ret;

	if (buffer->len > dmahp_contig_max())
		return -ENOMEM;

	page = dmahp_fault("pages") ? NULL :
	       alloc_pages(dmahp_gfp(buffer, CONTIG_GFP), order);
	if (!page)
		return -ENOMEM;

	ret = dmahp_sg_set_contiguous(&buffer->sg_table, page, buffer->len);
	if (ret)
		__free_pages(page, order);
	return ret;
}

static void dmahp_contig_free(struct dmahp_buffer *buffer)
{
	__free_pages(sg_page(buffer->sg_table.sgl), get_order(buffer->len));
}

const struct dmahp_kind dmahp_contig_kind = {
	.name = "dmaheapd-contiguous",
	.allocate = dmahp_contig_allocate,
	.free = dmahp_contig_free,
	.chargeable = true,
};
