// SPDX-License-Identifier: GPL-2.0
/*
 * Pools of zeroed blocks kept ahead per memory cgroup, for charged buffers
 * of the system kind (DMAHEAP_HELPER_POOL_PER_MEMCG, docs/pool.md).
 *
 * The uncharged pool (pool.c) cannot serve a charged buffer: its pages were
 * allocated by nobody, and a module cannot charge a page it already has.
 * These pages are charged from the start: a worker refills a cgroup's pool
 * with that cgroup made active and __GFP_ACCOUNT, as readahead charges a
 * reader for pages it has not asked for yet. A pool exists only for a
 * cgroup whose processes allocate: it is refilled to what the cgroup took
 * in the last second, up to a quarter of the limit, that target halving
 * every second the cgroup asks for nothing; it is given back when that
 * reaches 0, when the cgroup is removed, as it nears its memory.max or
 * memory.high, when one of its allocations would fail without it, and to
 * the shrinker.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/list_lru.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/page_counter.h>
#include <linux/sched/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "dmaheap-helper.h"
#include "compat.h"
#include "dmaheap_helper.h"

/*
 * As the uncharged pool's refills (no reclaim: only memory that is free
 * anyway), charged. Without reclaim a charge past memory.max fails at once:
 * a refill never reclaims from its cgroup nor wakes its OOM killer.
 */
#define MPOOL_GFP	((GFP_HIGHUSER | __GFP_ZERO | __GFP_COMP | \
			  __GFP_NOWARN | __GFP_NORETRY | __GFP_ACCOUNT) & \
			 ~__GFP_RECLAIM)

/* Demand is counted per window; what was asked before halves each one. */
#define MPOOL_WINDOW	HZ
/* No refill of a pool for this long after it failed, was dropped or shrunk. */
#define MPOOL_BACKOFF	HZ
/*
 * The refill gives its thread up after this long, queued again behind the
 * reaper: under sustained demand some pool is always short, and the reaper,
 * on the same thread, would never run.
 */
#define MPOOL_SLICE	max(HZ / 100, 1)
#define MPOOL_ORDERS	2

static const unsigned int mpool_orders[MPOOL_ORDERS] = { 8, 4 };
/* dmahp_mpool_next()'s index for a ready buffer rather than a block. */
#define MPOOL_READY	MPOOL_ORDERS

/* What goes back once the lock is dropped: blocks, and ready buffers. */
struct dmahp_mpool_out {
	struct list_head pages;		/* by page->lru */
	struct list_head bufs;		/* dmahp_buffer.node */
	unsigned long detached;		/* pages, in dmahp_mpool_detached */
};

static void dmahp_mpool_out_init(struct dmahp_mpool_out *out)
{
	INIT_LIST_HEAD(&out->pages);
	INIT_LIST_HEAD(&out->bufs);
	out->detached = 0;
}

struct dmahp_mpool {
	struct list_head node;		/* in dmahp_mpools, last used first */
	struct list_head lru;		/* in dmahp_mpool_lru: see there */
	struct mem_cgroup *memcg;	/* a reference; NULL: no controller */
	struct list_head pages[MPOOL_ORDERS];	/* by page->lru */
	unsigned long count[MPOOL_ORDERS];
	unsigned long demand[MPOOL_ORDERS];	/* blocks asked, this window */
	unsigned long last[MPOOL_ORDERS];	/* before, halved per window */
	/* One-page buffers exported ahead, charged (dmahp_buffer.node). */
	struct list_head ready;
	unsigned long n_ready;
	unsigned long ready_demand;	/* taken or missed, this window */
	unsigned long ready_last;	/* before, halved per window */
	unsigned long backoff;		/* jiffies: no refill before */
	u64 hits;
	u64 misses;
	bool dead;			/* pages gone; the reaper frees it */
};

static DEFINE_SPINLOCK(dmahp_mpool_lock);	/* everything below */
static LIST_HEAD(dmahp_mpools);
static unsigned int dmahp_mpool_n;		/* pools not dead */
static unsigned long dmahp_mpool_max;		/* bytes, all pools */
static unsigned long dmahp_mpool_bytes;		/* bytes, all pools */
static bool dmahp_mpool_running;		/* between init and exit */
/*
 * Each pool's struct is charged to its cgroup and sits on this list_lru
 * in that cgroup's sublist, only so that the kernel calls the shrinker
 * below when that cgroup reclaims: at its memory.high or memory.max, a
 * cgroup's reclaim asks only shrinkers aware of memory cgroups, for the
 * cgroups whose sublist holds something. Never walked.
 */
static struct kmem_cache *dmahp_mpool_cache;
static struct list_lru dmahp_mpool_lru;

/* The daemon's, while it has the helper open: ready buffers' files get it. */
static const struct cred *dmahp_mpool_cred;

/* The pool the refill is allocating a block for, or NULL. */
static const struct dmahp_mpool *dmahp_mpool_inflight;
static DECLARE_WAIT_QUEUE_HEAD(dmahp_mpool_inflight_wq);

/*
 * Pages of every pool detached to a struct dmahp_mpool_out and not freed
 * yet, still charged to their cgroups: dmahp_mpool_drop() waits for them,
 * woken when none are left. And the give-backs done, for those freed
 * between an allocation's failure and its drop.
 */
static atomic_long_t dmahp_mpool_detached = ATOMIC_LONG_INIT(0);
static atomic_long_t dmahp_mpool_given = ATOMIC_LONG_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(dmahp_mpool_detached_wq);
/* A drop waits that long at most: others' give-backs may keep coming. */
#define MPOOL_DETACHED_WAIT	(HZ / 10)

/*
 * Refills, and the reaper that rotates the windows and frees pools, run on
 * one thread: a pool is freed only there, so a refill may use one without
 * the lock.
 */
