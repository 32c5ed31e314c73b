// SPDX-License-Identifier: GPL-2.0
/*
 * Ready buffers: one-page buffers of the system kind, allocated, zeroed and
 * exported ahead by a low-priority worker, so that a 4 KiB allocation only
 * has to publish one and queue its delivery. At 4 KiB the export, not the
 * clearing, is the cost: run right after the daemon's worker was woken, it
 * takes longer than the kernel heap's whole allocation (docs/performance.md).
 *
 * Part of the pool: there only while the pool's size is not 0, at most
 * ready_max (32 unless set) and a sixteenth of the pool, given back under
 * memory pressure. Made only while the daemon has the helper open, with its
 * credentials, and all dropped when it closes it: they hold references on
 * this module. A ready buffer is not live until taken: no id, not in
 * live_buffers nor in the debugfs list (docs/pool.md).
 */
#include <linux/cred.h>
#include <linux/dma-buf.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>

#include "compat.h"
#include "dmaheap_helper.h"

#define READY_LIMIT	1024

/* No refill for this long after the shrinker took buffers back. */
#define READY_BACKOFF	HZ

static DEFINE_SPINLOCK(dmahp_ready_lock);	/* everything below */
static LIST_HEAD(dmahp_ready_list);	/* dmahp_buffer.node, oldest first */
static unsigned long dmahp_ready_count;
/* From the pool's size and ready_max. */
static unsigned long dmahp_ready_target;
static unsigned long dmahp_ready_max = 32;
static u64 dmahp_ready_pool_max;
/* The daemon's, while it has the helper open; NULL otherwise. */
static const struct cred *dmahp_ready_cred;
static unsigned long dmahp_ready_shrunk_at;	/* jiffies */

/* The refill's own thread (dmahp_refill_worker()). */
static struct kthread_worker *dmahp_ready_worker;
static void dmahp_ready_refill(struct kthread_work *work);
static DEFINE_KTHREAD_WORK(dmahp_ready_work, dmahp_ready_refill);

/* Under dmahp_ready_lock, once dmahp_ready_wanted(). */
static void dmahp_ready_kick_locked(void)
{
	kthread_queue_work(dmahp_ready_worker, &dmahp_ready_work);
}

/* Under dmahp_ready_lock: the refill has something to do. */
static bool dmahp_ready_wanted(void)
{
	return dmahp_ready_cred && dmahp_ready_count < dmahp_ready_target;
}

static void dmahp_ready_set_count(unsigned long count)
{
	WRITE_ONCE(dmahp_ready_count, count);
	atomic64_set(&dmahp_counters.ready_buffers, count);
}

/* Detach all but @keep buffers to @out. Under dmahp_ready_lock. */
static unsigned long dmahp_ready_detach(unsigned long keep,
					struct list_head *out)
{
	unsigned long n = 0;

	while (dmahp_ready_count - n > keep) {
		list_move(dmahp_ready_list.next, out);
		n++;
	}
	dmahp_ready_set_count(dmahp_ready_count - n);
	return n;
}

/* Unpublished: their release only frees them (buffer.c). */
static void dmahp_ready_put_list(struct list_head *list)
{
	struct dmahp_buffer *buffer, *tmp;

	list_for_each_entry_safe(buffer, tmp, list, node) {
		list_del_init(&buffer->node);
		dma_buf_put(buffer->dmabuf);
	}
}

/**
 * dmahp_ready_take() - a ready buffer, for a caller
 *
 * Kicks the refill once half of them are gone: refilling after every take
 * would cost one more wake-up per allocation.
 *
 * Return: an exported one-page buffer, zeroed, read-write, not published;
 * or NULL when there is none.
 */
struct dma_buf *dmahp_ready_take(void)
{
	struct dmahp_buffer *buffer = NULL;

	if (!READ_ONCE(dmahp_ready_target))
		return NULL;

