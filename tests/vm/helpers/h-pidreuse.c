// SPDX-License-Identifier: GPL-2.0
/*
 * For t-pidreuse.sh: h-pidreuse NODE SIZE CHECK-COMMAND. A recycled pid
 * does not inherit the totals of the process that had it before.
 *
 * Process A, forked at a pid P of our choosing (/proc/sys/kernel/ns_last_pid
 * of the root pid namespace, the daemon's), allocates SIZE bytes on NODE
 * (the heap's MaxBytesPerProcess=), forks a keeper that holds the buffer,
 * and exits. Once A is reaped, process B is forked at the same pid P and
 * allocates SIZE bytes: its own full limit (the kernel's heaps know no
 * limit; ours count per process, and B is not A). A further page must then
 * be refused with ENOMEM: the limit still holds for B. While B and the
 * keeper hold their buffers, CHECK-COMMAND runs under sh -c with $PID set
 * to P; it must succeed. Every line printed says what was checked.
 */
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

#define NS_LAST_PID	"/proc/sys/kernel/ns_last_pid"

static uint64_t size;
static const char *node;

static int set_last_pid(pid_t last)
{
	FILE *f = fopen(NS_LAST_PID, "we");

	if (!f)
		return -errno;
	fprintf(f, "%d", (int)last);
	return fclose(f) ? -errno : 0;
}

/*
 * Fork a child at pid @want running @fn(@arg), which returns the child's
 * exit status. The pid is the next one after ns_last_pid unless another
 * process forks in between (a kernel worker): tried a few times. Returns
 * the child's pid (@want), or -1 if the pid could not be had.
 */
static pid_t fork_at(pid_t want, int (*fn)(void *), void *arg)
{
	int tries, status;
	pid_t pid;

	for (tries = 0; tries < 10; tries++) {
		CHECK(set_last_pid(want - 1) == 0, "write %s", NS_LAST_PID);
		pid = fork();
		CHECK(pid >= 0, "fork");
		if (!pid) {
			if (getpid() != want)
				_exit(100);
			_exit(fn(arg));
		}
		if (pid == want)
			return pid;
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		if (kill(want, 0) == 0)
			return -1;	/* taken by another process */
	}
	return -1;
}

