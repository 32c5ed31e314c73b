// SPDX-License-Identifier: GPL-2.0
/*
 * The system heap kind: zeroed pages of order 8, 4 and 0 (1 MiB, 64 KiB,
 * 4 KiB), largest first, as drivers/dma-buf/heaps/system_heap.c; blocks of
 * order 8 and 4 from a pool of zeroed pages first: the uncharged one
 * (pool.c), or for a charged buffer its memory cgroup's (mpool.c).
 */
#include <linux/gfp.h>
#include <linux/mm.h>

#include "dmaheap_helper.h"

/*
 * As system_heap.c, except order 0: it fails with __GFP_RETRY_MAYFAIL
 * instead of calling the OOM killer, and quietly, as the daemon logs it.
 * The allocation runs in the daemon's context, and the victim the kernel
 * chose was the daemon (docs/ioctl-contract.md).
 */
#define BASE_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_COMP)
#define LOW_ORDER_GFP	(BASE_GFP | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
#define MID_ORDER_GFP	(BASE_GFP | __GFP_NOWARN)
#define HIGH_ORDER_GFP	(((GFP_HIGHUSER | __GFP_ZERO | __GFP_NOWARN | \
			   __GFP_NORETRY) & ~__GFP_RECLAIM) | __GFP_COMP)

static const gfp_t order_flags[] = { HIGH_ORDER_GFP, MID_ORDER_GFP,
				     LOW_ORDER_GFP };
static const unsigned int orders[] = { 8, 4, 0 };

/*
 * A charged buffer takes only from its memory cgroup's pool, whose blocks
 * are charged to it already (mpool.c), never from the uncharged one. When
 * every order fails, what is kept for that cgroup is given back and the
 * orders are tried again, counted as asked for once: pages kept for a
 * client never make it fail.
 */
static struct page *dmahp_alloc_largest(struct dmahp_buffer *buffer,
					size_t size, unsigned int max_order)
{
	/* A client's charged buffer; a background export never retries. */
	bool retries = buffer->charged && !buffer->background;
	/* Test hook: such a first pass fails at every order, as at memory.max */
	bool fail = retries && dmahp_fault("pages_pass");
	unsigned long given;
	struct page *page;
	int i, tries = 0;

again:
	given = dmahp_mpool_given_back();
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		if (size < (PAGE_SIZE << orders[i]) || max_order < orders[i])
			continue;
		page = buffer->charged ?
		       dmahp_mpool_take(buffer->memcg, orders[i], tries > 0) :
		       dmahp_pool_take(orders[i]);
		if (!page && !fail)
			page = alloc_pages(dmahp_gfp(buffer, order_flags[i]),
					   orders[i]);
		if (page)
			return page;
	}
	fail = false;
	if (retries)
		dmahp_hook_pass_failed();
	/* Twice at most: the refill waits a second after a drop. */
	if (retries && tries++ < 2 && dmahp_mpool_drop(buffer->memcg, given))
		goto again;
	return NULL;
}

static void dmahp_free_page_list(struct list_head *pages)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		__free_pages(page, compound_order(page));
	}
}

static int dmahp_system_allocate(struct dmahp_buffer *buffer,
				 struct task_struct *caller)
{
	size_t remaining = buffer->len;
	unsigned int max_order = orders[0];
	struct scatterlist *sg;
	struct page *page, *tmp;
	LIST_HEAD(pages);
	unsigned int n = 0;
	int ret;

	if (buffer->len / PAGE_SIZE > totalram_pages())
		return -ENOMEM;
	if (buffer->charged && !buffer->background)
		dmahp_mpool_make_room(buffer->memcg, buffer->len);

	while (remaining) {
		/* Stop early if the caller or the daemon is being killed. */
		if (dmahp_killed(caller)) {
			ret = -EINTR;
			goto out_free_pages;
		}

		page = dmahp_fault("pages") ? NULL :
		       dmahp_alloc_largest(buffer, remaining, max_order);
		if (!page) {
			ret = -ENOMEM;
			goto out_free_pages;
		}
		list_add_tail(&page->lru, &pages);
		remaining -= page_size(page);
		max_order = compound_order(page);
		n++;
		cond_resched();
	}

	ret = dmahp_fault("sg_table") ? -ENOMEM :
	      sg_alloc_table(&buffer->sg_table, n,
			     dmahp_meta_gfp(buffer->background));
	if (ret)
		goto out_free_pages;

	sg = buffer->sg_table.sgl;
	list_for_each_entry_safe(page, tmp, &pages, lru) {
		list_del(&page->lru);
		sg_set_page(sg, page, page_size(page), 0);
		sg = sg_next(sg);
	}
	return 0;

out_free_pages:
	dmahp_free_page_list(&pages);
	return ret;
}

static void dmahp_system_free(struct dmahp_buffer *buffer)
{
	struct scatterlist *sg;
	int i;

	for_each_sgtable_sg(&buffer->sg_table, sg, i) {
		struct page *page = sg_page(sg);

		__free_pages(page, compound_order(page));
	}
}

const struct dmahp_kind dmahp_system_kind = {
	.name = "dmaheapd-system",
	.allocate = dmahp_system_allocate,
	.free = dmahp_system_free,
	.chargeable = true,
};
