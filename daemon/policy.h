/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy decisions of a heap (docs/policy.md): who may open its nodes
 * and whether one more buffer stays within its limits. Pure: a request and
 * the current usage in, a verdict out.
 */
#ifndef DMAHEAPD_POLICY_H
#define DMAHEAPD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

/* What is live on a heap now, in bytes, for the caller of an allocation. */
struct policy_usage {
	uint64_t heap;		/* the whole heap */
	uint64_t user;		/* the caller's uid on this heap */
	uint64_t process;	/* the caller's process on this heap */
};

/* The heap has AllowUsers= or AllowGroups=. */
bool policy_has_access_rules(const struct heap_config *h);
/* The heap has one of the Max*= limits. */
bool policy_has_limits(const struct heap_config *h);

/*
 * May a process with @uid, primary group @gid and supplementary @groups
 * open @h's nodes? Without rules, anybody; root always; else the uid must
 * be in AllowUsers= or one of the groups in AllowGroups=.
 */
bool policy_may_open(const struct heap_config *h, uid_t uid, gid_t gid,
		     const gid_t *groups, size_t n_groups);

/*
 * The first limit of @h that a buffer of @len bytes would go past, given
 * usage @u; _LIMIT_MAX if it fits them all.
 */
enum heap_limit policy_check_alloc(const struct heap_config *h, uint64_t len,
				   const struct policy_usage *u);

/*
 * Would @len more bytes take a process holding @process bytes of @h past
 * MaxBytesPerProcess=? Asked once the helper named the process (its tgid
 * and start time); before, policy_check_alloc() is given 0 for it.
 */
bool policy_process_over(const struct heap_config *h, uint64_t len,
			 uint64_t process);

#endif
