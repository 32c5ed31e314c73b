// SPDX-License-Identifier: GPL-2.0
/*
 * Run against a daemon started with --fault-inject=fill-delay: a 4 KiB
 * buffer, which the helper defers, is made 500 ms after the daemon's
 * reply, and its caller waits for it in the delivery.
 *   h-fill wait               the caller waits, then has a whole buffer
 *   h-fill client-kill        the caller is SIGKILLed while it waits: it
 *                             dies at once, nothing is left
 *   h-fill daemon-kill PID    the daemon is SIGKILLed meanwhile: the caller
 *                             gets EIO at once, nothing is left
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Field 3 of /proc/@pid/stat: 'D' while the delivery waits (killable). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* A child allocating 4 KiB: exits 0 with a buffer, else 100 + errno. */
static pid_t alloc_child(void)
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd = heap_alloc(heap_open(O_RDWR), 4 * KiB,
				    O_RDWR | O_CLOEXEC);

		printf("caller got: %s\n", fd >= 0 ? "a buffer" : strerror(-fd));
		fflush(stdout);
		_exit(fd >= 0 ? 0 : 100 + (-fd & 0x7f));
	}
	return pid;
}

/* Until @pid waits in its delivery: the reply is out, FILL 500 ms off. */
static void wait_in_delivery(pid_t pid)
{
	int ms;

	for (ms = 0; proc_state(pid) != 'D'; ms += 5) {
		CHECK(ms < 3000, "caller %d not waiting for its buffer (state %c)",
		      (int)pid, proc_state(pid));
		sleep_ms(5);
	}
}

/* Reap @pid within @limit ms: its status; *@took the time it took. */
static int reap_within(pid_t pid, int limit, long *took)
{
	long start = now_ms();
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		CHECK(now_ms() - start < limit, "caller still there after %d ms",
		      limit);
		sleep_ms(2);
	}
	*took = now_ms() - start;
	return status;
}

static int fill_wait(void)
{
	long long allocs0 = helper_counter("allocations");
	long start = now_ms(), took;
	unsigned char *p;
	int fd, i;

	fd = heap_alloc(heap_open(O_RDWR), 4 * KiB, O_RDWR | O_CLOEXEC);
	took = now_ms() - start;
	CHECK(fd >= 0, "alloc: %s", strerror(-fd));
	CHECK(took >= 400, "the buffer came after %ld ms, before its FILL", took);
	CHECK(dmabuf_size(fd) == 4 * KiB, "size %llu",
	      (unsigned long long)dmabuf_size(fd));
	p = mmap(NULL, 4 * KiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap");
	for (i = 0; i < 4096; i++)
		CHECK(p[i] == 0, "byte %d is %u", i, p[i]);
	memset(p, 0xa5, 4096);
	munmap(p, 4 * KiB);
	CHECK(helper_counter("allocations") == allocs0 + 1, "allocations %lld",
	      helper_counter("allocations") - allocs0);
	close(fd);
	printf("deferred buffer delivered after %ld ms of waiting, zeroed, mapped\n",
	       took);
	return 0;
}

/* No buffer made since @allocs0, and the live ones back to @live0. */
static void check_none_made(long long allocs0, long long live0)
{
	CHECK(helper_counter("allocations") == allocs0, "allocations %lld",
	      helper_counter("allocations") - allocs0);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld, was %lld",
	      helper_counter("live_buffers"), live0);
}

static int fill_client_kill(void)
{
	long long live0 = helper_counter("live_buffers");
	long long dropped0 = helper_counter("deliveries_dropped");
	long long allocs0 = helper_counter("allocations");
	pid_t pid = alloc_child();
	long took;
	int status;

	wait_in_delivery(pid);
	CHECK(kill(pid, SIGKILL) == 0, "kill");
	status = reap_within(pid, 200, &took);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "status %d", status);
	/* FILL comes and finds the delivery gone: no buffer is made. */
	sleep_ms(700);
	CHECK(helper_counter("deliveries_dropped") == dropped0 + 1,
	      "dropped %lld", helper_counter("deliveries_dropped") - dropped0);
	check_none_made(allocs0, live0);
	printf("caller killed while waiting for its buffer: gone in %ld ms, no buffer made\n",
	       took);
	return 0;
}

static int fill_daemon_kill(pid_t daemon)
{
	long long live0 = helper_counter("live_buffers");
	long long allocs0 = helper_counter("allocations");
	pid_t pid = alloc_child();
	long took;
	int status;

	wait_in_delivery(pid);
	CHECK(kill(daemon, SIGKILL) == 0, "kill the daemon");
	status = reap_within(pid, 2000, &took);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 100 + EIO,
	      "caller status %d, want EIO", status);
	check_none_made(allocs0, live0);
	printf("daemon killed while a caller waited for its buffer: EIO in %ld ms, none left\n",
	       took);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "wait"))
		return fill_wait();
	if (argc == 2 && !strcmp(argv[1], "client-kill"))
		return fill_client_kill();
	if (argc == 3 && !strcmp(argv[1], "daemon-kill"))
		return fill_daemon_kill((pid_t)atoi(argv[2]));
	fprintf(stderr, "usage: h-fill wait | client-kill | daemon-kill PID\n");
	return 2;
}
