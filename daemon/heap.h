/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A served heap: its configuration, its CUSE session, and the allocation
 * path from a decoded request to the helper.
 */
#ifndef DMAHEAPD_HEAP_H
#define DMAHEAPD_HEAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "request.h"

struct fuse_session;
struct ledger;

struct heap {
	struct heap_config cfg;
	const char *node_name;	/* cfg.name or one of its aliases */
	char *node_path;	/* /dev/dma_heap/NODE_NAME */
	int helper_fd;
	uint32_t helper_kind;	/* enum dmaheap_helper_kind serving cfg.kind */
	uint32_t region_id;	/* kind REGION: the helper's region */
	uint64_t max_len;	/* largest buffer the kind can give; 0: RAM */
	uint64_t page_size;
	enum fault fault;
	struct ledger *ledger;	/* shared by every node */
	bool charge;		/* ChargeClients=: charge the caller's memcg */
	/* KernelHeaps=move: the dev dir whose dma_heap-kernel/ holds the
	 * kernel's node of this name, to put back when the node goes; or NULL */
	const char *kernel_aside;
	/* CUSE side, owned by cuse.c */
	struct fuse_session *se;
	void *buf_mem;		/* the main thread's request buffer */
	bool ready;		/* CUSE initialised, node created */
	int node_errno;		/* stat() of the node once ready */
	dev_t node;		/* its device number */
};

/* Who asked, as FUSE reports it (ids in the daemon's namespaces). */
struct caller {
	pid_t tid;
	uid_t uid;
	gid_t gid;
	const gid_t *groups;	/* supplementary groups, at open only */
	size_t n_groups;
};

/*
 * heap_open() - may @caller open this node? 0, or -EACCES (logged) when
 * the heap's AllowUsers=/AllowGroups= leave the caller out.
 */
int heap_open(const struct heap *h, const struct caller *caller);

/* One ioctl on a heap node, as CUSE hands it over. */
struct heap_ioctl {
	unsigned int cmd;
	uint64_t user_addr;
	bool compat;
	const void *in;
	size_t in_size;
	size_t out_size;
};

/**
 * heap_alloc() - serve DMA_HEAP_IOCTL_ALLOC for @caller
 *
 * Validates like the kernel, asks the helper for the buffer and queues the
 * fd delivery into the caller; the reply must follow this call. Logs every
 * failure.
 *
 * Return: 0 and the decoded request in @ret_req (the reply echoes it), or a
 * negative errno for the caller.
 */
/*
 * heap_drain_releases() - take the helper's release events into the ledger
 *
 * Called where the ledger is consulted (before each reservation, before a
 * dmaheapctl report) rather than on every release: the daemon wakes for no
 * release, and the ledger is exact where it matters.
 */
void heap_drain_releases(int helper_fd, struct ledger *l);

int heap_alloc(struct heap *h, const struct caller *caller,
	       const struct heap_ioctl *io, struct dh_alloc_request *ret_req);

#endif