static struct kthread_worker *dmahp_mpool_worker;
static void dmahp_mpool_refill(struct kthread_work *work);
static DEFINE_KTHREAD_WORK(dmahp_mpool_work, dmahp_mpool_refill);
static void dmahp_mpool_reap(struct kthread_work *work);
static DEFINE_KTHREAD_DELAYED_WORK(dmahp_mpool_reap_work, dmahp_mpool_reap);

static void dmahp_memcg_get(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	if (memcg)
		css_get(&memcg->css);
#endif
}

static unsigned long dmahp_memcg_ino(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	if (memcg)
		return cgroup_ino(memcg->css.cgroup);
#endif
	return 0;
}

/*
 * Bytes @memcg may still be charged before it or an ancestor reaches its
 * memory.high or memory.max.
 */
static unsigned long dmahp_memcg_room(struct mem_cgroup *memcg)
{
	unsigned long room = ULONG_MAX >> PAGE_SHIFT;
#ifdef CONFIG_MEMCG
	struct page_counter *c;

	if (!memcg || mem_cgroup_disabled())
		return ULONG_MAX;
	for (c = &memcg->memory; c; c = c->parent) {
		unsigned long limit = min(READ_ONCE(c->max),
					  READ_ONCE(c->high));
		unsigned long usage = page_counter_read(c);

		room = min(room, limit > usage ? limit - usage : 0);
	}
#endif
	return room << PAGE_SHIFT;
}

/*
 * Removed, or being: set first when a cgroup is removed, before its charges
 * start going to its parent.
 */
static bool dmahp_memcg_gone(struct mem_cgroup *memcg)
{
#ifdef CONFIG_MEMCG
	if (memcg)
		return css_is_dying(&memcg->css);
#endif
	return false;
}

static unsigned long dmahp_mpool_pool_bytes(const struct dmahp_mpool *p)
{
	unsigned long bytes = 0;
	int i;

	for (i = 0; i < MPOOL_ORDERS; i++)
		bytes += p->count[i] << (PAGE_SHIFT + mpool_orders[i]);
	return bytes + (p->n_ready << PAGE_SHIFT);
}

/*
 * Blocks of order index @i that @p is refilled to: what its cgroup asked
 * for in this window, or before (halved each window since), the larger
 * blocks first, all of them within a quarter of the limit. Under
 * dmahp_mpool_lock.
 */
static unsigned long dmahp_mpool_target(const struct dmahp_mpool *p, int i)
{
	unsigned long left = dmahp_mpool_max / 4, want = 0;
	int j;

	if (p->dead)
		return 0;
	for (j = 0; j <= i; j++) {
		unsigned long shift = PAGE_SHIFT + mpool_orders[j];

		want = min(max(p->demand[j], p->last[j]), left >> shift);
		left -= want << shift;
	}
	return want;
}

/*
 * Ready buffers @p is refilled to: the 4 KiB buffers its cgroup asked for,
 * as for blocks, at most ready_max (ready.c). Under the lock.
 */
static unsigned long dmahp_mpool_ready_target(const struct dmahp_mpool *p)
{
	if (p->dead || !dmahp_mpool_max)
		return 0;
	return min(max(p->ready_demand, p->ready_last), dmahp_ready_limit());
}

static unsigned long dmahp_mpool_target_bytes(const struct dmahp_mpool *p)
{
	unsigned long bytes = dmahp_mpool_ready_target(p) << PAGE_SHIFT;
	int i;

	for (i = 0; i < MPOOL_ORDERS; i++)
		bytes += dmahp_mpool_target(p, i) <<
			 (PAGE_SHIFT + mpool_orders[i]);
	return bytes;
}

static void dmahp_mpool_sub(unsigned long bytes)
{
	dmahp_mpool_bytes -= bytes;
	atomic64_sub(bytes, &dmahp_counters.memcg_pool_bytes);
}

static void dmahp_mpool_add(unsigned long bytes)
{
	dmahp_mpool_bytes += bytes;
	atomic64_add(bytes, &dmahp_counters.memcg_pool_bytes);
}

/*
 * Move one block of order index @i of @p, or with MPOOL_READY its oldest
 * ready buffer, to @out. Under the lock. Return: the pages it holds.
 */
static unsigned long dmahp_mpool_detach(struct dmahp_mpool *p, int i,
					struct dmahp_mpool_out *out)
{
	unsigned long pages = 1;
	struct page *page;

	if (i == MPOOL_READY) {
		list_move(p->ready.next, &out->bufs);
		p->n_ready--;
	} else {
		page = list_first_entry(&p->pages[i], struct page, lru);
		list_move(&page->lru, &out->pages);
		p->count[i]--;
		pages <<= mpool_orders[i];
	}
	dmahp_mpool_sub(pages << PAGE_SHIFT);
	out->detached += pages;
	atomic_long_add(pages, &dmahp_mpool_detached);
	return pages;
}

/* Blocks, or with MPOOL_READY ready buffers, that @p holds. */
static unsigned long dmahp_mpool_held(const struct dmahp_mpool *p, int i)
{
	return i == MPOOL_READY ? p->n_ready : p->count[i];
}

/* Everything @p holds to @out. Under the lock. Return: its pages. */
static unsigned long dmahp_mpool_empty(struct dmahp_mpool *p,
				       struct dmahp_mpool_out *out)
{
	unsigned long pages = 0;
	int i;

	for (i = 0; i <= MPOOL_READY; i++) {
		while (dmahp_mpool_held(p, i))
			pages += dmahp_mpool_detach(p, i, out);
	}
	return pages;
}

/* The ready buffers of @p above its target to @out, under the lock. */
static unsigned long dmahp_mpool_trim_ready(struct dmahp_mpool *p,
					    struct dmahp_mpool_out *out)
{
	unsigned long pages = 0;

	while (p->n_ready > dmahp_mpool_ready_target(p))
		pages += dmahp_mpool_detach(p, MPOOL_READY, out);
	return pages;
}

