// SPDX-License-Identifier: GPL-2.0
/*
 * Run against a daemon started with --fault-inject=reply-delay: the helper
 * has allocated and queued the fd delivery, the answer waits 500 ms, and the
 * caller is SIGKILLed meanwhile. The delivery runs as the caller exits and
 * drops the buffer: nothing is installed, nothing is left.
 */
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

#define ROUNDS	5

int main(void)
{
	long long live0 = helper_counter("live_buffers");
	long long dropped0 = helper_counter("deliveries_dropped");
	long long allocs0 = helper_counter("allocations");
	int i, status;

	for (i = 0; i < ROUNDS; i++) {
		pid_t pid = fork();

		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			int heap = heap_open(O_RDWR);

			heap_alloc(heap, 64 * KiB, O_RDWR | O_CLOEXEC);
			_exit(0);
		}
		/* Kill once the helper has allocated: the answer is 500 ms off. */
		CHECK(wait_counter("allocations", allocs0 + i + 1, 5000),
		      "the helper did not allocate for the child");
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child was not killed while waiting (status %d)", status);
	}
	CHECK(wait_live_buffers(live0, 5000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	CHECK(helper_counter("allocations") - allocs0 == ROUNDS,
	      "allocations %lld, want %d",
	      helper_counter("allocations") - allocs0, ROUNDS);
	CHECK(helper_counter("deliveries_dropped") - dropped0 == ROUNDS,
	      "dropped %lld, want %d",
	      helper_counter("deliveries_dropped") - dropped0, ROUNDS);
	printf("%d callers killed with their buffer allocated and the answer pending: %d dropped, none left\n",
	       ROUNDS, ROUNDS);
	return 0;
}
