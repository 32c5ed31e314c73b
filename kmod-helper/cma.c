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
 * memory cgroup (dmahp_gfp()) and never wake the OOM killer. Blocks from the
 * area are charged to nobody: it was set aside at boot, and a module cannot
 * charge pages it did not get from the page allocator (docs/memcg.md).
 *
 * Taking a block from the area migrates the pages it holds, and the
 * migration stops for a fatal signal of current only. Here current would be
 * the daemon's thread, which a kill of the caller never reaches: so a
 * block of more than 1 MiB is taken in a kernel thread of its own, which
 * the daemon's thread, waiting, sends SIGKILL once the caller is killed
 * (docs/heap-kinds.md).
 */
#include <linux/cc_platform.h>
#include <linux/cma.h>
#include <linux/completion.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/sizes.h>

#include "dmaheap_helper.h"

/* How often the waiting thread looks whether the caller was killed. */
#define DMAHP_CMA_KILL_POLL	(HZ / 50)
/*
 * Blocks up to this size are taken in the daemon's thread: at most 256
 * pages to move, and a thread per block costs 0.7 to 1.2 ms under TCG,
 * more than such a block takes (docs/heap-kinds.md).
 */
#define DMAHP_CMA_THREAD_MIN	SZ_1M

struct dmahp_cma_work {
	struct dmahp_buffer *buffer;
	struct page *(*get)(struct dmahp_buffer *buffer);
	struct page *page;
	struct completion done;
	bool stop;
};

static int dmahp_cma_worker(void *data)
{
	struct dmahp_cma_work *work = data;
	struct mem_cgroup *old;

	/*
	 * A SIGKILL sent before this is dropped, as kernel threads ignore
	 * signals: then ->stop is set, seen under the same siglock.
	 */
	allow_kernel_signal(SIGKILL);
	if (!READ_ONCE(work->stop)) {
		old = set_active_memcg(work->buffer->memcg);
		work->page = work->get(work->buffer);
		set_active_memcg(old);
	}
	/* Nothing of this module runs once @work is done. */
	kthread_complete_and_exit(&work->done, 0);
}

/*
 * @get(@buffer) in a kernel thread that a kill of @caller, or of the daemon,
 * reaches as SIGKILL. *ret_page is what @get returned, even for a killed
 * caller: the kind checks dmahp_killed() and frees it. Blocks up to
 * DMAHP_CMA_THREAD_MIN are taken in this thread.
 */
static int dmahp_cma_killable(struct dmahp_buffer *buffer,
			      struct task_struct *caller,
			      struct page *(*get)(struct dmahp_buffer *buffer),
			      struct page **ret_page)
{
	struct dmahp_cma_work work = { .buffer = buffer, .get = get };
	struct task_struct *task;

	if (buffer->len <= DMAHP_CMA_THREAD_MIN) {
		*ret_page = get(buffer);
		return 0;
	}
	init_completion(&work.done);
	task = kthread_create(dmahp_cma_worker, &work, "dmaheap-cma");
	if (IS_ERR(task))
		return PTR_ERR(task);
	get_task_struct(task);
	wake_up_process(task);

	while (!wait_for_completion_timeout(&work.done, DMAHP_CMA_KILL_POLL)) {
		if (dmahp_killed(caller)) {
			WRITE_ONCE(work.stop, true);
			send_sig(SIGKILL, task, 1);
			wait_for_completion(&work.done);
			break;
		}
	}
	put_task_struct(task);
	*ret_page = work.page;
	return 0;
}

/* Reclaim, then fail rather than invoke the OOM killer. */
#define CMA_DMA_GFP	(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

static struct page *dmahp_cma_dma_get(struct dmahp_buffer *buffer)
{
	return dmahp_fault("pages") ? NULL :
	       dma_alloc_pages(dmahp_dev, buffer->len, &buffer->dma_addr,
			       DMA_BIDIRECTIONAL,
			       dmahp_gfp(buffer, CMA_DMA_GFP));
}

/* dma_alloc_pages(): the path of every kernel that does not export CMA. */
static int dmahp_cma_dma_allocate(struct dmahp_buffer *buffer,
				  struct task_struct *caller)
{
	struct page *page;
	int ret;

	ret = dmahp_cma_killable(buffer, caller, dmahp_cma_dma_get, &page);
	if (ret)
		return ret;
	if (!page)
		return dmahp_killed(caller) ? -EINTR : -ENOMEM;
	if (dmahp_killed(caller)) {
		ret = -EINTR;
		goto out_free_pages;
	}
	/* Listed as charged only when it came from ordinary pages. */
	buffer->charged = buffer->charged && PageMemcgKmem(page);

