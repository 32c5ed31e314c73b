/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the dmaheap_helper module, by the file that
 * provides them: the buffer every heap kind fills, the kinds, the counters,
 * the test hooks, the pool and ready buffers, release events and fd
 * delivery into the calling thread. Each is documented where it is defined.
 */
#ifndef DMAHEAP_HELPER_INTERNAL_H
#define DMAHEAP_HELPER_INTERNAL_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/kdev_t.h>
#include <linux/dma-mapping.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/sched/signal.h>

#include "dmaheap-helper.h"

struct attribute_group;
struct dma_buf;
struct file;
struct poll_table_struct;
struct task_struct;
struct dmahp_buffer;
struct dmahp_ctx;
struct dmahp_event;
struct mem_cgroup;

/*
 * One heap kind: fills buffer->sg_table with zeroed memory, frees it. A kind
 * the kernel cannot serve is not built (Kbuild) and its slot stays NULL.
 * A chargeable kind allocates from the page allocator with dmahp_gfp(), so
 * that a charged buffer's pages go to the caller's memory cgroup; one that
 * gets some blocks elsewhere (cma.c: the CMA area) clears buffer->charged
 * for those.
 */
struct dmahp_kind {
	const char *name;
	int (*allocate)(struct dmahp_buffer *buffer,
			struct task_struct *caller);
	void (*free)(struct dmahp_buffer *buffer);
	/* NULL, or false where the kind must not be offered on this system. */
	bool (*usable)(void);
	bool chargeable;
};

struct dmahp_buffer {
	const struct dmahp_kind *kind;
	struct list_head attachments;
	struct mutex lock;		/* attachments, vmap_cnt, vaddr */
	size_t len;
	u64 id;
	struct sg_table sg_table;
	struct dma_buf *dmabuf;		/* the export of this buffer */
	/* In the live list, for debugfs; before that, in the ready list. */
	struct list_head node;
	unsigned long ino;		/* of the dma-buf file */
	void *pool;			/* REGION: the region; CMA: the area */
	dma_addr_t dma_addr;		/* CMA: dma_alloc_pages()'s handle */
	int vmap_cnt;
	void *vaddr;
	struct dmahp_event *event;	/* queued on release, or NULL */
	bool charged;			/* to the caller's memory cgroup */
	/* Charged, while allocating: the caller's, made active (buffer.c). */
	struct mem_cgroup *memcg;
	bool background;		/* made ahead: no reclaim for it */
	bool live;			/* published: counted, listed */
};

/**
 * dmahp_gfp() - the page allocator's flags for @buffer
 * @buffer:	the buffer a kind allocates for
 * @gfp:	the kind's flags
 *
 * A charged buffer's pages are accounted, to the memory cgroup
 * dmahp_buffer_export() made active; one made ahead in the background takes
 * only memory that is free anyway, as the pool's refills do.
 *
 * Return: @gfp, adjusted.
 */
static inline gfp_t dmahp_gfp(const struct dmahp_buffer *buffer, gfp_t gfp)
{
	if (buffer->background)
		gfp = (gfp & ~(__GFP_RECLAIM | __GFP_RETRY_MAYFAIL)) |
		      __GFP_NORETRY | __GFP_NOWARN;
	return buffer->charged ? gfp | __GFP_ACCOUNT : gfp;
}

/**
 * dmahp_meta_gfp() - flags for a buffer's own small allocations
 * @background:	the buffer is made ahead (DMAHP_BUF_BACKGROUND)
 *
 * Its struct and table: never charged. One made ahead, that nobody asked
 * for yet, never wakes the OOM killer; its page came without reclaim, so
 * memory is not so short that these would need one.
 *
 * Return: GFP_KERNEL, or with __GFP_NORETRY | __GFP_NOWARN.
 */
static inline gfp_t dmahp_meta_gfp(bool background)
{
	return background ? GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN :
			    GFP_KERNEL;
}

/*
 * The counters (stats.c): every file updates them, sysfs alone shows them,
 * through the misc device's dmahp_stats_groups.
 */
