// SPDX-License-Identifier: GPL-2.0
/*
 * Run against a daemon started with --fault-inject=reply-delay, whose pid
 * is argv[1]: a client waits in its allocation (the helper has allocated,
 * the answer is 500 ms off) when the daemon is SIGKILLed. The client gets
 * ECONNABORTED, not a hang and not an fd, and the buffer is gone.
 */
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

int main(int argc, char **argv)
{
	long long live0 = helper_counter("live_buffers");
	long long allocs0 = helper_counter("allocations");
	int status, waited = 0;
	pid_t daemon, pid;

	CHECK(argc == 2, "usage: h-daemon-kill DAEMON-PID");
	daemon = (pid_t)atoi(argv[1]);

	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int heap = heap_open(O_RDWR);
		int fd = heap_alloc(heap, 1 * MiB, O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			fprintf(stderr, "got fd %d from a dead daemon\n", fd);
			_exit(100);
		}
		printf("client got: %s\n", strerror(-fd));
		fflush(stdout);
		_exit(-fd == ECONNABORTED ? 0 : 101);
	}
	CHECK(wait_counter("allocations", allocs0 + 1, 5000),
	      "the helper did not allocate for the client");
	CHECK(kill(daemon, SIGKILL) == 0, "kill the daemon");

	while (waitpid(pid, &status, WNOHANG) == 0) {
		CHECK(waited < 10000, "client still waiting 10 s after the daemon died");
		sleep_ms(20);
		waited += 20;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "client status %d", status);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld, was %lld",
	      helper_counter("live_buffers"), live0);
	printf("daemon killed with an allocation in flight: client failed in %d ms, no buffer left\n",
	       waited);
	return 0;
}
