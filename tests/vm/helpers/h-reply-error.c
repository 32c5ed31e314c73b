// SPDX-License-Identifier: GPL-2.0
/*
 * Run against a daemon started with --fault-inject=reply-error, which has
 * the helper allocate and then answers EIO: the caller gets EIO, no fd, and
 * the buffer is dropped.
 */
#include "common.h"

int main(void)
{
	long long live0 = helper_counter("live_buffers");
	long long dropped0 = helper_counter("deliveries_dropped");
	long long allocs0 = helper_counter("allocations");
	int heap = heap_open(O_RDWR);
	int fds0 = count_fds();
	int i, fd;

	for (i = 0; i < 10; i++) {
		fd = heap_alloc(heap, 64 * KiB, O_RDWR | O_CLOEXEC);
		CHECK(fd == -EIO, "got %d, want -EIO", fd);
	}
	CHECK(helper_counter("allocations") - allocs0 == 10,
	      "the helper allocated %lld buffers, want 10",
	      helper_counter("allocations") - allocs0);
	CHECK(helper_counter("deliveries_dropped") - dropped0 == 10,
	      "dropped %lld, want 10",
	      helper_counter("deliveries_dropped") - dropped0);
	CHECK(count_fds() == fds0, "fds %d, want %d", count_fds(), fds0);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	close(heap);
	printf("10 allocations answered EIO after the helper allocated: no fd, no buffer left\n");
	return 0;
}