struct dmahp_counters {
	atomic64_t live_buffers;
	atomic64_t live_bytes;
	atomic64_t fds_installed;
	atomic64_t deliveries_dropped;
	atomic64_t allocations;
	atomic64_t alloc_failures;
	atomic64_t pool_bytes;
	atomic64_t pool_hits;
	atomic64_t pool_misses;
	atomic64_t ready_buffers;
	atomic64_t ready_hits;
	atomic64_t memcg_pools;
	atomic64_t memcg_pool_bytes;
	atomic64_t memcg_pool_hits;
	atomic64_t memcg_pool_misses;
};

extern struct dmahp_counters dmahp_counters;
extern const struct attribute_group *dmahp_stats_groups[];

/* The device the CMA kind allocates on with the DMA API (main.c). */
extern struct device *dmahp_dev;

/* The kinds (system.c, contig.c, cma.c, region.c); main.c's table. */
extern const struct dmahp_kind dmahp_system_kind;
extern const struct dmahp_kind dmahp_contig_kind;
size_t dmahp_contig_max(void);

#if IS_ENABLED(CONFIG_DMA_CMA)
extern const struct dmahp_kind dmahp_cma_kind;
#define DMAHP_CMA_KIND	(&dmahp_cma_kind)
#else
#define DMAHP_CMA_KIND	NULL
#endif

#if IS_ENABLED(CONFIG_ZONE_DEVICE) && defined(DMAHP_HAVE_E820_RAW_ANY)
extern const struct dmahp_kind dmahp_region_kind;
#define DMAHP_REGION_KIND	(&dmahp_region_kind)
void *dmahp_region_get(u32 id);
long dmahp_ioctl_region_add(void __user *uarg);
void dmahp_regions_exit(void);
#else
#define DMAHP_REGION_KIND	NULL
static inline void *dmahp_region_get(u32 id) { return NULL; }
static inline long dmahp_ioctl_region_add(void __user *uarg)
{
	return -EOPNOTSUPP;
}

static inline void dmahp_regions_exit(void) { }
#endif

/**
 * dmahp_killed() - should an allocation for @caller stop?
 * @caller:	the thread the buffer is for
 *
 * Return: true when @caller or the daemon (current) is being killed.
 */
static inline bool dmahp_killed(struct task_struct *caller)
{
	return fatal_signal_pending(caller) || fatal_signal_pending(current);
}

/*
 * Test hooks (hooks.c, built with DMAHEAP_TEST_HOOKS=y only). Every failure
 * path of the module that a test cannot reach for real asks dmahp_fault()
 * (docs/fault-injection.md). Without the hooks it is false, and the
 * compiler drops the test.
 */
#ifdef DMAHP_TEST_HOOKS
bool dmahp_fault(const char *site);
struct seq_file;
int dmahp_buffers_show(struct seq_file *m, void *unused);
void dmahp_hooks_init(void);
void dmahp_hooks_exit(void);
void dmahp_hook_pass_failed(void);
void dmahp_hook_await_failed_pass(void);
#else
static inline bool dmahp_fault(const char *site)
{
	return false;
}

static inline void dmahp_hook_pass_failed(void)
{
}

static inline void dmahp_hook_await_failed_pass(void)
{
}

static inline void dmahp_hooks_init(void)
{
}

static inline void dmahp_hooks_exit(void)
{
}
#endif

/* The dma-buf every kind exports (buffer.c). */
#define DMAHP_BUF_CHARGE	BIT(0)
#define DMAHP_BUF_BACKGROUND	BIT(1)
struct dma_buf *dmahp_buffer_export(const struct dmahp_kind *kind, void *pool,
				    size_t len, u32 fd_flags,
				    struct task_struct *caller,
				    struct mem_cgroup *memcg,
				    unsigned int flags);
u64 dmahp_buffer_new_id(void);
void dmahp_buffer_publish(struct dma_buf *dmabuf, u64 id,
			  struct dmahp_event *event, const char *name);
int dmahp_sg_set_contiguous(struct sg_table *table, struct page *page,
			    size_t len);
void dmahp_buffer_free_memory(struct dmahp_buffer *buffer);

/* Heap names as exporter names (name.c). */
const char *dmahp_name_get(const char *name);
void dmahp_names_exit(void);