	spin_lock(&dmahp_ready_lock);
	if (dmahp_ready_count) {
		buffer = list_first_entry(&dmahp_ready_list,
					  struct dmahp_buffer,
					  node);
		list_del_init(&buffer->node);
		dmahp_ready_set_count(dmahp_ready_count - 1);
	}
	if (dmahp_ready_wanted() && dmahp_ready_count <= dmahp_ready_target / 2)
		dmahp_ready_kick_locked();
	spin_unlock(&dmahp_ready_lock);

	if (!buffer)
		return NULL;
	atomic64_inc(&dmahp_counters.ready_hits);
	return buffer->dmabuf;
}

/*
 * The worker: exports buffers until there are dmahp_ready_target. The files
 * get the daemon's credentials, as those it exports on a caller's request.
 * Their pages are taken without reclaim, as the pool's. It stops at the
 * first failure, and for a second after the shrinker ran; the next take
 * kicks it again.
 */
static void dmahp_ready_refill(struct kthread_work *work)
{
	const struct cred *cred, *old;
	struct dmahp_buffer *buffer;
	struct dma_buf *dmabuf;
	bool want;

	for (;;) {
		spin_lock(&dmahp_ready_lock);
		want = dmahp_ready_wanted() &&
		       time_after(jiffies,
				  dmahp_ready_shrunk_at + READY_BACKOFF);
		/* dmahp_ready_close() waits for this work before putting it. */
		cred = dmahp_ready_cred;
		spin_unlock(&dmahp_ready_lock);
		if (!want)
			return;

		old = override_creds(cred);
		dmabuf = dmahp_fault("ready_refill") ? ERR_PTR(-ENOMEM) :
			 dmahp_buffer_export(&dmahp_system_kind, NULL,
					     PAGE_SIZE, O_RDWR, current, NULL,
					     DMAHP_BUF_BACKGROUND);
		revert_creds(old);
		if (IS_ERR(dmabuf))
			return;
		buffer = dmabuf->priv;

		spin_lock(&dmahp_ready_lock);
		want = dmahp_ready_wanted();
		if (want) {
			list_add_tail(&buffer->node, &dmahp_ready_list);
			dmahp_ready_set_count(dmahp_ready_count + 1);
		}
		spin_unlock(&dmahp_ready_lock);
		if (!want) {
			dma_buf_put(dmabuf);
			return;
		}
		cond_resched();
	}
}

/* A new target: the excess is released at once. Process context. */
static void dmahp_ready_retarget(void)
{
	LIST_HEAD(excess);

	spin_lock(&dmahp_ready_lock);
	WRITE_ONCE(dmahp_ready_target,
		   min_t(u64, dmahp_ready_max,
			 dmahp_ready_pool_max >> PAGE_SHIFT >> 4));
	dmahp_ready_detach(dmahp_ready_target, &excess);
	if (dmahp_ready_wanted())
		dmahp_ready_kick_locked();
	spin_unlock(&dmahp_ready_lock);
	dmahp_ready_put_list(&excess);
}

/**
 * dmahp_ready_resize() - pool_max changed: as many ready buffers as it allows
 * @pool_max: the pool's new limit in bytes; 0 drops them all
 */
void dmahp_ready_resize(u64 pool_max)
{
	WRITE_ONCE(dmahp_ready_pool_max, pool_max);
	dmahp_ready_retarget();
}

/**
 * dmahp_ready_limit() - ready_max: at most this many ready buffers a pool
 *
 * Also the bound of those kept per memory cgroup (mpool.c).
 *
 * Return: the module parameter's value.
 */
unsigned long dmahp_ready_limit(void)
{
	return READ_ONCE(dmahp_ready_max);
}

static int dmahp_ready_max_set(const char *val, const struct kernel_param *kp)
{
	unsigned long max;
	int ret;

	ret = kstrtoul(val, 0, &max);
	if (ret)
		return ret;
	if (max > READY_LIMIT)
		return -EINVAL;
	WRITE_ONCE(dmahp_ready_max, max);
	dmahp_ready_retarget();
	dmahp_mpool_ready_retarget();
	return 0;
}

static const struct kernel_param_ops dmahp_ready_max_ops = {
	.set = dmahp_ready_max_set,
	.get = param_get_ulong,
};

