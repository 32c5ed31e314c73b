// SPDX-License-Identifier: GPL-2.0
/*
 * Access rules and limits of a heap: pure functions over the configuration,
 * the caller and what is live, unit tested in tests/unit/test-policy.c.
 */
#include "policy.h"

bool policy_has_access_rules(const struct heap_config *h)
{
	return h->n_allow_users || h->n_allow_groups;
}

bool policy_has_limits(const struct heap_config *h)
{
	size_t i;

	for (i = 0; i < _LIMIT_MAX; i++)
		if (h->limits[i] != DH_NO_LIMIT)
			return true;
	return false;
}

static bool id_listed(const struct config_id *ids, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i].resolved && ids[i].id == id)
			return true;
	return false;
}

bool policy_may_open(const struct heap_config *h, uid_t uid, gid_t gid,
		     const gid_t *groups, size_t n_groups)
{
	size_t i;

	if (!policy_has_access_rules(h) || uid == 0)
		return true;
	if (id_listed(h->allow_users, h->n_allow_users, uid))
		return true;
	if (id_listed(h->allow_groups, h->n_allow_groups, gid))
		return true;
	for (i = 0; i < n_groups; i++)
		if (id_listed(h->allow_groups, h->n_allow_groups, groups[i]))
			return true;
	return false;
}

/* @used + @len > @limit, without overflow; a lowered limit is past already. */
static bool over(uint64_t limit, uint64_t used, uint64_t len)
{
	if (limit == DH_NO_LIMIT)
		return false;
	return used > limit || len > limit - used;
}

enum heap_limit policy_check_alloc(const struct heap_config *h, uint64_t len,
				   const struct policy_usage *u)
{
	if (over(h->limits[LIMIT_BUFFER_SIZE], 0, len))
		return LIMIT_BUFFER_SIZE;
	if (over(h->limits[LIMIT_BYTES_PER_PROCESS], u->process, len))
		return LIMIT_BYTES_PER_PROCESS;
	if (over(h->limits[LIMIT_BYTES_PER_USER], u->user, len))
		return LIMIT_BYTES_PER_USER;
	if (over(h->limits[LIMIT_BYTES], u->heap, len))
		return LIMIT_BYTES;
	return _LIMIT_MAX;
}

bool policy_process_over(const struct heap_config *h, uint64_t len,
			 uint64_t process)
{
	return over(h->limits[LIMIT_BYTES_PER_PROCESS], process, len);
}
