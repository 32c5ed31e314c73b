// SPDX-License-Identifier: GPL-2.0
/*
 * The heap node's fd replaced under an allocation in flight: one thread
 * allocates a large buffer (slow to zero, under TCG all the more), another
 * waits until /proc shows it blocked in that ioctl, dup2()s /dev/null over
 * the node's fd number, and looks again. Still blocked in the ioctl: the
 * fd was replaced before the ioctl returned ("race reached"), and the
 * caller must get an error, never 0 with an fd it does not have. Already
 * back: not reached, the caller got its buffer; tried again with a larger
 * one, and skipped if never reached.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "common.h"

struct alloc {
	int heap;
	uint64_t len;
	pid_t tid;
	int done;
	int ret, err;
	struct dma_heap_allocation_data data;
};

static void *alloc_thread(void *arg)
{
	struct alloc *a = arg;

	__atomic_store_n(&a->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	a->data.len = a->len;
	a->data.fd_flags = O_RDWR | O_CLOEXEC;
	a->ret = ioctl(a->heap, DMA_HEAP_IOCTL_ALLOC, &a->data);
	a->err = errno;
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Is thread @tid blocked in ioctl(@fd, ...)? (/proc/.../syscall) */
static int in_ioctl(pid_t tid, int fd)
{
	char path[64], line[256];
	long nr;
	unsigned long arg0;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f))
		n = sscanf(line, "%ld 0x%lx", &nr, &arg0);
	fclose(f);
	return n == 2 && nr == SYS_ioctl && arg0 == (unsigned long)fd;
}

/* A dma-buf among this process's fds? */
static int dmabuf_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], target[256];
	ssize_t n;
	int count = 0;

	CHECK(d, "opendir /proc/self/fd");
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "dmabuf"))
			count++;
	}
	closedir(d);
	return count;
}

/* One try: 1 when the race was reached, 0 when not. */
static int try_once(uint64_t len)
{
	struct alloc a = { .len = len };
	long long dropped0 = helper_counter("deliveries_dropped");
	int devnull, reached, waited = 0;
	pthread_t t;

	a.heap = heap_open(O_RDWR);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(devnull >= 0, "open /dev/null");
	CHECK(pthread_create(&t, NULL, alloc_thread, &a) == 0, "pthread_create");

	/*
	 * Up to 30 s for the thread to be seen in the ioctl, unless it is
	 * back first: the allocation was quicker than this loop (the pool
	 * kept part of it zeroed), not reached.
	 */
	while (!__atomic_load_n(&a.tid, __ATOMIC_ACQUIRE) ||
	       !in_ioctl(a.tid, a.heap)) {
		if (__atomic_load_n(&a.done, __ATOMIC_ACQUIRE))
			break;
		CHECK(waited < 30000, "the thread never showed in its ioctl");
		sleep_ms(1);
		waited++;
	}
	CHECK(dup2(devnull, a.heap) == a.heap, "dup2 over the node's fd");
	reached = !__atomic_load_n(&a.done, __ATOMIC_ACQUIRE) &&
		  in_ioctl(a.tid, a.heap);
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");

	if (!reached) {
		printf("%6llu MiB: the ioctl had returned before dup2 (%d/%s, fd %u): not reached\n",
		       (unsigned long long)(len / MiB), a.ret,
		       a.ret ? strerror(a.err) : "ok", a.data.fd);
		if (a.ret == 0)
			close((int)a.data.fd);
		close(devnull);
		close(a.heap);
		return 0;
	}

	CHECK(a.ret == -1, "ioctl returned %d with fd %u after its node's fd was replaced",
	      a.ret, a.data.fd);
	CHECK(a.err == EIO, "errno %d (%s), want EIO", a.err,
	      strerror(a.err));
	CHECK(a.data.fd == 0, "fd %u written", a.data.fd);
	CHECK(dmabuf_fds() == 0, "a dma-buf fd was left in the process");
	if (dropped0 >= 0)
		CHECK(helper_counter("deliveries_dropped") == dropped0 + 1,
		      "deliveries_dropped %lld, was %lld",
		      helper_counter("deliveries_dropped"), dropped0);
	CHECK(wait_live_buffers(0, 10000) == 0, "the dropped buffer lives on");
	printf("%6llu MiB: node's fd replaced while in the ioctl: EIO, nothing installed\n",
	       (unsigned long long)(len / MiB));
	close(devnull);
	close(a.heap);
	return 1;
}

int main(void)
{
	uint64_t len;

	if (!heap_is_ours())
		SKIP("the kernel's heap installs the fd wherever the node went");
	CHECK(wait_live_buffers(0, 10000) == 0, "buffers live before the test");
	for (len = 64 * MiB; len <= 256 * MiB; len *= 2)
		if (try_once(len))
			return 0;
	SKIP("the allocation always returned before dup2: race not reached");
}
