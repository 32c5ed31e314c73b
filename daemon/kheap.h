/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own heap nodes under KernelHeaps=move: telling them from
 * other nodes, moving them to DEV/dma_heap-kernel/NAME while dmaheapd serves
 * NAME, and putting them back (docs/kernel-heaps.md). Only
 * kheap_restore_all(), the --restore-kernel-nodes command, logs.
 */
#ifndef DMAHEAPD_KHEAP_H
#define DMAHEAPD_KHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* Where the kernel's nodes wait, below the devtmpfs mount. */
#define KHEAP_DIR		"dma_heap-kernel"
/* The kernel's heaps: DIR/NAME/dev holds "MAJOR:MINOR". */
#define KHEAP_SYSFS_DIR		"/sys/class/dma_heap"

/* What is at a path. */
enum kheap_node {
	KHEAP_NODE_NONE,	/* nothing */
	KHEAP_NODE_KERNEL,	/* the kernel's node of the heap of that name */
	KHEAP_NODE_OTHER,	/* anything else (another CUSE node, a file) */
};

/* The two places a heap name's kernel node can be. */
struct kheap_seen {
	enum kheap_node node;	/* DEV/dma_heap/NAME */
	enum kheap_node aside;	/* DEV/dma_heap-kernel/NAME */
};

/* What serving a name takes, from kheap_decide(). */
enum kheap_action {
	KHEAP_SERVE,		/* nothing of the kernel's in the way */
	KHEAP_MOVE,		/* move the kernel's node aside, then serve */
	KHEAP_REUSE,		/* its node is aside already (a killed daemon) */
	KHEAP_REFUSE_OTHER,	/* another node has the name */
	KHEAP_REFUSE_KERNEL,	/* keep: the kernel serves the name */
	KHEAP_REFUSE_ASIDE,	/* keep: its node is aside, put it back first */
	KHEAP_REFUSE_BLOCKED,	/* move: something else is at the aside path */
};

/* Pure: what to do for a name seen as @s under @mode. */
enum kheap_action kheap_decide(enum kernel_heaps mode,
			       const struct kheap_seen *s);
/* Pure: does --restore-kernel-nodes put the node of @s back? */
bool kheap_restorable(const struct kheap_seen *s);
/* Pure: "MAJOR:MINOR\n" as sysfs writes it; -EINVAL if it is not. */
int kheap_parse_dev(const char *s, dev_t *ret);

/*
 * What the node at @path is, for the heap @name whose kernel device is read
 * from @sysfs_dir/@name/dev (no such heap: never KHEAP_NODE_KERNEL).
 */
enum kheap_node kheap_node_at(const char *path, const char *sysfs_dir,
			      const char *name);
/* Both places of @name below @dev_dir. */
void kheap_look(const char *dev_dir, const char *sysfs_dir, const char *name,
		struct kheap_seen *ret);

/* "@dev_dir/dma_heap/@name" and "@dev_dir/dma_heap-kernel/@name". */
void kheap_paths(const char *dev_dir, const char *name, char *node,
		 char *aside, size_t size);
/*
 * rename(2) the kernel's node of @name into DEV/dma_heap-kernel/, which is
 * created (0755) if needed. 0 or a negative errno.
 */
int kheap_move(const char *dev_dir, const char *name);
/*
 * rename(2) DEV/dma_heap-kernel/@name back over DEV/dma_heap/@name, then
 * remove DEV/dma_heap-kernel/ if it is empty. 0 or a negative errno.
 */
int kheap_put_back(const char *dev_dir, const char *name);
/*
 * --restore-kernel-nodes: each kernel node in DEV/dma_heap-kernel/ back to
 * DEV/dma_heap/, over anything there that is not the kernel's node (the
 * unit's ExecStopPost=, after a dmaheapd was killed). Logs each; 0, or the
 * first error.
 */
int kheap_restore_all(const char *dev_dir);

#endif
