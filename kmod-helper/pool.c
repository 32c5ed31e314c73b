// SPDX-License-Identifier: GPL-2.0
/*
 * The pool of pre-zeroed pages for the system kind: blocks of order 8 and 4,
 * zeroed by a background worker so that an allocation takes them without
 * clearing memory on the caller's path. Bounded by the size the daemon sets
 * (DMAHEAP_HELPER_IOC_POOL, pool_max below), given back to the kernel by a
 * shrinker under memory pressure (docs/pool.md). dmahp_refill_worker()
 * makes the low-priority thread of its refills and of the ready buffers'
 * (ready.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "dmaheap-helper.h"
#include "compat.h"
#include "dmaheap_helper.h"

/*
 * Refills never reclaim nor wake kswapd: the pool takes only memory that
 * is free anyway, and fails quietly when there is none.
 */
#define POOL_GFP	((GFP_HIGHUSER | __GFP_ZERO | __GFP_COMP | \
			  __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_RECLAIM)

/* No refill for this long after the shrinker took pages back. */
#define POOL_BACKOFF	HZ

struct dmahp_pool {
	unsigned int order;
	unsigned int share;	/* eighths of pool_max it may hold */
	struct list_head pages;	/* zeroed compound pages, by page->lru */
	unsigned long count;
};

static struct dmahp_pool dmahp_pools[] = {
	{ .order = 8, .share = 7,
	  .pages = LIST_HEAD_INIT(dmahp_pools[0].pages) },
	{ .order = 4, .share = 1,
	  .pages = LIST_HEAD_INIT(dmahp_pools[1].pages) },
};

static DEFINE_SPINLOCK(dmahp_pool_lock);	/* everything below */
static unsigned long dmahp_pool_max;	/* bytes */
static unsigned long dmahp_pool_shrunk_at;	/* jiffies */
static bool dmahp_pool_ready;		/* between init and exit */

/* The refill's own thread: clearing megabytes must not delay requests. */
static struct kthread_worker *dmahp_pool_worker;
static void dmahp_pool_refill(struct kthread_work *work);
static DEFINE_KTHREAD_WORK(dmahp_pool_work, dmahp_pool_refill);

/**
 * dmahp_refill_worker() - a kthread worker for background refills
 * @name:	the thread's name
 * @site:	its fault site (dmahp_fault())
 *
 * At the lowest priority: a refill uses the CPU time requests leave, and a
 * woken request preempts it at once (docs/pool.md). Started here, once its
 * priority is set: since 6.14 kthread_create_worker() leaves the thread
 * unstarted (kthread_run_worker() starts it), waiting in D state, counted
 * in the load average, until its first work; before, it started it, and
 * waking a worker with no work only sends it back to sleep.
 *
 * Return: the worker, or an ERR_PTR.
 */
struct kthread_worker *dmahp_refill_worker(const char *name, const char *site)
{
	struct kthread_worker *worker;

	worker = dmahp_fault(site) ? ERR_PTR(-ENOMEM) :
		 kthread_create_worker(0, "%s", name);
	if (!IS_ERR(worker)) {
		sched_set_normal(worker->task, MAX_NICE);
		wake_up_process(worker->task);
	}
	return worker;
}

/* Blocks @pool may hold under dmahp_pool_max. Under dmahp_pool_lock. */
static unsigned long dmahp_pool_target(const struct dmahp_pool *pool)
{
	return dmahp_pool_max / 8 * pool->share >> (PAGE_SHIFT + pool->order);
}

/*
 * Under dmahp_pool_lock, so that no refill is queued once dmahp_pool_exit()
 * has cleared dmahp_pool_ready.
 */
static void dmahp_pool_kick_locked(void)
{
	if (dmahp_pool_ready)
		kthread_queue_work(dmahp_pool_worker, &dmahp_pool_work);
}

static void dmahp_pool_free_list(struct list_head *pages)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, pages, lru) {
		list_del(&page->lru);
		__free_pages(page, compound_order(page));
	}
}

/* Move one block of @pool to @out. Under dmahp_pool_lock. */
static unsigned long dmahp_pool_detach(struct dmahp_pool *pool,
				       struct list_head *out)
{
	struct page *page = list_first_entry(&pool->pages, struct page, lru);

	list_move(&page->lru, out);
	pool->count--;
	atomic64_sub(PAGE_SIZE << pool->order, &dmahp_counters.pool_bytes);
	return 1UL << pool->order;
}

