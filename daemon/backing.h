/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helper's setup: the module opened and checked, its pool sized, and
 * for each heap the helper kind that serves it on this kernel, with its
 * region claimed. Every failure is logged with the fix.
 */
#ifndef DMAHEAPD_BACKING_H
#define DMAHEAPD_BACKING_H

#include <stdint.h>

#include "config.h"
#include "dmaheap-helper.h"

/* What serving a heap takes on this kernel: its helper kind and limits. */
struct backing {
	uint32_t kind;		/* enum dmaheap_helper_kind */
	uint32_t region;	/* kind REGION: the helper's region id */
	uint64_t max_len;	/* largest buffer the kind gives; 0: RAM */
};

/*
 * backing_open_helper() - open c->helper_path and check the module
 *
 * Return: the helper's fd (O_NONBLOCK: its release events are read when
 * the ledger is consulted, never waited for) and its info in @ret_info, or
 * a negative errno, logged with what to do.
 */
int backing_open_helper(const struct config *c,
			struct dmaheap_helper_info *ret_info);

/*
 * backing_pool() - size the helper's pools of zeroed pages to PoolSize= or
 * its default: with ChargeClients=yes the pools kept per memory cgroup
 * (DMAHEAP_HELPER_POOL_PER_MEMCG), all together; with ChargeClients=no the
 * one uncharged pool. A helper without pools is only worth a warning.
 */
int backing_pool(const struct config *c, int helper_fd);

/*
 * backing_pool_check() - PoolSize= against the helper's bound, half of
 * RAM, without asking the helper: a reload checks it before it claims a
 * region, which cannot be given back. -EINVAL, logged, above it.
 */
int backing_pool_check(const struct config *c);

/*
 * backing_resolve() - the backing of every heap of @c into @ret (one per
 * heap, in order), regions claimed: claiming a region the helper holds
 * already is a no-op, so a reload resolves every heap again.
 */
int backing_resolve(const struct config *c,
		    const struct dmaheap_helper_info *info, int helper_fd,
		    struct backing *ret);

#endif
