// SPDX-License-Identifier: GPL-2.0
/*
 * hold-and-check: the system test's two timing helpers (checks.sh).
 *
 *   hold-and-check hold NODE READY GO [SECONDS]
 *	allocate 4 MiB from NODE, map it, write a pattern, close the node,
 *	create READY; wait (at most SECONDS, default 120) until GO exists;
 *	check the pattern.
 *   hold-and-check gap NODE STOP
 *	poll NODE every 10 ms; once it has gone and come back, print how
 *	long it was gone. If STOP appears while NODE never went, print that.
 *
 * Exit 0 on success, 1 with a message on stderr otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

#define LEN (4u << 20)
#define POLL_NS 10000000L

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tick(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int hold(const char *node, const char *ready, const char *go,
		int64_t wait_ms)
{
	struct dma_heap_allocation_data data = { .len = LEN };
	struct dma_buf_sync sync = { 0 };
	int64_t deadline;
	uint32_t *p;
	uint32_t i;
	int fd;

	fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "hold: %s: %s\n", node, strerror(errno));
		return 1;
	}
	data.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		fprintf(stderr, "hold: DMA_HEAP_IOCTL_ALLOC: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, (int)data.fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "hold: mmap: %s\n", strerror(errno));
		return 1;
	}
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE;
	ioctl((int)data.fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (i = 0; i < LEN / 4; i++)
		p[i] = i * 2654435761u;
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl((int)data.fd, DMA_BUF_IOCTL_SYNC, &sync);
	fd = open(ready, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "hold: %s: %s\n", ready, strerror(errno));
		return 1;
	}
	close(fd);
	printf("hold: %u bytes mapped, pattern written\n", LEN);
	fflush(stdout);

	deadline = now_ms() + wait_ms;
	while (!exists(go)) {
		if (now_ms() > deadline) {
			fprintf(stderr, "hold: %s did not appear in %lld s\n", go,
				(long long)(wait_ms / 1000));
			return 1;
		}
		tick();
	}
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	ioctl((int)data.fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (i = 0; i < LEN / 4; i++) {
		if (p[i] != i * 2654435761u) {
			fprintf(stderr, "hold: word %u is 0x%08x, wrote 0x%08x\n",
				i, p[i], i * 2654435761u);
			return 1;
		}
	}
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
	ioctl((int)data.fd, DMA_BUF_IOCTL_SYNC, &sync);
	printf("hold: pattern intact, %u bytes read back\n", LEN);
	munmap(p, LEN);
	close((int)data.fd);
	return 0;
}

static int gap(const char *node, const char *stop)
{
	int64_t gone = -1, deadline = now_ms() + 120000;

	for (;;) {
		int there = exists(node);

		if (!there && gone < 0)
			gone = now_ms();
		if (there && gone >= 0) {
			printf("gap: %s gone for %lld ms (10 ms polls)\n", node,
			       (long long)(now_ms() - gone));
			return 0;
		}
		if (gone < 0 && exists(stop)) {
			printf("gap: %s never seen gone (gap < 10 ms)\n", node);
			return 0;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "gap: %s %s after 120 s\n", node,
				gone < 0 ? "still there" : "not back");
			return 1;
		}
		tick();
	}
}

int main(int argc, char **argv)
{
	long secs = 120;

	if (argc == 6 && strcmp(argv[1], "hold") == 0)
		secs = strtol(argv[5], NULL, 10);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "hold") == 0 && secs > 0)
		return hold(argv[2], argv[3], argv[4], (int64_t)secs * 1000);
	if (argc == 4 && strcmp(argv[1], "gap") == 0)
		return gap(argv[2], argv[3]);
	fprintf(stderr, "usage: hold-and-check hold NODE READY GO [SECONDS]\n"
			"       hold-and-check gap NODE STOP\n");
	return 2;
}
