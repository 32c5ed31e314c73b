// SPDX-License-Identifier: GPL-2.0
/* A fake of daemon/helper.c for unit tests: records calls, returns mocks. */
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

int helper_alloc(int fd, struct dmaheap_helper_alloc *req)
{
	int r = mock_type(int);

	fake_helper_calls++;
	fake_helper_last = *req;
	if (r == 0) {
		req->id = 42;
		req->tgid = 1200;
		req->start_time = fake_helper_start;
		snprintf(req->comm, sizeof(req->comm), "%s", fake_helper_comm);
	}
	return r;
}

uint64_t helper_counter(const char *name)
{
	return 0;
}

/* Release events the next helper_events() returns, then none. */
struct dmaheap_helper_event fake_helper_events[8];
size_t fake_helper_n_events;

ssize_t helper_events(int fd, struct dmaheap_helper_event *ev, size_t n)
{
	size_t k = fake_helper_n_events < n ? fake_helper_n_events : n;

	memcpy(ev, fake_helper_events, k * sizeof(*ev));
	fake_helper_n_events = 0;
	return (ssize_t)k;
}
