// SPDX-License-Identifier: GPL-2.0
/*
 * One login user behind many uids, for MaxBytesPerUser= (docs/policy.md):
 * h-userns NODE SIZE OWNER BASE COUNT READY-FILE, run as root.
 *
 * Opens NODE, then a child becomes OWNER (uid and gid) and enters a new
 * user namespace, which this process maps to BASE..BASE+COUNT-1 for uids
 * and gids 0..COUNT-1, as newuidmap does with a user's /etc/subuid range.
 * In there, one process first takes uid 1 and a user namespace of its own
 * (nested, owned by BASE+1) and allocates a buffer of SIZE bytes; then one
 * process a uid, 0 to COUNT-1, allocates one each. Each holds what it got.
 * The lines, one per allocation, "nested BASE+1: allocated" or
 * "uid U: ERRNO-NAME", go to stdout and READY-FILE, then everything is
 * held until SIGTERM. Exits 77 when user namespaces cannot be created.
 */
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/wait.h>

#include "common.h"

static int heap;
static uint64_t size;
/* Where the namespace's first process reports: not the allocators' */
static int report_fd = -1;

/* Allocates in this process; "allocated" or the errno's name. */
static const char *alloc_one(void)
{
	struct dma_heap_allocation_data d = {
		.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0)
		return strerrorname_np(errno);
	return "allocated";
}

/*
 * A process of uid @uid in this namespace (in a nested one of its own if
 * @nested) allocates, writes its result to the pipe and holds its buffer.
 */
static void allocator(uid_t uid, bool nested, int out)
{
	char line[64];

	CHECK(setresgid(uid, uid, uid) == 0, "setresgid %u", uid);
	CHECK(setresuid(uid, uid, uid) == 0, "setresuid %u", uid);
	if (nested)
		CHECK(unshare(CLONE_NEWUSER) == 0, "nested user namespace");
	snprintf(line, sizeof(line), "%s", alloc_one());
	CHECK(write(out, line, strlen(line)) > 0, "write");
	close(out);
	for (;;)
		pause();
}

/* The result of one allocator, read from its pipe. */
static void run_allocator(uid_t uid, bool nested, char *res, size_t len)
{
	int p[2];
	ssize_t n;

	CHECK(pipe(p) == 0, "pipe");
	if (fork() == 0) {
		close(p[0]);
		close(report_fd);
		allocator(uid, nested, p[1]);
	}
	close(p[1]);
	n = read(p[0], res, len - 1);
	CHECK(n > 0, "no result from uid %u", uid);
	res[n] = '\0';
	close(p[0]);
}

/* In the new namespace, once mapped: the allocations, reported on @out. */
static void in_namespace(unsigned int count, unsigned long base, int out)
{
	char res[64], line[128];
	unsigned int k;

	report_fd = out;
	run_allocator(1, true, res, sizeof(res));
	snprintf(line, sizeof(line), "nested %lu: %s\n", base + 1, res);
	CHECK(write(out, line, strlen(line)) > 0, "write");
	for (k = 0; k < count; k++) {
		run_allocator(k, false, res, sizeof(res));
		snprintf(line, sizeof(line), "uid %lu: %s\n", base + k, res);
		CHECK(write(out, line, strlen(line)) > 0, "write");
	}
	close(out);
	for (;;)
		pause();
}

static void write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "%s", path);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	      "%s: %s", path, text);
	close(fd);
}

int main(int argc, char **argv)
{
	int ready[2], go[2], results[2];
	char buf[4096], map[64], c = 0;
	unsigned long owner, base;
	unsigned int count;
	size_t len = 0;
	sigset_t set;
	ssize_t n;
	pid_t pid;
	FILE *f;
	int sig;

	CHECK(argc == 7, "usage: h-userns NODE SIZE OWNER BASE COUNT READY-FILE");
	size = strtoull(argv[2], NULL, 10);
	owner = strtoul(argv[3], NULL, 10);
	base = strtoul(argv[4], NULL, 10);
	count = (unsigned int)strtoul(argv[5], NULL, 10);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	heap = open(argv[1], O_RDWR | O_CLOEXEC);
	CHECK(heap >= 0, "open %s", argv[1]);
	CHECK(pipe(ready) == 0 && pipe(go) == 0 && pipe(results) == 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		setpgid(0, 0);
		CHECK(setgroups(0, NULL) == 0, "setgroups");
		CHECK(setresgid(owner, owner, owner) == 0, "setresgid");
		CHECK(setresuid(owner, owner, owner) == 0, "setresuid");
		if (unshare(CLONE_NEWUSER) < 0) {
			c = 'n';
			CHECK(write(ready[1], &c, 1) == 1, "write");
			_exit(77);
		}
		CHECK(write(ready[1], &c, 1) == 1, "write");
		CHECK(read(go[0], &c, 1) == 1, "read");
		close(results[0]);
		in_namespace(count, base, results[1]);
	}
	setpgid(pid, pid);
	close(results[1]);
	CHECK(read(ready[0], &c, 1) == 1, "read");
	if (c == 'n')
		SKIP("uid %lu cannot create a user namespace", owner);
	/* What newuidmap writes for a user's /etc/subuid range. */
	snprintf(map, sizeof(map), "0 %lu %u\n", base, count);
	write_file(pid, "uid_map", map);
	write_file(pid, "gid_map", map);
	CHECK(write(go[1], &c, 1) == 1, "write");

	/* count + 1 lines */
	while (len < sizeof(buf) - 1 &&
	       (n = read(results[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	fputs(buf, stdout);
	fflush(stdout);
	f = fopen(argv[6], "we");
	CHECK(f, "%s", argv[6]);
	fputs(buf, f);
	fclose(f);
	sigwait(&set, &sig);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