/*
 * What @p holds above its targets to @out, under the lock. Return: its
 * pages. When a cgroup's demand moves from one order to the other (64 KiB
 * buffers, then 1 MiB ones), the new order's target takes the quarter of
 * the limit the old one held: the refill trims a pool before it adds to
 * it, so that the new order need not wait for the reaper, which trims
 * every window.
 */
static unsigned long dmahp_mpool_trim(struct dmahp_mpool *p,
				      struct dmahp_mpool_out *out)
{
	unsigned long pages = 0;
	int i;

	for (i = 0; i < MPOOL_ORDERS; i++)
		while (p->count[i] > dmahp_mpool_target(p, i))
			pages += dmahp_mpool_detach(p, i, out);
	return pages + dmahp_mpool_trim_ready(p, out);
}

/* Whether @p has an order below its target. Under the lock. */
static bool dmahp_mpool_wants(const struct dmahp_mpool *p)
{
	int i;

	for (i = 0; i < MPOOL_ORDERS; i++)
		if (p->count[i] < dmahp_mpool_target(p, i))
			return true;
	return false;
}

/* Empty @p and leave it to the reaper. Under the lock. */
static void dmahp_mpool_kill(struct dmahp_mpool *p,
			     struct dmahp_mpool_out *out)
{
	dmahp_mpool_empty(p, out);
	if (!p->dead) {
		p->dead = true;
		dmahp_mpool_n--;
		atomic64_dec(&dmahp_counters.memcg_pools);
	}
}

/* A dead pool's struct, by the reaper or at exit. */
static void dmahp_mpool_free(struct dmahp_mpool *p)
{
	list_del(&p->node);
	dmahp_list_lru_del_obj(&dmahp_mpool_lru, &p->lru);
	mem_cgroup_put(p->memcg);
	kmem_cache_free(dmahp_mpool_cache, p);
}

/*
 * Free what was detached. A ready buffer's page goes now, uncharged at
 * once; its file when fput()'s deferred work runs, in a moment. Never
 * under dmahp_mpool_lock, nor waiting for another give-back (as
 * dmahp_mpool_drop() does): it runs in reclaim, and on the refill's
 * thread. For tests, the time between the detach and the
 * free can be stretched until a charged client's allocation failed
 * (mpool_give_back, t-mpool.sh).
 */
static void dmahp_mpool_give_back(struct dmahp_mpool_out *out)
{
	struct dmahp_buffer *buffer, *btmp;
	struct page *page, *tmp;

	if ((!list_empty(&out->pages) || !list_empty(&out->bufs)) &&
	    dmahp_fault("mpool_give_back"))
		dmahp_hook_await_failed_pass();
	list_for_each_entry_safe(page, tmp, &out->pages, lru) {
		list_del(&page->lru);
		__free_pages(page, compound_order(page));
	}
	list_for_each_entry_safe(buffer, btmp, &out->bufs, node) {
		list_del_init(&buffer->node);
		dmahp_buffer_free_memory(buffer);
		dma_buf_put(buffer->dmabuf);
	}
	if (!out->detached)
		return;
	atomic_long_inc(&dmahp_mpool_given);
	if (atomic_long_sub_and_test(out->detached, &dmahp_mpool_detached))
		wake_up_all(&dmahp_mpool_detached_wq);
	out->detached = 0;
}

static struct dmahp_mpool *dmahp_mpool_find(struct mem_cgroup *memcg)
{
	struct dmahp_mpool *p;

	list_for_each_entry(p, &dmahp_mpools, node)
		if (!p->dead && p->memcg == memcg)
			return p;
	return NULL;
}

/*
 * A pool for @memcg, the last used, @new unless it has one. The least
 * recently used goes when there are DMAHEAP_HELPER_MEMCG_POOLS_MAX. Under
 * the lock; @new is consumed or freed.
 */
static struct dmahp_mpool *dmahp_mpool_insert(struct mem_cgroup *memcg,
					      struct dmahp_mpool *new,
					      struct dmahp_mpool_out *out)
{
	struct dmahp_mpool *p = dmahp_mpool_find(memcg);
	int i;

	if (p) {
		kmem_cache_free(dmahp_mpool_cache, new);
		return p;
	}
	if (dmahp_mpool_n == DMAHEAP_HELPER_MEMCG_POOLS_MAX)
		list_for_each_entry_reverse(p, &dmahp_mpools, node)
			if (!p->dead) {
				dmahp_mpool_kill(p, out);
				break;
			}
	dmahp_memcg_get(memcg);
	new->memcg = memcg;
	for (i = 0; i < MPOOL_ORDERS; i++)
		INIT_LIST_HEAD(&new->pages[i]);
	INIT_LIST_HEAD(&new->ready);
	new->backoff = jiffies;
	list_add(&new->node, &dmahp_mpools);
	INIT_LIST_HEAD(&new->lru);
	dmahp_list_lru_add_obj(&dmahp_mpool_lru, &new->lru);
	dmahp_mpool_n++;
	atomic64_inc(&dmahp_counters.memcg_pools);
	kthread_queue_delayed_work(dmahp_mpool_worker, &dmahp_mpool_reap_work,
				   MPOOL_WINDOW);
	return new;
}

/*
 * The pool of @memcg, made if it has none, moved first (the last used), or
 * NULL when the pools are off, @memcg is being removed or the pool's struct
 * could not be had; returns with dmahp_mpool_lock held either way. What
 * the 17th pool evicted goes to @evicted.
 */
