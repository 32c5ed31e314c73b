// SPDX-License-Identifier: GPL-2.0
/*
 * A fake of daemon/helper.c for unit tests: records calls, returns mocks.
 * Every function of helper.c is here, so that the linker never takes
 * helper.c itself for a test that reaches one of them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helper.h"

struct dmaheap_helper_alloc fake_helper_last;
/* The caller's name the helper reports (a client picks its own). */
const char *fake_helper_comm = "client";
/* When the caller's process started, as the helper reports it. */
uint64_t fake_helper_start = 4200000000;
int fake_helper_calls;

int helper_open(const char *path, struct dmaheap_helper_info *ret_info)
{
	return -ENOSYS;
}

/* Whether ALLOC defers the buffer it was allowed to defer. */
int fake_helper_defer;

int helper_alloc(int fd, struct dmaheap_helper_alloc *req)
{
	int r = mock_type(int);

	fake_helper_calls++;
	fake_helper_last = *req;
	if (r == 0) {
		if (fake_helper_defer &&
		    req->flags & DMAHEAP_HELPER_ALLOC_DEFER)
			req->flags |= DMAHEAP_HELPER_ALLOC_DEFERRED;
		req->id = 42;
		req->tgid = 1200;
		req->start_time = fake_helper_start;
		snprintf(req->comm, sizeof(req->comm), "%s", fake_helper_comm);
	}
	return r;
}

/* The last FILL's arguments, how many, and what it answers. */
uint64_t fake_helper_fill_id;
pid_t fake_helper_fill_tid;
int fake_helper_fill_refusal;	/* its @error: what the daemon refused */
int fake_helper_fill_calls;
int fake_helper_fill_error;

int helper_fill(int fd, uint64_t id, pid_t tid, int error)
{
	fake_helper_fill_calls++;
	fake_helper_fill_id = id;
	fake_helper_fill_tid = tid;
	fake_helper_fill_refusal = error;
	return -fake_helper_fill_error;
}

/* The helper's counters: this one has this value, every other 0. */
const char *fake_helper_counter_name = "";
uint64_t fake_helper_counter_value;

uint64_t helper_counter(const char *name)
{
	return strcmp(name, fake_helper_counter_name) ? 0 :
	       fake_helper_counter_value;
}

/*
 * Release events the next helper_events() returns, then none; or, while
 * fake_helper_events_error is set, that error.
 */
struct dmaheap_helper_event fake_helper_events[8];
size_t fake_helper_n_events;
int fake_helper_events_error;

ssize_t helper_events(int fd, struct dmaheap_helper_event *ev, size_t n)
{
	size_t k = fake_helper_n_events < n ? fake_helper_n_events : n;

	if (fake_helper_events_error)
		return -fake_helper_events_error;

	memcpy(ev, fake_helper_events, k * sizeof(*ev));
	fake_helper_n_events = 0;
	return (ssize_t)k;
}

/* What the last helper_pool() was given, and what it answers. */
uint64_t fake_helper_pool_bytes;
uint32_t fake_helper_pool_flags;
int fake_helper_pool_calls;
int fake_helper_pool_error;

int helper_pool(int fd, uint64_t max_bytes, uint32_t flags)
{
	fake_helper_pool_calls++;
	fake_helper_pool_bytes = max_bytes;
	fake_helper_pool_flags = flags;
	return fake_helper_pool_error;
}

/*
 * The pools kept per memory cgroup helper_memcg_pools() lists: the first
 * fake_helper_n_memcg_pools of these (it says that many even when it
 * writes fewer), or fake_helper_memcg_error (-ENOTTY: an older helper).
 */
struct dmaheap_helper_memcg_pool fake_helper_memcg_pools[24];
unsigned int fake_helper_n_memcg_pools;
int fake_helper_memcg_error = -ENOTTY;

int helper_memcg_pools(int fd, struct dmaheap_helper_memcg_pool *e,
		       unsigned int n, unsigned int *ret_count)
{
	unsigned int k = fake_helper_n_memcg_pools < n ?
			 fake_helper_n_memcg_pools : n;

	if (fake_helper_memcg_error)
		return fake_helper_memcg_error;
	memcpy(e, fake_helper_memcg_pools, k * sizeof(*e));
	*ret_count = fake_helper_n_memcg_pools;
	return 0;
}

/*
 * Regions claimed: how many REGION_ADD calls, and what they answer (0: the
 * claim is made, id 1).
 */
int fake_helper_region_calls;
int fake_helper_region_error = -EOPNOTSUPP;

int helper_region_add(int fd, uint64_t base, uint64_t size, uint32_t *ret_id)
{
	fake_helper_region_calls++;
	if (fake_helper_region_error)
		return fake_helper_region_error;
	*ret_id = 1;
	return 0;
}
