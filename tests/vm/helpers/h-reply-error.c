// SPDX-License-Identifier: GPL-2.0
/*
 * Run against a daemon started with --fault-inject=reply-error, which has
 * the helper allocate and then answers EIO: the caller gets EIO, no fd, and
 * the buffer is dropped. With "deferred": 4 KiB, which the helper defers
 * to a FILL that the daemon never makes after an error: the same, and no
 * buffer is made at all.
 */
#include "common.h"

int main(int argc, char **argv)
{
	int deferred = argc == 2 && !strcmp(argv[1], "deferred");
	uint64_t len = deferred ? 4 * KiB : 64 * KiB;
	long long made = deferred ? 0 : 10;
	long long live0 = helper_counter("live_buffers");
	long long dropped0 = helper_counter("deliveries_dropped");
	long long allocs0 = helper_counter("allocations");
	int heap = heap_open(O_RDWR);
	int fds0 = count_fds();
	int i, fd;

	for (i = 0; i < 10; i++) {
		fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
		CHECK(fd == -EIO, "got %d, want -EIO", fd);
	}
	CHECK(helper_counter("allocations") - allocs0 == made,
	      "the helper allocated %lld buffers, want %lld",
	      helper_counter("allocations") - allocs0, made);
	CHECK(helper_counter("deliveries_dropped") - dropped0 == 10,
	      "dropped %lld, want 10",
	      helper_counter("deliveries_dropped") - dropped0);
	CHECK(count_fds() == fds0, "fds %d, want %d", count_fds(), fds0);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	close(heap);
	printf("10 %s allocations answered EIO after the helper %s: no fd, no buffer left\n",
	       deferred ? "4 KiB" : "64 KiB",
	       deferred ? "queued their delivery" : "allocated");
	return 0;
}
