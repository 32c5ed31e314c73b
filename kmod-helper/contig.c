// SPDX-License-Identifier: GPL-2.0
/*
 * The contiguous kind on kernels without CMA: one block from the page
 * allocator, as large as its largest order allows (4 MiB on x86-64). A larger
 * request fails with -ENOMEM at once; it never falls back to scattered pages.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "dmaheap_helper.h"

/* Try hard (compaction), but fail rather than invoke the OOM killer. */
#define CONTIG_GFP	(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL)

size_t dh_contig_max(void)
{
	return PAGE_SIZE << (MAX_ORDER - 1);
}

static int dh_contig_allocate(struct dh_buffer *buffer,
			      struct task_struct *caller)
{
	void *vaddr;
	int ret;

	if (buffer->len > dh_contig_max())
		return -ENOMEM;
	if (fatal_signal_pending(caller) || fatal_signal_pending(current))
		return -EINTR;

	/* The tail beyond len is split off and given back. */
	vaddr = alloc_pages_exact(buffer->len, CONTIG_GFP);
	if (!vaddr)
		return -ENOMEM;

	ret = dh_sg_set_contiguous(&buffer->sg_table, virt_to_page(vaddr),
				   buffer->len);
	if (ret)
		free_pages_exact(vaddr, buffer->len);
	return ret;
}

static void dh_contig_free(struct dh_buffer *buffer)
{
	free_pages_exact(page_address(sg_page(buffer->sg_table.sgl)),
			 buffer->len);
}

const struct dh_kind dh_contig_kind = {
	.name = "dmaheapd-contiguous",
	.allocate = dh_contig_allocate,
	.free = dh_contig_free,
};
