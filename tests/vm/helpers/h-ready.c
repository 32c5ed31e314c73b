// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of t-ready.sh, with ready buffers on (docs/pool.md): a 4 KiB
 * read-write allocation takes a ready buffer, which is zeroed, works and
 * is live (counted, listed in debugfs by its inode) until closed; a
 * read-only one and an 8 KiB one do not take one.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "common.h"

static long long hits(void)
{
	return helper_counter("ready_hits");
}

/* Is the dma-buf of @fd in the helper's debugfs list (its second column)? */
static int listed(int fd)
{
	FILE *f = fopen("/sys/kernel/debug/dmaheap-helper/buffers", "re");
	unsigned long long id, ino;
	struct stat st;
	char line[512];
	int found = 0;

	CHECK(f, "open the debugfs list");
	CHECK(fstat(fd, &st) == 0, "fstat");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %llu", &id, &ino) == 2 && ino == st.st_ino)
			found = 1;
	fclose(f);
	return found;
}

/* A 4 KiB buffer works: all zero, then what was written reads back. */
static void check_page(int fd, int prot)
{
	uint64_t *p = mmap(NULL, 4 * KiB, prot, MAP_SHARED, fd, 0);
	unsigned int i;

	CHECK(p != MAP_FAILED, "mmap");
	for (i = 0; i < 4 * KiB / sizeof(*p); i++)
		CHECK(p[i] == 0, "word %u is %llx", i, (unsigned long long)p[i]);
	if (prot & PROT_WRITE) {
		memset(p, 0x5a, 4 * KiB);
		CHECK(p[511] == 0x5a5a5a5a5a5a5a5aull, "write read back");
	}
	munmap(p, 4 * KiB);
}

int main(void)
{
	long long h0, live0;
	int heap, fd;

	heap = heap_open(O_RDWR);
	live0 = helper_counter("live_buffers");

	h0 = hits();
	fd = heap_alloc(heap, 4 * KiB, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "alloc 4 KiB: %s", strerror(-fd));
	CHECK(hits() == h0 + 1, "ready_hits %lld, not %lld", hits(), h0 + 1);
	CHECK(helper_counter("live_buffers") == live0 + 1, "not live");
	CHECK(listed(fd), "not in the debugfs list");
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "O_CLOEXEC lost");
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "not read-write");
	check_page(fd, PROT_READ | PROT_WRITE);
	close(fd);
	CHECK(helper_counter("live_buffers") == live0, "still live after close");
	printf("4 KiB O_RDWR: a ready buffer, zeroed, live and listed until closed\n");

	h0 = hits();
	fd = heap_alloc(heap, 4 * KiB, O_RDONLY);
	CHECK(fd >= 0, "alloc 4 KiB read-only: %s", strerror(-fd));
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "not read-only");
	CHECK(fcntl(fd, F_GETFD) == 0, "O_CLOEXEC set");
	check_page(fd, PROT_READ);
	close(fd);
	fd = heap_alloc(heap, 8 * KiB, O_RDWR);
	CHECK(fd >= 0, "alloc 8 KiB: %s", strerror(-fd));
	close(fd);
	CHECK(hits() == h0, "a read-only or 8 KiB buffer came from the ready list");
	printf("4 KiB O_RDONLY, 8 KiB: exported on request, as before\n");
	close(heap);
	return 0;
}
