/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared bits of the VM test clients. The clients are ordinary programs:
 * they use <linux/dma-heap.h> and <linux/dma-buf.h> only, plus the helper's
 * sysfs counters to check that nothing leaked.
 */
#ifndef DMAHEAPD_TEST_COMMON_H
#define DMAHEAPD_TEST_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#define KiB (1024ull)
#define MiB (1024ull * 1024)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s: ",	\
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fprintf(stderr, " (errno %d: %s)\n", errno,	\
				strerror(errno));			\
			exit(1);					\
		}							\
	} while (0)

#define SKIP(...)							\
	do {								\
		fprintf(stderr, "skip: " __VA_ARGS__);			\
		fputc('\n', stderr);					\
		exit(77);						\
	} while (0)

/* $DMAHEAP, else the first heap the VM serves ($DMAHEAPD_HEAPS), else system. */
static inline const char *heap_path(void)
{
	static char path[128];
	const char *p = getenv("DMAHEAP");
	const char *heaps = getenv("DMAHEAPD_HEAPS");

	if (p)
		return p;
	if (!heaps || !*heaps)
		heaps = "system";
	snprintf(path, sizeof(path), "/dev/dma_heap/%.*s",
		 (int)strcspn(heaps, " "), heaps);
	return path;
}

/*
 * Is the heap under test served by dmaheapd, or is it one of the kernel's
 * own (class dma_heap in sysfs, the same device number)? The same clients
 * run against both, to check that dmaheapd answers like the kernel;
 * assertions on the helper's counters only make sense for ours. Where
 * dmaheapd took a name over, the kernel's heap of that name is in sysfs
 * but the node is ours.
 */
static inline int heap_is_ours(void)
{
	const char *name = strrchr(heap_path(), '/');
	unsigned int maj, min;
	char path[256];
	struct stat st;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/dma_heap/%s/dev",
		 name ? name + 1 : heap_path());
	f = fopen(path, "re");
	if (!f)
		return 1;
	n = fscanf(f, "%u:%u", &maj, &min);
	fclose(f);
	CHECK(n == 2, "%s", path);
	CHECK(stat(heap_path(), &st) == 0, "stat %s", heap_path());
	return st.st_rdev != makedev(maj, min);
}

/*
 * The exporter name of dma-buf @fd (/proc/self/fdinfo, "exp_name:") is
 * the heap's name, as the kernel's heaps give theirs: the node's.
 */
static inline void check_exp_name(int fd)
{
	const char *node = strrchr(heap_path(), '/');
	char path[64], line[256], name[128] = "";
	FILE *f;

	node = node ? node + 1 : heap_path();
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	CHECK(f, "%s", path);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "exp_name: %127s", name) == 1)
			break;
	fclose(f);
	CHECK(!strcmp(name, node), "exp_name \"%s\" in %s, want the heap's name \"%s\"",
	      name, path, node);
}

static inline int heap_open(int flags)
{
	int fd = open(heap_path(), flags | O_CLOEXEC);

	CHECK(fd >= 0, "open %s", heap_path());
	return fd;
}

/* DMA_HEAP_IOCTL_ALLOC: the dma-buf fd, or -errno. */
static inline int heap_alloc(int heap, uint64_t len, uint32_t fd_flags)
{
	struct dma_heap_allocation_data d = {
		.len = len, .fd_flags = fd_flags,
	};

	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0)
		return -errno;
	return (int)d.fd;
}

static inline uint64_t dmabuf_size(int fd)
{
	off_t end = lseek(fd, 0, SEEK_END);

	CHECK(end >= 0, "lseek dma-buf fd %d", fd);
	lseek(fd, 0, SEEK_SET);
	return (uint64_t)end;
}

static inline int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/* The number in file @path (sysfs, procfs), or -1 if it cannot be read. */
static inline long long read_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* A counter of the helper module, or -1 if it is not there. */
static inline long long helper_counter(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/misc/dmaheap-helper/%s", name);
	return read_number(path);
}

/* "4096", "64K", "1M", "2G": bytes. Anything else fails the test. */
static inline uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; break;
	case '\0': break;
	default: CHECK(0, "bad size %s", s);
	}
	return v;
}

/*
 * For clients paced by a test script: DIR/NAME with @text, whole when it
 * appears; and the next SIGUSR1 (blocked in @set).
 */
static inline void announce(const char *dir, const char *name,
			    const char *text)
{
	char tmp[256], path[256];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "we");
	CHECK(f, "create %s", tmp);
	fputs(text, f);
	CHECK(fclose(f) == 0, "write %s", tmp);
	CHECK(rename(tmp, path) == 0, "rename to %s", path);
}

static inline void wait_usr1(const sigset_t *set)
{
	int sig;

	CHECK(sigwait(set, &sig) == 0, "sigwait");
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to @ms for live_buffers to drop to @want; returns the last value. */
static inline long long wait_live_buffers(long long want, long ms)
{
	long long v = helper_counter("live_buffers");

	while (v != want && ms > 0) {
		sleep_ms(20);
		ms -= 20;
		v = helper_counter("live_buffers");
	}
	return v;
}

/* Wait up to @ms for counter @name to reach at least @want. */
static inline int wait_counter(const char *name, long long want, long ms)
{
	while (helper_counter(name) < want) {
		if (ms <= 0)
			return 0;
		sleep_ms(5);
		ms -= 5;
	}
	return 1;
}

/* Open fds of this process. */
/*
 * The next datagram on the socket @fd into @buf, NUL-terminated: its length,
 * or -1 when none came within 100 ms, which *@waited counts.
 */
static inline ssize_t recv_within(int fd, char *buf, size_t size, int *waited)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 100) == 0) {
		*waited += 100;
		return -1;
	}
	n = recv(fd, buf, size - 1, 0);
	CHECK(n >= 0, "recv");
	buf[n] = '\0';
	return n;
}

static inline int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	CHECK(d, "opendir /proc/self/fd");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the DIR's own fd */
}

#endif