/**
 * dmahp_pool_take() - a zeroed block from the pool, for the system kind
 * @order:	the block's order, 8 or 4
 *
 * Kicks the refill when the pool is on.
 *
 * Context: process context; takes dmahp_pool_lock (not IRQ-safe).
 * Return: a zeroed compound page of @order, or NULL when the pool has none
 * of that order.
 */
struct page *dmahp_pool_take(unsigned int order)
{
	struct dmahp_pool *pool = NULL;
	struct page *page = NULL;
	bool enabled;
	int i;

	for (i = 0; i < ARRAY_SIZE(dmahp_pools); i++)
		if (dmahp_pools[i].order == order)
			pool = &dmahp_pools[i];
	if (!pool)
		return NULL;

	spin_lock(&dmahp_pool_lock);
	enabled = dmahp_pool_target(pool);
	if (pool->count) {
		page = list_first_entry(&pool->pages, struct page, lru);
		list_del(&page->lru);
		pool->count--;
		atomic64_sub(PAGE_SIZE << order, &dmahp_counters.pool_bytes);
	}
	if (enabled)
		dmahp_pool_kick_locked();
	spin_unlock(&dmahp_pool_lock);

	if (page)
		atomic64_inc(&dmahp_counters.pool_hits);
	else if (enabled)
		atomic64_inc(&dmahp_counters.pool_misses);
	return page;
}

/*
 * The worker: zeroed blocks until every pool holds its share, the largest
 * order first. It stops when the page allocator has no free block, and
 * for a second after the shrinker ran; the next take kicks it again.
 */
static void dmahp_pool_refill(struct kthread_work *work)
{
	struct page *page;
	int i;

	for (i = 0; i < ARRAY_SIZE(dmahp_pools); i++) {
		struct dmahp_pool *pool = &dmahp_pools[i];

		for (;;) {
			bool want;

			spin_lock(&dmahp_pool_lock);
			want = pool->count < dmahp_pool_target(pool) &&
			       time_after(jiffies,
					  dmahp_pool_shrunk_at + POOL_BACKOFF);
			spin_unlock(&dmahp_pool_lock);
			if (!want)
				break;

			page = dmahp_fault("pool_refill") ? NULL :
			       alloc_pages(POOL_GFP, pool->order);
			if (!page)
				return;

			spin_lock(&dmahp_pool_lock);
			want = pool->count < dmahp_pool_target(pool);
			if (want) {
				list_add(&page->lru, &pool->pages);
				pool->count++;
				atomic64_add(PAGE_SIZE << pool->order,
					     &dmahp_counters.pool_bytes);
			}
			spin_unlock(&dmahp_pool_lock);
			if (!want) {
				__free_pages(page, pool->order);
				break;
			}
			cond_resched();
		}
	}
}

/*
 * A new limit for the uncharged pool, or with @per_memcg for the pools
 * kept per memory cgroup (mpool.c), the other one off: what is above it
 * goes back at once, the rest is refilled. Serialised, so that the ready
 * buffers (ready.c) follow the last limit and only one kind of pool is on.
 */
static int dmahp_pool_set_max(u64 bytes, bool per_memcg)
{
	static DEFINE_MUTEX(set_lock);
	LIST_HEAD(excess);
	int i;

	/* At most half of RAM: the pool is a cache, not a reservation. */
	if (bytes > (u64)totalram_pages() * PAGE_SIZE / 2)
		return -EINVAL;
	mutex_lock(&set_lock);
	spin_lock(&dmahp_pool_lock);
	dmahp_pool_max = per_memcg ? 0 : bytes;
	for (i = 0; i < ARRAY_SIZE(dmahp_pools); i++) {
		struct dmahp_pool *pool = &dmahp_pools[i];

		while (pool->count > dmahp_pool_target(pool))
			dmahp_pool_detach(pool, &excess);
	}
	dmahp_pool_kick_locked();
	spin_unlock(&dmahp_pool_lock);
	dmahp_pool_free_list(&excess);
	dmahp_ready_resize(dmahp_pool_max);
	dmahp_mpool_set_max(per_memcg ? bytes : 0);
	mutex_unlock(&set_lock);
	return 0;
}

/**
 * dmahp_pool_close() - the daemon closed the helper: no pool without it
 *
 * Every pool goes to 0 and gives its pages back at once, as when the
 * daemon sets 0, so that a stopped daemon leaves nothing kept ahead; a
 * new daemon sets the size again as it starts.
 *
 * Context: process context; sleeps.
 */