static struct dmahp_mpool *dmahp_mpool_get(struct mem_cgroup *memcg,
					   struct dmahp_mpool_out *evicted)
	__acquires(&dmahp_mpool_lock)
{
	struct dmahp_mpool *p, *new;
	struct mem_cgroup *old;

	spin_lock(&dmahp_mpool_lock);
	p = dmahp_mpool_find(memcg);
	/* Not for a cgroup being removed: the reaper would free it unused. */
	if (!p && dmahp_mpool_max && dmahp_mpool_running &&
	    !dmahp_memcg_gone(memcg)) {
		spin_unlock(&dmahp_mpool_lock);
		/*
		 * Charged to @memcg, which puts it in @memcg's sublist of
		 * dmahp_mpool_lru. Never the cgroup's OOM killer: no pool
		 * rather.
		 */
		old = set_active_memcg(memcg);
		new = dmahp_fault("mpool") ? NULL :
		      kmem_cache_alloc_lru(dmahp_mpool_cache, &dmahp_mpool_lru,
					   GFP_KERNEL_ACCOUNT | __GFP_ZERO |
					   __GFP_NORETRY | __GFP_NOWARN);
		set_active_memcg(old);
		spin_lock(&dmahp_mpool_lock);
		if (new && (!dmahp_mpool_max || !dmahp_mpool_running)) {
			kmem_cache_free(dmahp_mpool_cache, new);
			new = NULL;
		}
		if (new)
			p = dmahp_mpool_insert(memcg, new, evicted);
	}
	if (p)
		list_move(&p->node, &dmahp_mpools);
	return p;
}

/* Under the lock: the refill has something to do for @p now. */
static void dmahp_mpool_kick_locked(void)
{
	if (dmahp_mpool_running)
		kthread_queue_work(dmahp_mpool_worker, &dmahp_mpool_work);
}

/**
 * dmahp_mpool_take() - a zeroed block charged to @memcg already
 * @memcg:	the memory cgroup the buffer is charged to (NULL: a kernel
 *		without a memory controller)
 * @order:	the block's order, 8 or 4
 * @again:	the same block asked for again, after dmahp_mpool_drop()
 *
 * Counts the demand of @memcg, unless @again (it was counted, and its
 * miss, the first time), makes it a pool if it has none (while the pools
 * are on) and kicks the refill.
 *
 * Context: process context; may sleep (the pool's allocation).
 * Return: a zeroed compound page of @order charged to @memcg, or NULL.
 */
struct page *dmahp_mpool_take(struct mem_cgroup *memcg, unsigned int order,
			      bool again)
{
	struct dmahp_mpool_out evicted;
	struct page *page = NULL;
	struct dmahp_mpool *p;
	int i;

	dmahp_mpool_out_init(&evicted);
	for (i = 0; i < MPOOL_ORDERS; i++)
		if (mpool_orders[i] == order)
			break;
	if (i == MPOOL_ORDERS || !READ_ONCE(dmahp_mpool_max))
		return NULL;

	p = dmahp_mpool_get(memcg, &evicted);
	if (!p) {
		spin_unlock(&dmahp_mpool_lock);
		return NULL;
	}
	if (!again)
		p->demand[i]++;
	if (p->count[i]) {
		page = list_first_entry(&p->pages[i], struct page, lru);
		list_del(&page->lru);
		p->count[i]--;
		dmahp_mpool_sub(PAGE_SIZE << order);
		p->hits++;
		atomic64_inc(&dmahp_counters.memcg_pool_hits);
	} else if (!again) {
		p->misses++;
		atomic64_inc(&dmahp_counters.memcg_pool_misses);
	}
	if (p->count[i] < dmahp_mpool_target(p, i))
		dmahp_mpool_kick_locked();
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_give_back(&evicted);
	return page;
}

/**
 * dmahp_mpool_ready_take() - a ready buffer charged to @task's cgroup
 * @task:	the caller of a charged 4 KiB read-write allocation
 *
 * Counts the demand of its memory cgroup, makes it a pool if it has none
 * (while the pools are on), and kicks the refill once half of its ready
 * buffers are gone: refilling after every take would cost one more
 * wake-up per allocation (ready.c).
 *
 * Context: process context; may sleep.
 * Return: an exported one-page buffer, zeroed, read-write, its page
 * charged to @task's cgroup, not published; or NULL when there is none.
 */
struct dma_buf *dmahp_mpool_ready_take(struct task_struct *task)
{
	struct dmahp_buffer *buffer = NULL;
	struct dmahp_mpool_out evicted;
	struct mem_cgroup *memcg;
	struct dmahp_mpool *p;
	struct mm_struct *mm;

	dmahp_mpool_out_init(&evicted);
	if (!READ_ONCE(dmahp_mpool_max) || !dmahp_ready_limit())
		return NULL;
	mm = get_task_mm(task);
	if (!mm)
		return NULL;
	memcg = get_mem_cgroup_from_mm(mm);
	mmput(mm);

	p = dmahp_mpool_get(memcg, &evicted);
	if (!p) {
		spin_unlock(&dmahp_mpool_lock);
		mem_cgroup_put(memcg);
		return NULL;
	}
	p->ready_demand++;
	if (p->n_ready) {
		buffer = list_first_entry(&p->ready, struct dmahp_buffer, node);
		list_del_init(&buffer->node);
		p->n_ready--;
		dmahp_mpool_sub(PAGE_SIZE);
	}
	if (p->n_ready <= dmahp_mpool_ready_target(p) / 2)
		dmahp_mpool_kick_locked();
	spin_unlock(&dmahp_mpool_lock);
	mem_cgroup_put(memcg);
	dmahp_mpool_give_back(&evicted);
	if (!buffer)
		return NULL;
	atomic64_inc(&dmahp_counters.ready_hits);
	return buffer->dmabuf;
}

/**
 * dmahp_mpool_given_back() - the give-backs done so far
 *
 * Return: a count to pass to dmahp_mpool_drop(), read before an
 * allocation's pass.
 */
unsigned long dmahp_mpool_given_back(void)
{
	return atomic_long_read(&dmahp_mpool_given);
}