/* The pool of zeroed blocks of the system kind (pool.c). */
struct page *dmahp_pool_take(unsigned int order);
long dmahp_ioctl_pool(void __user *uarg);
struct kthread_worker;
struct kthread_worker *dmahp_refill_worker(const char *name, const char *site);
void dmahp_pool_close(void);
int dmahp_pool_init(void);
void dmahp_pool_exit(void);

/* The pools kept per memory cgroup for charged buffers (mpool.c). */
struct page *dmahp_mpool_take(struct mem_cgroup *memcg, unsigned int order,
			      bool again);
struct dma_buf *dmahp_mpool_ready_take(struct task_struct *task);
unsigned long dmahp_mpool_given_back(void);
bool dmahp_mpool_drop(struct mem_cgroup *memcg, unsigned long since);
void dmahp_mpool_make_room(struct mem_cgroup *memcg, size_t len);
void dmahp_mpool_set_max(u64 bytes);
void dmahp_mpool_ready_retarget(void);
void dmahp_mpool_open(const struct cred *cred);
void dmahp_mpool_close(void);
long dmahp_ioctl_memcg_pools(void __user *uarg);
int dmahp_mpool_init(void);
void dmahp_mpool_exit(void);

/*
 * Ready buffers (ready.c): one-page buffers of the system kind exported
 * ahead while the daemon has the helper open, part of the pool.
 */
struct cred;
struct dma_buf *dmahp_ready_take(void);
void dmahp_ready_resize(u64 pool_max);
unsigned long dmahp_ready_limit(void);
void dmahp_ready_open(const struct cred *cred);
void dmahp_ready_close(void);
int dmahp_ready_init(void);
void dmahp_ready_exit(void);

/*
 * Release events (event.c): each open file of the helper has a context
 * where the events of the buffers it allocated with a cookie are queued.
 */
struct dmahp_ctx *dmahp_ctx_create(void);
void dmahp_ctx_get(struct dmahp_ctx *ctx);
void dmahp_ctx_put(struct dmahp_ctx *ctx);
void dmahp_ctx_close(struct dmahp_ctx *ctx);
ssize_t dmahp_ctx_read(struct dmahp_ctx *ctx, char __user *buf, size_t count,
		       bool nonblock);
__poll_t dmahp_ctx_poll(struct dmahp_ctx *ctx, struct file *file,
			struct poll_table_struct *wait);
struct dmahp_event *dmahp_event_create(struct dmahp_ctx *ctx, u64 cookie);
void dmahp_event_free(struct dmahp_event *event);
void dmahp_event_post(struct dmahp_event *event, u64 id, u64 len);

/* Delivery of the fd into the caller (deliver.c). */
bool dmahp_compat_supported(void);
struct dmahp_delivery;
struct dmahp_delivery *dmahp_deliver_reserve(struct task_struct *task);
void dmahp_deliver_unreserve(struct dmahp_delivery *d);
int dmahp_deliver(struct dmahp_delivery *d, struct task_struct *task,
		  struct dma_buf *dmabuf, dev_t node, bool compat, u32 cmd,
		  u64 user_addr, u32 fd_flags);

/*
 * A deferred delivery (DMAHEAP_HELPER_ALLOC_DEFER): what FILL makes the
 * buffer of, and for whom.
 */
struct dmahp_deferred {
	struct dmaheap_helper_alloc req;	/* as ALLOC got it */
	const struct dmahp_kind *kind;
	struct task_struct *caller;		/* held */
	struct dmahp_event *event;		/* or NULL; the buffer takes it */
	const char *name;			/* exporter name, or NULL */
	struct dmahp_ctx *ctx;			/* the file that may FILL */
	u64 id;
};

int dmahp_deliver_defer(struct dmahp_delivery *d,
			const struct dmahp_deferred *def);
struct dmahp_deferred *dmahp_deliver_fill_begin(struct dmahp_ctx *ctx,
						pid_t tid, u64 id);
int dmahp_deliver_fill_end(struct dmahp_deferred *def, struct dma_buf *dmabuf);
void dmahp_deliver_close(struct dmahp_ctx *ctx);

#endif /* DMAHEAP_HELPER_INTERNAL_H */
