/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The requests of a heap node: open, checked against the heap's access
 * rules, and DMA_HEAP_IOCTL_ALLOC, from the decoded request to the helper.
 */
#ifndef DMAHEAPD_HEAP_H
#define DMAHEAPD_HEAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "node.h"
#include "request.h"

/* Who asked, as FUSE reports it (ids in the daemon's namespaces). */
struct caller {
	pid_t tid;
	uid_t uid;
	gid_t gid;
	const gid_t *groups;	/* supplementary groups, at open only */
	size_t n_groups;
	/*
	 * At open, when @groups lacks some: why (a negative errno), and how
	 * many the caller has if known (more than @n_groups).
	 */
	int groups_error;
	size_t n_groups_all;
};

/*
 * heap_open() - may @caller open this node? 0, or -EACCES (logged) when
 * the heap's AllowUsers=/AllowGroups= leave the caller out; the record
 * says so when some of its groups could not be read (@groups_error).
 */
int heap_open(const struct node *h, const struct caller *caller);

/*
 * heap_read_write() - a read() or write() on the node (@what says which):
 * -EINVAL, as the kernel's nodes, which have neither; logged as a refused
 * request is, rate-limited with them.
 */
int heap_read_write(const struct node *h, const struct caller *caller,
		    size_t size, const char *what);

/* One ioctl on a heap node, as CUSE hands it over. */
struct heap_ioctl {
	unsigned int cmd;
	uint64_t user_addr;
	bool compat;
	const void *in;
	size_t in_size;
	size_t out_size;
};

/*
 * heap_drain_releases() - take the helper's release events into the ledger
 *
 * Called where the ledger is consulted (before each reservation on a heap
 * with limits, before a dmaheapctl report) and after every 64th reply
 * otherwise, rather than on every release: the daemon wakes for no
 * release, and the ledger is exact where it matters.
 */
void heap_drain_releases(int helper_fd, struct ledger *l);

/*
 * A buffer the helper deferred (DMAHEAP_HELPER_ALLOC_DEFER): its policy
 * checked and the buffer made, or refused, once the reply is out, by
 * heap_replied().
 */
struct heap_fill {
	bool pending;
	uint64_t id;		/* the helper's */
	uint64_t cookie;	/* the ledger's */
	uint64_t len;
	long tgid;		/* the caller's process, */
	uint64_t start;		/* its start time (the ledger's key), */
	char comm[16];		/* and name, for the log */
};

/**
 * heap_alloc() - serve DMA_HEAP_IOCTL_ALLOC for @caller
 *
 * Validates like the kernel, checks the policy, asks the helper for the
 * buffer and queues the fd delivery into the caller; the reply must follow
 * this call, and then heap_replied() with @ret_fill (or, should the reply
 * be an error after all, heap_reply_failed()). Logs every failure. A
 * buffer the helper deferred (@ret_fill->pending) has its policy checked
 * by heap_replied(): its reply echoes nothing, as the helper's delivery
 * writes the fd, or the refusal's errno is the ioctl's.
 *
 * Return: 0 and the decoded request in @ret_req (the reply echoes it,
 * unless deferred), or a negative errno for the caller.
 */
int heap_alloc(struct node *h, const struct caller *caller,
	       const struct heap_ioctl *io, struct dh_alloc_request *ret_req,
	       struct heap_fill *ret_fill);

/* The reply to a successful heap_alloc() is an error: @fill forgotten. */
void heap_reply_failed(struct node *h, struct heap_fill *fill);

/*
 * heap_replied() - the reply to a heap_alloc() is sent, success or error
 *
 * A buffer the helper deferred has its policy checked now, while the
 * caller wakes up, and is made, or refused; its delivery waits for it (a
 * refusal or failure reaches the caller as its ioctl's errno, and is
 * logged here). Then what can wait until the caller has its answer:
 * the release events of a heap without limits, every 64 replies (heap.c).
 * Errors count too: a buffer the helper dropped after allocating it (its
 * caller exiting) has its release event queued all the same.
 */
void heap_replied(struct node *h, const struct caller *caller,
		  const struct heap_fill *fill);

/*
 * For the unit tests: new windows of failure lines, none used yet; or the
 * windows' time moved on by their length (their end).
 */
void heap_log_window_reset(void);
void heap_log_window_expire(void);

#endif