	ret = dmahp_sg_set_contiguous(&buffer->sg_table, page, buffer->len);
	if (ret)
		goto out_free_pages;
	return 0;

out_free_pages:
	dma_free_pages(dmahp_dev, buffer->len, page, buffer->dma_addr,
		       DMA_BIDIRECTIONAL);
	return ret;
}

static void dmahp_cma_dma_free(struct dmahp_buffer *buffer)
{
	dma_free_pages(dmahp_dev, buffer->len, sg_page(buffer->sg_table.sgl),
		       buffer->dma_addr, DMA_BIDIRECTIONAL);
}

#ifdef DMAHP_HAVE_CMA_EXPORTS
#ifdef DMAHP_TEST_HOOKS
/*
 * A test hook: where both paths exist, take the one of the kernels that do
 * not export CMA, so that it is tested on a kernel with a memory cgroup.
 */
static bool dmahp_cma_dma_api;
module_param_named(cma_dma_api, dmahp_cma_dma_api, bool, 0600);
MODULE_PARM_DESC(cma_dma_api,
		 "Test: the CMA kind through dma_alloc_pages(), as where cma_alloc() is not exported");
#define dmahp_cma_use_dma_api()	READ_ONCE(dmahp_cma_dma_api)
#else
#define dmahp_cma_use_dma_api()	false
#endif

/* Straight from the area, buffer->pool. */
static struct page *dmahp_cma_area_get(struct dmahp_buffer *buffer)
{
	unsigned int align = min(get_order(buffer->len), CONFIG_CMA_ALIGNMENT);

	return dmahp_fault("pages") ? NULL :
	       cma_alloc(buffer->pool, buffer->len >> PAGE_SHIFT, align, true);
}

static int dmahp_cma_area_allocate(struct dmahp_buffer *buffer,
				   struct task_struct *caller)
{
	struct cma *cma = dev_get_cma_area(dmahp_dev);
	unsigned long i, count = buffer->len >> PAGE_SHIFT;
	struct page *page;
	int ret;

	if (!cma)
		return -ENOMEM;
	buffer->pool = cma;
	ret = dmahp_cma_killable(buffer, caller, dmahp_cma_area_get, &page);
	if (ret)
		return ret;
	if (!page)
		return dmahp_killed(caller) ? -EINTR : -ENOMEM;

	/* As the kernel's CMA heap: page by page, stopping for a kill. */
	for (i = 0; i < count; i++) {
		if (dmahp_killed(caller)) {
			ret = -EINTR;
			goto out_release;
		}
		clear_highpage(page + i);
	}
	ret = dmahp_sg_set_contiguous(&buffer->sg_table, page, buffer->len);
	if (ret)
		goto out_release;
	buffer->charged = false;
	return 0;

out_release:
	cma_release(cma, page, count);
	return ret;
}

static int dmahp_cma_allocate(struct dmahp_buffer *buffer,
			      struct task_struct *caller)
{
	if (dmahp_cma_use_dma_api())
		return dmahp_cma_dma_allocate(buffer, caller);
	return dmahp_cma_area_allocate(buffer, caller);
}

static void dmahp_cma_free(struct dmahp_buffer *buffer)
{
	if (!buffer->pool) {
		dmahp_cma_dma_free(buffer);
		return;
	}
	cma_release(buffer->pool, sg_page(buffer->sg_table.sgl),
		    buffer->len >> PAGE_SHIFT);
}
#else
#define dmahp_cma_allocate	dmahp_cma_dma_allocate
#define dmahp_cma_free	dmahp_cma_dma_free
#endif

/*
 * Not through dma_alloc_pages() in a guest whose memory is encrypted (AMD
 * SEV, Intel TDX, an arm64 Realm): it gives the helper's device memory
 * shared with the host, decrypted, which the buffer's mmap() and vmap()
 * would map encrypted, as any other page. The daemon's contiguous heaps
 * then take the page allocator's blocks instead (docs/heap-kinds.md).
 * arm64 answers only CC_ATTR_MEM_ENCRYPT, in a Realm; on x86 that one is
 * also true for a host's own encryption (SME), which leaves this device
 * alone.
 */
static bool dmahp_cma_usable(void)
{
#ifdef DMAHP_HAVE_CMA_EXPORTS
	if (!dmahp_cma_use_dma_api())
		return true;
#endif
	if (IS_ENABLED(CONFIG_ARM64))
		return !cc_platform_has(CC_ATTR_MEM_ENCRYPT);
	return !cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT);
}

const struct dmahp_kind dmahp_cma_kind = {
	.name = "dmaheapd-cma",
	.allocate = dmahp_cma_allocate,
	.free = dmahp_cma_free,
	.usable = dmahp_cma_usable,
	.chargeable = true,
};
