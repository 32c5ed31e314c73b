/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the dmaheap_helper module: the buffer every heap
 * kind fills, the counters, and fd delivery into the calling thread.
 */
#ifndef DMAHEAP_HELPER_INTERNAL_H
#define DMAHEAP_HELPER_INTERNAL_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/types.h>
#include <linux/kdev_t.h>

struct dma_buf;
struct task_struct;
struct dh_buffer;

/* One heap kind: fills buffer->sg_table with zeroed memory, frees it. */
struct dh_kind {
	const char *name;
	int (*allocate)(struct dh_buffer *buffer, struct task_struct *caller);
	void (*free)(struct dh_buffer *buffer);
};

struct dh_buffer {
	const struct dh_kind *kind;
	struct list_head attachments;
	struct mutex lock;		/* attachments, vmap_cnt, vaddr */
	size_t len;
	u64 id;
	struct sg_table sg_table;
	int vmap_cnt;
	void *vaddr;
};

struct dh_counters {
	atomic64_t live_buffers;
	atomic64_t live_bytes;
	atomic64_t fds_installed;
	atomic64_t deliveries_dropped;
	atomic64_t allocations;
	atomic64_t alloc_failures;
};

extern struct dh_counters dh_counters;
extern const struct dh_kind dh_system_kind;

struct dma_buf *dh_buffer_create(const struct dh_kind *kind, size_t len,
				 u32 fd_flags, struct task_struct *caller);

bool dh_compat_supported(void);
int dh_deliver_reserve(struct task_struct *task);
void dh_deliver_unreserve(struct task_struct *task);
int dh_deliver(struct task_struct *task, struct dma_buf *dmabuf, dev_t node,
	       bool compat, u32 cmd, u64 user_addr, u32 fd_flags);

#endif /* DMAHEAP_HELPER_INTERNAL_H */