/**
 * dmahp_mpool_drop() - give back what is kept for @memcg
 * @memcg:	a memory cgroup one of whose allocations failed, or is about
 *		to need more than the room it has left
 * @since:	dmahp_mpool_given_back() before that allocation
 *
 * So that a client never gets -ENOMEM because of pages kept for it: its
 * allocation tries again after this, and no refill comes for a second. A
 * block the refill is allocating for it meanwhile is waited for: freed,
 * not added. So are pages another thread took out of a pool (the reaper,
 * the refill's trim, an eviction, the shrinker) and has not freed yet,
 * still charged: any pool's, for 100 ms at most, which others' give-backs
 * coming one after the other cannot stretch.
 *
 * Context: process context; may sleep. Never from dmahp_mpool_give_back().
 * Return: true when pages were given back (by this drop, or by anyone
 * since @since), or a block in flight or detached pages were waited for.
 */
bool dmahp_mpool_drop(struct mem_cgroup *memcg, unsigned long since)
{
	unsigned long pages = 0;
	const struct dmahp_mpool *q;
	struct dmahp_mpool *p;
	bool inflight, detached;
	struct dmahp_mpool_out out;

	dmahp_mpool_out_init(&out);
	spin_lock(&dmahp_mpool_lock);
	p = dmahp_mpool_find(memcg);
	if (p) {
		pages = dmahp_mpool_empty(p, &out);
		p->backoff = jiffies + MPOOL_BACKOFF;
	}
	/*
	 * By cgroup, not by pool: the block may be for a pool of @memcg that
	 * was evicted meanwhile, and is charged to @memcg all the same. The
	 * refill frees no pool while it is in flight.
	 */
	q = dmahp_mpool_inflight;
	inflight = q && q->memcg == memcg;
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_give_back(&out);
	/* Compared, never used: @q may be gone once the refill moved on. */
	if (inflight)
		wait_event_killable(dmahp_mpool_inflight_wq,
				    READ_ONCE(dmahp_mpool_inflight) != q);
	detached = atomic_long_read(&dmahp_mpool_detached);
	if (detached)
		wait_event_killable_timeout(dmahp_mpool_detached_wq,
					    !atomic_long_read(&dmahp_mpool_detached),
					    MPOOL_DETACHED_WAIT);
	return pages || inflight || detached ||
	       atomic_long_read(&dmahp_mpool_given) != since;
}

/**
 * dmahp_mpool_make_room() - before a charged allocation of @len bytes
 * @memcg:	the memory cgroup it is charged to
 * @len:	its size
 *
 * When @memcg has less room left below its limits than @len, what is kept
 * for it goes first: the allocation would otherwise reclaim the cgroup's
 * own memory, or fail, while pages kept for it sit in its pool.
 */
void dmahp_mpool_make_room(struct mem_cgroup *memcg, size_t len)
{
	if (READ_ONCE(dmahp_mpool_max) && dmahp_memcg_room(memcg) < len)
		dmahp_mpool_drop(memcg, dmahp_mpool_given_back());
}

/*
 * Under the lock: what @p holds of index @i is below its target, and a
 * block more keeps its blocks within a quarter of the limit.
 */
static bool dmahp_mpool_short(const struct dmahp_mpool *p, int i)
{
	unsigned long blocks;

	if (i == MPOOL_READY)
		return dmahp_mpool_cred &&
		       p->n_ready < dmahp_mpool_ready_target(p);
	blocks = dmahp_mpool_pool_bytes(p) - (p->n_ready << PAGE_SHIFT);
	return p->count[i] < dmahp_mpool_target(p, i) &&
	       blocks + (PAGE_SIZE << mpool_orders[i]) <= dmahp_mpool_max / 4;
}

/*
 * The first pool below its target that may grow, and the index it wants
 * (an order's, or MPOOL_READY), under the lock. A block is added only
 * while the cgroup keeps at least as much room below its limits as all
 * pools will hold: a pool never takes more than half of what its cgroup
 * has left, nor do the pools of cgroups under one limit together. A
 * removed cgroup's pool is not refilled: its charges would go to its
 * parent. A pool with an order below its target is trimmed first, to
 * @out, which the refill frees before it allocates: the room counts those
 * pages as freed already.
 */
static struct dmahp_mpool *dmahp_mpool_next(int *ret_i,
					    struct dmahp_mpool_out *out)
{
	struct dmahp_mpool *p;
	int i;

	list_for_each_entry(p, &dmahp_mpools, node) {
		unsigned long trimmed = 0;

		if (p->dead || time_before(jiffies, p->backoff) ||
		    dmahp_memcg_gone(p->memcg))
			continue;
		if (dmahp_mpool_wants(p))
			trimmed = dmahp_mpool_trim(p, out) << PAGE_SHIFT;
		for (i = 0; i <= MPOOL_READY; i++) {
			unsigned long block = i == MPOOL_READY ? PAGE_SIZE :
					      PAGE_SIZE << mpool_orders[i];
			unsigned long after = dmahp_mpool_bytes + block;
			unsigned long room = dmahp_memcg_room(p->memcg);

			room += min(trimmed, ULONG_MAX - room);
			if (!dmahp_mpool_short(p, i) ||
			    dmahp_mpool_bytes + block > dmahp_mpool_max)
				continue;
			if (room < block || room - block < after) {
				p->backoff = jiffies + MPOOL_BACKOFF;
				break;
			}
			*ret_i = i;
			return p;
		}
	}
	return NULL;
}

/*
 * A ready buffer for @p: exported with the daemon's credentials, as those
 * exported on a caller's request; its page charged to @p's cgroup (made
 * active only for the page, not for the export's own objects, whose
 * allocations may reclaim), without reclaim.
 */
