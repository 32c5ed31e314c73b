// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap-alloc: an ordinary dma-buf heap client, as any application would
 * write it with <linux/dma-heap.h> alone. Allocates SIZE bytes from a heap,
 * prints the fd and size, maps the buffer and checks a pattern.
 *
 * Usage: dmaheap-alloc [-H HEAP] [SIZE[K|M|G]]   (default: system, 1M)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; break;
	case '\0': break;
	default:
		fprintf(stderr, "dmaheap-alloc: bad size \"%s\"\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *heap = "system";
	char path[256];
	struct dma_heap_allocation_data data = { 0 };
	struct dma_buf_sync sync = { 0 };
	uint64_t size = 1 << 20, i;
	uint8_t *p;
	int opt, fd;

	while ((opt = getopt(argc, argv, "H:")) != -1) {
		if (opt != 'H') {
			fprintf(stderr, "usage: dmaheap-alloc [-H HEAP] [SIZE]\n");
			return 2;
		}
		heap = optarg;
	}
	if (optind < argc)
		size = parse_size(argv[optind]);

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "dmaheap-alloc: %s: %s\n", path, strerror(errno));
		return 1;
	}
	data.len = size;
	data.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		fprintf(stderr, "dmaheap-alloc: DMA_HEAP_IOCTL_ALLOC of %llu bytes: %s\n",
			(unsigned long long)size, strerror(errno));
		return 1;
	}
	close(fd);
	printf("%s: dma-buf fd %u, %lld bytes\n", path, data.fd,
	       (long long)lseek((int)data.fd, 0, SEEK_END));

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, (int)data.fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "dmaheap-alloc: mmap: %s\n", strerror(errno));
		return 1;
	}
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW;
	ioctl((int)data.fd, DMA_BUF_IOCTL_SYNC, &sync);
	for (i = 0; i < size; i++)
		if (p[i]) {
			fprintf(stderr, "dmaheap-alloc: byte %llu not zero\n",
				(unsigned long long)i);
			return 1;
		}
	for (i = 0; i < size; i++)
		p[i] = (uint8_t)(i * 31);
	for (i = 0; i < size; i++)
		if (p[i] != (uint8_t)(i * 31)) {
			fprintf(stderr, "dmaheap-alloc: byte %llu read back wrong\n",
				(unsigned long long)i);
			return 1;
		}
	sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW;
	ioctl((int)data.fd, DMA_BUF_IOCTL_SYNC, &sync);
	printf("mapped read-write at %p: came zeroed, pattern written and read back\n",
	       (void *)p);
	munmap(p, size);
	close((int)data.fd);
	return 0;
}
