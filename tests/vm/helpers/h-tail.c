// SPDX-License-Identifier: GPL-2.0
/*
 * For t-unload-tail.sh: allocate once while another thread closes the new
 * dma-buf fd the moment it shows up in the fd table, which is while the
 * helper's delivery is still returning through module code (its
 * "installed" fault site stretches that tail). Creates FILE once the fd
 * is closed: from then on only the tail's own reference holds the buffer,
 * and with it the module.
 *
 * Usage: h-tail FILE
 * Exits 0 once the allocating thread is back from its ioctl with 0.
 */
#include <pthread.h>

#include "common.h"

static volatile int done;

static int is_dmabuf(int fd)
{
	char path[64], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return strstr(target, "dmabuf") != NULL;
}

static void *closer(void *arg)
{
	const char *file = arg;
	int fd, f;

	while (!done) {
		for (fd = 3; fd < 64; fd++) {
			if (!is_dmabuf(fd))
				continue;
			CHECK(close(fd) == 0, "close dma-buf fd %d", fd);
			f = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			CHECK(f >= 0, "create %s", file);
			close(f);
			printf("closer: dma-buf fd %d closed as soon as it was installed\n",
			       fd);
			fflush(stdout);
			return NULL;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data d = {
		.len = 4096, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	pthread_t t;
	int heap, r;

	CHECK(argc == 2, "usage: h-tail FILE");
	heap = heap_open(O_RDWR);
	CHECK(pthread_create(&t, NULL, closer, argv[1]) == 0, "thread");
	r = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d);
	CHECK(r == 0, "alloc");
	done = 1;
	CHECK(pthread_join(t, NULL) == 0, "join");
	printf("allocating thread back from its ioctl with fd %u\n", d.fd);
	return 0;
}