static struct dmahp_buffer *dmahp_mpool_export(struct dmahp_mpool *p,
					       const struct cred *cred)
{
	unsigned int flags = DMAHP_BUF_BACKGROUND;
	const struct cred *old;
	struct dma_buf *dmabuf;

	if (p->memcg)
		flags |= DMAHP_BUF_CHARGE;
	old = override_creds(cred);
	dmabuf = dmahp_fault("mpool_ready") ? ERR_PTR(-ENOMEM) :
		 dmahp_buffer_export(&dmahp_system_kind, NULL, PAGE_SIZE,
				     O_RDWR, current, p->memcg, flags);
	revert_creds(old);
	return IS_ERR(dmabuf) ? NULL : dmabuf->priv;
}

/* A block of order index @i for @p, charged to its cgroup. */
static struct page *dmahp_mpool_alloc(struct dmahp_mpool *p, int i)
{
	struct mem_cgroup *old;
	struct page *page;

	old = set_active_memcg(p->memcg);
	page = dmahp_fault("mpool_refill") ? NULL :
	       alloc_pages(MPOOL_GFP, mpool_orders[i]);
	set_active_memcg(old);
	return page;
}

/*
 * The worker: a block or a ready buffer at a time for the pool that wants
 * one, charged to its cgroup. A pool whose block could not be had (no
 * free block, or its cgroup at its limit) waits a second; the others go
 * on. Ready buffers are made while the daemon has the helper open: its
 * credentials are put only after this work (dmahp_mpool_close()). After
 * MPOOL_SLICE it queues itself again and returns.
 */
static void dmahp_mpool_refill(struct kthread_work *work)
{
	unsigned long start = jiffies;
	struct dmahp_mpool_out out;
	const struct cred *cred;
	struct dmahp_buffer *buffer = NULL;
	struct dmahp_mpool *p;
	struct page *page = NULL;
	unsigned long bytes;
	bool got;
	int i;

	dmahp_mpool_out_init(&out);
	for (;;) {
		spin_lock(&dmahp_mpool_lock);
		p = dmahp_mpool_next(&i, &out);
		dmahp_mpool_inflight = p;
		cred = dmahp_mpool_cred;
		spin_unlock(&dmahp_mpool_lock);
		/* Before the allocation, which the room counted them freed for. */
		dmahp_mpool_give_back(&out);
		if (!p)
			return;

		if (i == MPOOL_READY) {
			buffer = dmahp_mpool_export(p, cred);
			got = buffer;
			bytes = PAGE_SIZE;
		} else {
			page = dmahp_mpool_alloc(p, i);
			got = page;
			bytes = PAGE_SIZE << mpool_orders[i];
		}

		spin_lock(&dmahp_mpool_lock);
		/* A take may have moved the targets while it was made. */
		if (got)
			dmahp_mpool_trim(p, &out);
		if (got && dmahp_mpool_short(p, i) &&
		    dmahp_mpool_bytes + bytes <= dmahp_mpool_max &&
		    !time_before(jiffies, p->backoff) &&
		    !dmahp_memcg_gone(p->memcg)) {
			if (buffer) {
				list_add_tail(&buffer->node, &p->ready);
				p->n_ready++;
			} else {
				list_add(&page->lru, &p->pages[i]);
				p->count[i]++;
			}
			dmahp_mpool_add(bytes);
		} else if (buffer) {
			list_add(&buffer->node, &out.bufs);
		} else if (page) {
			list_add(&page->lru, &out.pages);
		} else {
			p->backoff = jiffies + MPOOL_BACKOFF;
		}
		buffer = NULL;
		page = NULL;
		spin_unlock(&dmahp_mpool_lock);
		dmahp_mpool_give_back(&out);

		/* Only now: dmahp_mpool_drop() waits for the block to go. */
		spin_lock(&dmahp_mpool_lock);
		dmahp_mpool_inflight = NULL;
		if (time_after(jiffies, start + MPOOL_SLICE)) {
			dmahp_mpool_kick_locked();
			spin_unlock(&dmahp_mpool_lock);
			wake_up_all(&dmahp_mpool_inflight_wq);
			return;
		}
		spin_unlock(&dmahp_mpool_lock);
		wake_up_all(&dmahp_mpool_inflight_wq);
		cond_resched();
	}
}

/*
 * Every window: the demand moves on, what was asked before halves; a pool
 * whose demand is down to nothing, or whose cgroup was removed, goes; what
 * is above a pool's target or above what its cgroup has left below its
 * limits goes back. Dead pools are freed here. Runs again, and kicks the
 * refill, while there are pools.
 */
static void dmahp_mpool_reap(struct kthread_work *work)
{
	struct dmahp_mpool *p, *tmp;
	struct dmahp_mpool_out out;
	LIST_HEAD(dead);
	bool again;
	int i;

	dmahp_mpool_out_init(&out);
	spin_lock(&dmahp_mpool_lock);
	list_for_each_entry_safe(p, tmp, &dmahp_mpools, node) {
		bool idle;

		for (i = 0; i < MPOOL_ORDERS; i++) {
			p->last[i] = max(p->demand[i], p->last[i] / 2);
			p->demand[i] = 0;
		}
		p->ready_last = max(p->ready_demand, p->ready_last / 2);
		p->ready_demand = 0;
		idle = !p->ready_last;
		for (i = 0; i < MPOOL_ORDERS; i++)
			idle = idle && !p->last[i];
		if (idle || dmahp_memcg_gone(p->memcg))
			dmahp_mpool_kill(p, &out);
		if (p->dead) {
			list_move(&p->node, &dead);
			continue;
		}
		dmahp_mpool_trim(p, &out);
		for (i = 0; i <= MPOOL_READY; i++) {
			while (dmahp_mpool_held(p, i) &&
			       dmahp_mpool_pool_bytes(p) >
			       dmahp_memcg_room(p->memcg))
				dmahp_mpool_detach(p, i, &out);
		}
	}
	/* A pool that waited out a back-off is refilled without a take. */
	again = !list_empty(&dmahp_mpools) && dmahp_mpool_running;
	if (again) {
		kthread_queue_work(dmahp_mpool_worker, &dmahp_mpool_work);
		kthread_queue_delayed_work(dmahp_mpool_worker,
					   &dmahp_mpool_reap_work,
					   MPOOL_WINDOW);
	}
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_give_back(&out);

	list_for_each_entry_safe(p, tmp, &dead, node)
		dmahp_mpool_free(p);
}

