// SPDX-License-Identifier: GPL-2.0
/*
 * Clients SIGKILLed while their allocation is in flight: no buffer is left
 * behind and the daemon keeps serving. 200 clients, or $DMAHEAPD_KILL_ROUNDS.
 */
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

#define ROUNDS	200

static void child(void)
{
	/* Mixed sizes: kills land in the allocation and after it. */
	static const uint64_t sizes[] = { 4 * KiB, 1 * MiB, 64 * MiB };
	int heap = heap_open(O_RDWR);
	unsigned int i = 0;

	for (;; i++) {
		int fd = heap_alloc(heap, sizes[i % 3], O_RDWR | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
	}
}

int main(void)
{
	long long live0 = helper_counter("live_buffers");
	long long dropped0 = helper_counter("deliveries_dropped");
	long long failed0 = helper_counter("alloc_failures");
	const char *env = getenv("DMAHEAPD_KILL_ROUNDS");
	int rounds = env ? atoi(env) : ROUNDS;
	int i, heap, fd;

	srand((unsigned int)getpid());
	for (i = 0; i < rounds; i++) {
		int status;
		pid_t pid = fork();

		CHECK(pid >= 0, "fork");
		if (pid == 0)
			child();
		sleep_ms(20 + rand() % 100);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		CHECK(WIFSIGNALED(status), "child status %d", status);
	}

	CHECK(wait_live_buffers(live0, 10000) == live0,
	      "live buffers %lld after %d killed clients, was %lld",
	      helper_counter("live_buffers"), rounds, live0);
	/* Some kills must have hit a request the daemon had already taken. */
	CHECK(helper_counter("deliveries_dropped") - dropped0 +
	      helper_counter("alloc_failures") - failed0 > 0,
	      "no kill landed in flight");

	heap = heap_open(O_RDWR);
	fd = heap_alloc(heap, 4096, O_RDWR);
	CHECK(fd >= 0, "daemon no longer serves: %s", strerror(-fd));
	close(fd);
	close(heap);
	printf("%d clients killed in flight: %lld deliveries dropped, %lld allocations stopped, live buffers back to %lld\n",
	       rounds, helper_counter("deliveries_dropped") - dropped0,
	       helper_counter("alloc_failures") - failed0, live0);
	return 0;
}