/* A: allocate the limit, hand the buffer to a keeper, exit. */
static int process_a(void *arg)
{
	int *keep_pipe = arg;
	int heap, fd;
	pid_t keeper;
	char c;

	heap = open(node, O_RDWR | O_CLOEXEC);
	CHECK(heap >= 0, "A: open %s", node);
	fd = heap_alloc(heap, size, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("  A (pid %d): allocating %llu bytes: %s\n", (int)getpid(),
		       (unsigned long long)size, strerrorname_np(-fd));
		return 3;
	}
	printf("  A (pid %d): allocated %llu bytes, the heap's MaxBytesPerProcess=\n",
	       (int)getpid(), (unsigned long long)size);
	fflush(stdout);
	keeper = fork();
	CHECK(keeper >= 0, "A: fork the keeper");
	if (!keeper) {
		/* The keeper: holds A's buffer until the test is over. */
		close(heap);
		close(keep_pipe[1]);
		while (read(keep_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		CHECK(dmabuf_size(fd) == size, "keeper: A's buffer");
		_exit(0);
	}
	printf("  A: buffer handed to keeper %d, A exits\n", (int)keeper);
	return 0;
}

struct b_args {
	int done_pipe[2];	/* B writes one byte: allocated and holding */
	int hold_pipe[2];	/* the parent closes it: B may exit */
};

/* B: A's pid, its own full limit, and not a page more. */
static int process_b(void *arg)
{
	struct b_args *b = arg;
	int heap, fd, more;
	char c = 0;

	close(b->done_pipe[0]);
	close(b->hold_pipe[1]);
	heap = open(node, O_RDWR | O_CLOEXEC);
	CHECK(heap >= 0, "B: open %s", node);
	fd = heap_alloc(heap, size, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("  B (pid %d, A's): allocating %llu bytes: %s: counted A's buffer to B\n",
		       (int)getpid(), (unsigned long long)size,
		       strerrorname_np(-fd));
		return 3;
	}
	printf("  B (pid %d, A's): allocated %llu bytes, its own full limit\n",
	       (int)getpid(), (unsigned long long)size);
	more = heap_alloc(heap, 4096, O_RDWR | O_CLOEXEC);
	if (more != -ENOMEM) {
		printf("  B: a page past its limit: %s, not ENOMEM\n",
		       more >= 0 ? "allocated" : strerrorname_np(-more));
		return 4;
	}
	printf("  B: a page more: ENOMEM, the limit holds for B\n");
	fflush(stdout);
	CHECK(write(b->done_pipe[1], &c, 1) == 1, "B: write");
	while (read(b->hold_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	close(fd);
	return 0;
}

static int wait_status(pid_t pid)
{
	int status;

	CHECK(waitpid(pid, &status, 0) == pid, "waitpid %d", (int)pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	int keep_pipe[2], rc, round, ok = 0;
	struct b_args b;
	pid_t want, a, pb;
	char env[32], c;
	long last, max;

	CHECK(argc == 4, "usage: h-pidreuse NODE SIZE CHECK-COMMAND");
	node = argv[1];
	size = strtoull(argv[2], NULL, 0);
	alarm(120);	/* bounded, whatever hangs */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(NS_LAST_PID, W_OK))
		SKIP("%s is not writable (a kernel without CONFIG_CHECKPOINT_RESTORE?)",
		     NS_LAST_PID);
	max = read_number("/proc/sys/kernel/pid_max");
	CHECK(max > 0, "pid_max");

	for (round = 0; round < 3 && !ok; round++) {
		/* A free pid well ahead of the last one handed out. */
		last = read_number(NS_LAST_PID);
		CHECK(last > 0, "%s", NS_LAST_PID);
		want = (pid_t)(last + 1000 + round * 1000);
		if (want >= max)
			want = 1000;
		while (kill(want, 0) == 0 || errno != ESRCH)
			want++;

		CHECK(pipe2(keep_pipe, O_CLOEXEC) == 0, "pipe");
		a = fork_at(want, process_a, keep_pipe);
		if (a < 0) {
			printf("  pid %d was taken meanwhile: another round\n",
			       (int)want);
			close(keep_pipe[0]);
			close(keep_pipe[1]);
			continue;
		}
		close(keep_pipe[0]);
		rc = wait_status(a);
		CHECK(rc == 0, "A exited %d", rc);
		/* A is reaped: its pid is free, its buffer lives on. */

		CHECK(pipe2(b.done_pipe, O_CLOEXEC) == 0, "pipe");
		CHECK(pipe2(b.hold_pipe, O_CLOEXEC) == 0, "pipe");
		pb = fork_at(want, process_b, &b);
		close(b.done_pipe[1]);
		close(b.hold_pipe[0]);
		if (pb < 0) {
			printf("  pid %d was taken before B: another round\n",
			       (int)want);
			close(keep_pipe[1]);
			close(b.done_pipe[0]);
			close(b.hold_pipe[1]);
			continue;
		}
		if (read(b.done_pipe[0], &c, 1) == 1) {
			snprintf(env, sizeof(env), "%d", (int)want);
			setenv("PID", env, 1);
			rc = system(argv[3]);
			CHECK(rc == 0, "%s: exit %d", argv[3], rc);
		}
		close(b.hold_pipe[1]);
		rc = wait_status(pb);
		CHECK(rc == 0, "B exited %d", rc);
		close(keep_pipe[1]);	/* the keeper exits */
		ok = 1;
	}
	CHECK(ok, "no free pid could be had in 3 rounds");
	return 0;
}