/**
 * dmahp_mpool_set_max() - the bound of all pools together
 * @bytes:	0 turns them off and empties them
 *
 * What is above the new bound goes back at once, from the pools used
 * least recently.
 */
void dmahp_mpool_set_max(u64 bytes)
{
	struct dmahp_mpool *p;
	struct dmahp_mpool_out out;
	int i;

	dmahp_mpool_out_init(&out);
	spin_lock(&dmahp_mpool_lock);
	dmahp_mpool_max = bytes;
	list_for_each_entry_reverse(p, &dmahp_mpools, node) {
		if (!bytes)
			dmahp_mpool_kill(p, &out);
		for (i = MPOOL_ORDERS - 1; i >= 0; i--) {
			while (p->count[i] > dmahp_mpool_target(p, i) ||
			       (p->count[i] && dmahp_mpool_bytes > bytes))
				dmahp_mpool_detach(p, i, &out);
		}
		while (p->n_ready > dmahp_mpool_ready_target(p) ||
		       (p->n_ready && dmahp_mpool_bytes > bytes))
			dmahp_mpool_detach(p, MPOOL_READY, &out);
	}
	/* Dead pools are freed at once; else the windows go on as they were. */
	if (dmahp_mpool_running && !list_empty(&dmahp_mpools)) {
		if (bytes)
			kthread_queue_delayed_work(dmahp_mpool_worker,
						   &dmahp_mpool_reap_work,
						   MPOOL_WINDOW);
		else
			kthread_mod_delayed_work(dmahp_mpool_worker,
						 &dmahp_mpool_reap_work, 0);
	}
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_give_back(&out);
}

/**
 * dmahp_mpool_ready_retarget() - ready_max changed
 *
 * The ready buffers above the new bound go back at once, as the uncharged
 * ones do (ready.c), not at the reaper's next window; a higher bound is
 * filled on the pools' next takes.
 *
 * Context: process context.
 */
void dmahp_mpool_ready_retarget(void)
{
	struct dmahp_mpool_out out;
	struct dmahp_mpool *p;

	dmahp_mpool_out_init(&out);
	spin_lock(&dmahp_mpool_lock);
	list_for_each_entry(p, &dmahp_mpools, node)
		dmahp_mpool_trim_ready(p, &out);
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_give_back(&out);
}

/**
 * dmahp_mpool_open() - the daemon opened the helper
 * @cred:	its credentials, which the ready buffers' files get
 */
void dmahp_mpool_open(const struct cred *cred)
{
	const struct cred *new = get_cred(cred);

	spin_lock(&dmahp_mpool_lock);
	/* The helper has one opener at a time (dmahp_open()). */
	WARN_ON_ONCE(dmahp_mpool_cred);
	dmahp_mpool_cred = new;
	spin_unlock(&dmahp_mpool_lock);
}

/**
 * dmahp_mpool_close() - the daemon closed the helper: no pool is kept
 *
 * Pages charged to clients are not kept without a daemon; the ready
 * buffers hold references on this module.
 *
 * Context: process context; waits for a running refill.
 */
void dmahp_mpool_close(void)
{
	const struct cred *cred;

	spin_lock(&dmahp_mpool_lock);
	cred = dmahp_mpool_cred;
	dmahp_mpool_cred = NULL;
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_set_max(0);
	kthread_flush_work(&dmahp_mpool_work);
	put_cred(cred);
}

/**
 * dmahp_ioctl_memcg_pools() - DMAHEAP_HELPER_IOC_MEMCG_POOLS
 * @uarg:	the daemon's struct dmaheap_helper_memcg_pools
 *
 * Context: process context; sleeps.
 * Return: 0, -EFAULT, or -EINVAL for reserved bytes set.
 */