module_param_cb(ready_max, &dmahp_ready_max_ops, &dmahp_ready_max, 0644);
MODULE_PARM_DESC(ready_max,
		 "one-page buffers exported ahead while the pool is on (at most 1024 and a sixteenth of the pool)");

/**
 * dmahp_ready_open() - the daemon opened the helper: make ready buffers
 * @cred:	the opener's credentials, which their files get
 *
 * Context: process context; the helper has one opener at a time.
 */
void dmahp_ready_open(const struct cred *cred)
{
	spin_lock(&dmahp_ready_lock);
	/* The helper has one opener at a time (dmahp_open()). */
	WARN_ON_ONCE(dmahp_ready_cred);
	dmahp_ready_cred = get_cred(cred);
	if (dmahp_ready_wanted())
		dmahp_ready_kick_locked();
	spin_unlock(&dmahp_ready_lock);
}

/**
 * dmahp_ready_close() - the daemon closed the helper: drop them all
 *
 * No more refills, and every ready buffer is released.
 *
 * Context: process context; waits for a running refill.
 */
void dmahp_ready_close(void)
{
	const struct cred *cred;
	LIST_HEAD(all);

	spin_lock(&dmahp_ready_lock);
	cred = dmahp_ready_cred;
	dmahp_ready_cred = NULL;
	spin_unlock(&dmahp_ready_lock);
	kthread_cancel_work_sync(&dmahp_ready_work);

	spin_lock(&dmahp_ready_lock);
	dmahp_ready_detach(0, &all);
	spin_unlock(&dmahp_ready_lock);
	dmahp_ready_put_list(&all);
	put_cred(cred);
}

static unsigned long dmahp_ready_shrink_count(struct shrinker *shrinker,
					      struct shrink_control *sc)
{
	unsigned long count = READ_ONCE(dmahp_ready_count);

	return count ? count : SHRINK_EMPTY;
}

/*
 * The last reference to a ready buffer's file is dropped here, so its page
 * is freed when the file is (fput(): on the reclaiming task's return to
 * user mode, or from a worker right after). Counted freed now: at most
 * ready_max pages are late.
 */
static unsigned long dmahp_ready_shrink_scan(struct shrinker *shrinker,
					     struct shrink_control *sc)
{
	unsigned long freed, keep;
	LIST_HEAD(list);

	spin_lock(&dmahp_ready_lock);
	dmahp_ready_shrunk_at = jiffies;
	keep = dmahp_ready_count - min(dmahp_ready_count, sc->nr_to_scan);
	freed = dmahp_ready_detach(keep, &list);
	spin_unlock(&dmahp_ready_lock);
	dmahp_ready_put_list(&list);
	return freed ? freed : SHRINK_STOP;
}

static struct shrinker *dmahp_ready_shrinker;

/**
 * dmahp_ready_init() - start the ready buffers' worker and shrinker, at load
 *
 * Return: 0, or a negative errno with nothing left to undo.
 */
int dmahp_ready_init(void)
{
	dmahp_ready_shrunk_at = jiffies - READY_BACKOFF;
	dmahp_ready_worker = dmahp_refill_worker("dmaheap-ready", "init_ready");
	if (IS_ERR(dmahp_ready_worker))
		return PTR_ERR(dmahp_ready_worker);

	dmahp_ready_shrinker = dmahp_fault("init_ready_shrinker") ? NULL :
			    dmahp_shrinker_create("dmaheap-helper-ready",
						  dmahp_ready_shrink_count,
						  dmahp_ready_shrink_scan, 0,
						  DEFAULT_SEEKS);
	if (!dmahp_ready_shrinker) {
		kthread_destroy_worker(dmahp_ready_worker);
		return -ENOMEM;
	}
	return 0;
}

/**
 * dmahp_ready_exit() - stop the worker and shrinker, at unload
 *
 * Context: after the misc device is gone: no opener, so no buffer and no
 * work.
 */
void dmahp_ready_exit(void)
{
	dmahp_shrinker_destroy(dmahp_ready_shrinker);
	kthread_destroy_worker(dmahp_ready_worker);
}
