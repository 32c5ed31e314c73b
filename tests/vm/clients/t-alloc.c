// SPDX-License-Identifier: GPL-2.0
/*
 * Allocate 4 KiB, 1 MiB and 64 MiB; map each read-write shared, write a
 * pattern inside DMA_BUF_IOCTL_SYNC start/end, read it back through a second
 * mapping. Also: a heap opened O_RDONLY allocates, older 16-byte and newer
 * 48-byte callers work and get their extra bytes echoed.
 */
#include <sys/mman.h>

#include "common.h"

static uint32_t pattern(uint64_t i)
{
	return (uint32_t)(i * 2654435761u) ^ 0xdeadbeef;
}

static void check_buffer(int heap, uint64_t len)
{
	uint32_t *w, *r;
	uint64_t i, n = len / sizeof(uint32_t);
	int fd;

	fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "alloc %llu: %s", (unsigned long long)len,
	      strerror(-fd));
	CHECK(dmabuf_size(fd) == len, "size %llu",
	      (unsigned long long)dmabuf_size(fd));
	check_exp_name(fd);

	w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(w != MAP_FAILED, "mmap rw %llu", (unsigned long long)len);
	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW) == 0,
	      "sync start");
	for (i = 0; i < n; i++)
		w[i] = pattern(i);
	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW) == 0,
	      "sync end");

	r = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(r != MAP_FAILED && r != w, "second mmap");
	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0,
	      "sync start read");
	for (i = 0; i < n; i++)
		CHECK(r[i] == pattern(i), "word %llu of %llu: %08x",
		      (unsigned long long)i, (unsigned long long)len, r[i]);
	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) == 0,
	      "sync end read");

	/* An offset mapping sees the same bytes. */
	if (len > 4096) {
		uint32_t *o = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);

		CHECK(o != MAP_FAILED, "offset mmap");
		CHECK(o[0] == pattern(4096 / 4), "offset word");
		munmap(o, 4096);
	}
	munmap(r, len);
	munmap(w, len);
	close(fd);
	printf("%8llu KiB: allocated, mapped twice, pattern read back\n",
	       (unsigned long long)(len / KiB));
}

/* struct sizes older and newer callers use, with extra bytes after. */
static void check_struct_sizes(int heap)
{
	unsigned char buf[48];
	struct dma_heap_allocation_data *d = (void *)buf;
	unsigned int size;
	size_t i;

	for (size = 16; size <= 48; size += 8) {
		memset(buf, 0, sizeof(buf));
		for (i = 24; i < size; i++)
			buf[i] = (unsigned char)i;	/* extra bytes */
		d->len = 8192;
		d->fd_flags = O_RDWR | O_CLOEXEC;
		CHECK(ioctl(heap, _IOC(_IOC_READ | _IOC_WRITE, 'H', 0, size),
			    buf) == 0, "alloc with %u-byte struct", size);
		CHECK(d->fd > 2, "fd %u", d->fd);
		CHECK(dmabuf_size((int)d->fd) == 8192, "size");
		CHECK(d->len == 8192, "len echoed");
		for (i = 24; i < size; i++)
			CHECK(buf[i] == i, "byte %zu echoed", i);
		close((int)d->fd);
	}
	printf("struct sizes 16, 24, 32, 40, 48: ok\n");
}

int main(void)
{
	static const uint64_t sizes[] = { 4 * KiB, 1 * MiB, 64 * MiB };
	long long live0 = helper_counter("live_buffers");
	int heap, ro, fd;
	size_t i;

	heap = heap_open(O_RDWR);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		check_buffer(heap, sizes[i]);
	check_struct_sizes(heap);

	/* libdmabufheap and libcamera open heaps read-only. */
	ro = heap_open(O_RDONLY);
	fd = heap_alloc(ro, 4096, O_RDWR);
	CHECK(fd >= 0, "alloc on O_RDONLY heap: %s", strerror(-fd));
	close(fd);
	close(ro);
	printf("O_RDONLY heap: allocates\n");

	close(heap);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld, was %lld",
	      helper_counter("live_buffers"), live0);
	return 0;
}