long dmahp_ioctl_memcg_pools(void __user *uarg)
{
	struct dmaheap_helper_memcg_pool
		e[DMAHEAP_HELPER_MEMCG_POOLS_MAX] = {};
	struct dmaheap_helper_memcg_pools req;
	struct dmahp_mpool *p;
	u32 n = 0;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.reserved0 || memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;

	spin_lock(&dmahp_mpool_lock);
	list_for_each_entry(p, &dmahp_mpools, node) {
		if (p->dead || n == ARRAY_SIZE(e))
			continue;
		e[n].cgroup_ino = dmahp_memcg_ino(p->memcg);
		e[n].bytes = dmahp_mpool_pool_bytes(p);
		e[n].target = dmahp_mpool_target_bytes(p);
		e[n].hits = p->hits;
		e[n].misses = p->misses;
		n++;
	}
	spin_unlock(&dmahp_mpool_lock);

	if (copy_to_user(u64_to_user_ptr(req.entries), e,
			 min(n, req.count) * sizeof(e[0])))
		return -EFAULT;
	req.count = n;
	if (copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

/*
 * The pools a reclaim of @sc->memcg may take from: that cgroup's own (the
 * kernel asks for each cgroup of the tree it reclaims from, the root's
 * included), or every one where there is no memory controller or it
 * charges no kernel memory (cgroup.memory=nokmem: the kernel then asks a
 * shrinker like this one, not SHRINKER_NONSLAB, only at the root's turn,
 * and the pools' structs, charged to nobody, are all on the root's list).
 * A removed cgroup is asked no more once offline, and its charges and its
 * pool's struct have gone to its parent: its pool is taken from by any
 * reclaim above it until the reaper frees it.
 */
static bool dmahp_mpool_reclaims(const struct dmahp_mpool *p,
				 const struct shrink_control *sc)
{
	if (!sc->memcg || mem_cgroup_disabled() || !dmahp_memcg_kmem_online() ||
	    p->memcg == sc->memcg)
		return true;
#ifdef CONFIG_MEMCG
	return dmahp_memcg_gone(p->memcg) &&
	       mem_cgroup_is_descendant(p->memcg, sc->memcg);
#else
	return false;
#endif
}

/*
 * 0 rather than SHRINK_EMPTY while the cgroup has a pool, dead or not (its
 * struct is still in the cgroup's sublist): SHRINK_EMPTY tells the kernel
 * to ask no more until the sublist fills again, which would not come when
 * the pool fills.
 */
static unsigned long dmahp_mpool_count(struct shrinker *shrinker,
				       struct shrink_control *sc)
{
	unsigned long pages = 0;
	struct dmahp_mpool *p;
	bool found = false;
	bool running;

	spin_lock(&dmahp_mpool_lock);
	list_for_each_entry(p, &dmahp_mpools, node)
		if (dmahp_mpool_reclaims(p, sc)) {
			found = true;
			pages += dmahp_mpool_pool_bytes(p) >> PAGE_SHIFT;
		}
	/*
	 * The shrinker is registered before the list_lru is made, and taken
	 * down after it is destroyed on init's error path: only read it
	 * between the two, while running.
	 */
	running = dmahp_mpool_running;
	spin_unlock(&dmahp_mpool_lock);
	/*
	 * A removed child's pool struct moves to its parent's sublist: the
	 * parent is asked as long as the sublist holds one.
	 */
	if (!found && running && sc->memcg &&
	    list_lru_count_one(&dmahp_mpool_lru, sc->nid, sc->memcg))
		found = true;
	return found ? pages : SHRINK_EMPTY;
}

/*
 * The ready buffers first, then the small blocks, of the pools used least
 * recently. A ready buffer's page is freed a moment later, with its file.
 */
static unsigned long dmahp_mpool_scan(struct shrinker *shrinker,
				      struct shrink_control *sc)
{
	unsigned long freed = 0;
	struct dmahp_mpool *p;
	struct dmahp_mpool_out out;
	int i;

	dmahp_mpool_out_init(&out);
	spin_lock(&dmahp_mpool_lock);
	for (i = MPOOL_READY; i >= 0; i--) {
		list_for_each_entry_reverse(p, &dmahp_mpools, node) {
			if (!dmahp_mpool_reclaims(p, sc))
				continue;
			p->backoff = jiffies + MPOOL_BACKOFF;
			while (freed < sc->nr_to_scan &&
			       dmahp_mpool_held(p, i))
				freed += dmahp_mpool_detach(p, i, &out);
		}
	}
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_give_back(&out);
	return freed ? freed : SHRINK_STOP;
}

static struct shrinker *dmahp_mpool_shrinker;

/**
 * dmahp_mpool_init() - start the pools' worker and shrinker, at load
 *
 * The pools stay off until the daemon turns them on (dmahp_ioctl_pool()).
 *
 * Return: 0, or a negative errno with nothing left to undo.
 */
int dmahp_mpool_init(void)
{
	int ret = -ENOMEM;

	dmahp_mpool_cache = dmahp_fault("init_mpool") ? NULL :
			    KMEM_CACHE(dmahp_mpool, 0);
	if (!dmahp_mpool_cache)
		return -ENOMEM;

	dmahp_mpool_shrinker = dmahp_shrinker_create("dmaheap-helper-mpool",
						     dmahp_mpool_count,
						     dmahp_mpool_scan,
						     SHRINKER_MEMCG_AWARE, 0);
	if (!dmahp_mpool_shrinker)
		goto out_destroy_cache;
	ret = list_lru_init_memcg(&dmahp_mpool_lru, dmahp_mpool_shrinker);
	if (ret)
		goto out_destroy_shrinker;

	dmahp_mpool_worker = dmahp_refill_worker("dmaheap-mpool",
						 "init_mpool_worker");
	if (IS_ERR(dmahp_mpool_worker)) {
		ret = PTR_ERR(dmahp_mpool_worker);
		goto out_destroy_lru;
	}
	spin_lock(&dmahp_mpool_lock);
	dmahp_mpool_running = true;
	spin_unlock(&dmahp_mpool_lock);
	return 0;

out_destroy_lru:
	list_lru_destroy(&dmahp_mpool_lru);
out_destroy_shrinker:
	dmahp_shrinker_destroy(dmahp_mpool_shrinker);
out_destroy_cache:
	kmem_cache_destroy(dmahp_mpool_cache);
	return ret;
}

/**
 * dmahp_mpool_exit() - stop refills, free every pool, at unload
 */
void dmahp_mpool_exit(void)
{
	struct dmahp_mpool *p, *tmp;
	struct dmahp_mpool_out out;
	LIST_HEAD(dead);

	dmahp_mpool_out_init(&out);
	spin_lock(&dmahp_mpool_lock);
	dmahp_mpool_running = false;
	dmahp_mpool_max = 0;
	spin_unlock(&dmahp_mpool_lock);
	dmahp_shrinker_destroy(dmahp_mpool_shrinker);
	kthread_cancel_work_sync(&dmahp_mpool_work);
	kthread_cancel_delayed_work_sync(&dmahp_mpool_reap_work);
	kthread_destroy_worker(dmahp_mpool_worker);

	spin_lock(&dmahp_mpool_lock);
	list_for_each_entry(p, &dmahp_mpools, node)
		dmahp_mpool_kill(p, &out);
	list_splice_init(&dmahp_mpools, &dead);
	spin_unlock(&dmahp_mpool_lock);
	dmahp_mpool_give_back(&out);
	list_for_each_entry_safe(p, tmp, &dead, node)
		dmahp_mpool_free(p);
	list_lru_destroy(&dmahp_mpool_lru);
	kmem_cache_destroy(dmahp_mpool_cache);
}
