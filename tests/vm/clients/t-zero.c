// SPDX-License-Identifier: GPL-2.0
/*
 * Buffers come back zeroed: dirty 32 buffers of 4 KiB and 32 of 1 MiB, free
 * them, allocate as many again and check every byte is 0.
 */
#include <sys/mman.h>

#include "common.h"

#define N 32

static void fill(int fd, uint64_t len, int byte)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED, "mmap");
	memset(p, byte, len);
	munmap(p, len);
}

static void check_zero(int fd, uint64_t len)
{
	const uint64_t *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	uint64_t i;

	CHECK(p != MAP_FAILED, "mmap");
	for (i = 0; i < len / sizeof(*p); i++)
		CHECK(p[i] == 0, "word %llu is %llx", (unsigned long long)i,
		      (unsigned long long)p[i]);
	munmap((void *)p, len);
}

static void round_trip(int heap, uint64_t len)
{
	int fds[N], i;

	for (i = 0; i < N; i++) {
		fds[i] = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
		CHECK(fds[i] >= 0, "alloc: %s", strerror(-fds[i]));
		fill(fds[i], len, 0xa5 + i);
	}
	for (i = 0; i < N; i++)
		close(fds[i]);
	for (i = 0; i < N; i++) {
		fds[i] = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
		CHECK(fds[i] >= 0, "alloc: %s", strerror(-fds[i]));
		check_zero(fds[i], len);
	}
	for (i = 0; i < N; i++)
		close(fds[i]);
	printf("%d x %llu KiB dirtied, freed, reallocated: all zero\n", N,
	       (unsigned long long)(len / KiB));
}

int main(void)
{
	int heap = heap_open(O_RDWR);

	round_trip(heap, 4 * KiB);
	round_trip(heap, 1 * MiB);
	close(heap);
	return 0;
}