void dmahp_pool_close(void)
{
	dmahp_pool_set_max(0, false);
}

/**
 * dmahp_ioctl_pool() - DMAHEAP_HELPER_IOC_POOL: the pools' new size
 * @uarg:	the daemon's struct dmaheap_helper_pool
 *
 * The pools' one setting: the uncharged pool's size, or with
 * DMAHEAP_HELPER_POOL_PER_MEMCG the bound of the pools kept per memory
 * cgroup (mpool.c), the other one off. The blocks above the new size are
 * freed at once, the rest refilled; the ready buffers follow the uncharged
 * pool (dmahp_ready_resize()).
 *
 * Context: process context; sleeps.
 * Return: 0, -EFAULT, or -EINVAL for more than half of RAM, an unknown
 * flag or reserved bytes set.
 */
long dmahp_ioctl_pool(void __user *uarg)
{
	struct dmaheap_helper_pool req;
	bool per_memcg;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~DMAHEAP_HELPER_POOL_PER_MEMCG || req.reserved0 ||
	    memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	per_memcg = req.flags & DMAHEAP_HELPER_POOL_PER_MEMCG;
	return dmahp_pool_set_max(req.max_bytes, per_memcg);
}

static unsigned long dmahp_pool_count(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	unsigned long pages = atomic64_read(&dmahp_counters.pool_bytes) >>
			      PAGE_SHIFT;

	return pages ? pages : SHRINK_EMPTY;
}

static unsigned long dmahp_pool_scan(struct shrinker *shrinker,
				     struct shrink_control *sc)
{
	unsigned long freed = 0;
	LIST_HEAD(pages);
	int i;

	spin_lock(&dmahp_pool_lock);
	dmahp_pool_shrunk_at = jiffies;
	/* The small blocks first: the large ones are what the pool is for. */
	for (i = ARRAY_SIZE(dmahp_pools) - 1; i >= 0; i--)
		while (freed < sc->nr_to_scan && dmahp_pools[i].count)
			freed += dmahp_pool_detach(&dmahp_pools[i], &pages);
	spin_unlock(&dmahp_pool_lock);
	dmahp_pool_free_list(&pages);
	return freed ? freed : SHRINK_STOP;
}

static struct shrinker *dmahp_pool_shrinker;

/**
 * dmahp_pool_init() - start the pool's worker and shrinker, at load
 *
 * The pool stays empty until the daemon sizes it (dmahp_ioctl_pool()).
 *
 * Return: 0, or a negative errno with nothing left to undo.
 */
int dmahp_pool_init(void)
{
	dmahp_pool_worker = dmahp_refill_worker("dmaheap-pool",
						"init_pool_worker");
	if (IS_ERR(dmahp_pool_worker))
		return PTR_ERR(dmahp_pool_worker);

	dmahp_pool_shrinker = dmahp_fault("init_pool") ? NULL :
			   dmahp_shrinker_create("dmaheap-helper-pool",
						 dmahp_pool_count,
						 dmahp_pool_scan, 0,
						 DEFAULT_SEEKS);
	if (!dmahp_pool_shrinker) {
		kthread_destroy_worker(dmahp_pool_worker);
		return -ENOMEM;
	}
	spin_lock(&dmahp_pool_lock);
	dmahp_pool_shrunk_at = jiffies - POOL_BACKOFF;
	dmahp_pool_ready = true;
	dmahp_pool_kick_locked();
	spin_unlock(&dmahp_pool_lock);
	return 0;
}

/**
 * dmahp_pool_exit() - stop refills, free every block, at unload
 */
void dmahp_pool_exit(void)
{
	LIST_HEAD(pages);
	int i;

	spin_lock(&dmahp_pool_lock);
	dmahp_pool_ready = false;
	spin_unlock(&dmahp_pool_lock);
	dmahp_shrinker_destroy(dmahp_pool_shrinker);
	kthread_cancel_work_sync(&dmahp_pool_work);
	kthread_destroy_worker(dmahp_pool_worker);
	spin_lock(&dmahp_pool_lock);
	for (i = 0; i < ARRAY_SIZE(dmahp_pools); i++)
		while (dmahp_pools[i].count)
			dmahp_pool_detach(&dmahp_pools[i], &pages);
	spin_unlock(&dmahp_pool_lock);
	dmahp_pool_free_list(&pages);
}
