// SPDX-License-Identifier: GPL-2.0
/*
 * Contiguous heaps: physical contiguity as the helper's debugfs lists it,
 * zeroing of reused blocks seen through mmap, -ENOMEM on exhaustion and
 * room again after a free.
 *
 * Usage: h-contig contiguity SIZE...    every buffer is one physical run
 *        h-contig reuse SIZE            dirty, free, reallocate: zeroes
 *        h-contig exhaust SIZE MAX      -ENOMEM before MAX buffers; a free
 *                                       makes room again
 *        h-contig too-big SIZE          -ENOMEM at once
 * SIZE takes a K, M or G suffix. The heap is $DMAHEAP or the VM's first.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "common.h"

static void *map(int fd, uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(p != MAP_FAILED, "mmap %llu bytes", (unsigned long long)len);
	return p;
}

/*
 * The helper lists every live buffer's physical runs in debugfs, by the
 * inode of its dma-buf. User mappings of dma-bufs are VM_PFNMAP, which
 * /proc/self/pagemap does not show.
 */
#define BUFFERS "/sys/kernel/debug/dmaheap-helper/buffers"

/* The PFN of the first page; fails unless the buffer is one run. */
static uint64_t check_contiguous(int fd, uint64_t len)
{
	unsigned long long id, ino, blen, pfn, pages;
	char line[4096], kind[64];
	struct stat st;
	FILE *f;
	int off;

	CHECK(fstat(fd, &st) == 0, "fstat");
	f = fopen(BUFFERS, "re");
	CHECK(f, "open " BUFFERS " (debugfs mounted, running as root?)");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %llu %63s %llu %n", &id, &ino, kind, &blen,
			   &off) != 4 || ino != (unsigned long long)st.st_ino)
			continue;
		fclose(f);
		CHECK(blen == len, "listed with %llu bytes", blen);
		CHECK(!strchr(line + off, ','),
		      "%llu bytes in several physical runs: %s",
		      (unsigned long long)len, line + off);
		CHECK(sscanf(line + off, "%llx+%llu", &pfn, &pages) == 2,
		      "bad line %s", line);
		CHECK(pages == len / 4096, "one run of %llu pages, not %llu",
		      pages, (unsigned long long)(len / 4096));
		return pfn;
	}
	fclose(f);
	CHECK(0, "no buffer with inode %llu in " BUFFERS,
	      (unsigned long long)st.st_ino);
	return 0;
}

static int alloc_or_die(int heap, uint64_t len)
{
	int fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);

	errno = -fd;
	CHECK(fd >= 0, "alloc %llu bytes", (unsigned long long)len);
	return fd;
}

static void contiguity(int heap, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		uint64_t len = parse_size(argv[i]);
		int fd = alloc_or_die(heap, len);
		uint8_t *p = map(fd, len);
		uint64_t k;

		for (k = 0; k < len; k += 4096)
			p[k] = (uint8_t)(k >> 12);
		for (k = 0; k < len; k += 4096)
			CHECK(p[k] == (uint8_t)(k >> 12), "read back page %llu",
			      (unsigned long long)(k >> 12));
		munmap(p, len);
		printf("%s: mapped, written, read back; one run from PFN %#llx\n",
		       argv[i], (unsigned long long)check_contiguous(fd, len));
		close(fd);
	}
}

#define REUSE_N 8

static void reuse(int heap, uint64_t len)
{
	uint64_t dirty[REUSE_N];
	int fds[REUSE_N], i, j, reused = 0;

	for (i = 0; i < REUSE_N; i++) {
		uint8_t *p;

		fds[i] = alloc_or_die(heap, len);
		dirty[i] = check_contiguous(fds[i], len);
		p = map(fds[i], len);
		memset(p, 0xa5, len);
		munmap(p, len);
	}
	for (i = 0; i < REUSE_N; i++)
		close(fds[i]);

	for (i = 0; i < REUSE_N; i++) {
		const uint64_t *p;
		uint64_t pfn, k;

		fds[i] = alloc_or_die(heap, len);
		pfn = check_contiguous(fds[i], len);
		for (j = 0; j < REUSE_N; j++)
			reused += pfn == dirty[j];
		p = map(fds[i], len);
		for (k = 0; k < len / 8; k++)
			CHECK(p[k] == 0, "word %llu of a reused block is %#llx",
			      (unsigned long long)k, (unsigned long long)p[k]);
		munmap((void *)p, len);
	}
	for (i = 0; i < REUSE_N; i++)
		close(fds[i]);
	printf("%d of %d new buffers started where a dirtied one did; all zero\n",
	       reused, REUSE_N);
	CHECK(reused > 0, "no block was reused: the zeroing was not tested");
}

/*
 * Buffers of @len into fds[@n...] until an allocation fails or @max are
 * held: the new count; *@ret is the last allocation's result.
 */
static int fill(int heap, uint64_t len, int *fds, int n, int max, int *ret)
{
	int fd = 0;

	for (; n < max; n++) {
		fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			break;
		fds[n] = fd;
	}
	*ret = fd;
	return n;
}

static void exhaust(int heap, uint64_t len, int max)
{
	int *fds = calloc(max, sizeof(*fds));
	int n, full, fd;

	CHECK(fds, "calloc");
	n = fill(heap, len, fds, 0, max, &fd);
	CHECK(n < max, "no -ENOMEM after %d buffers", max);
	errno = -fd;
	CHECK(fd == -ENOMEM, "buffer %d failed, but not with ENOMEM", n + 1);
	CHECK(n > 0, "not even one buffer");
	printf("%d buffers of %llu bytes, then ENOMEM\n", n,
	       (unsigned long long)len);

	close(fds[--n]);
	fds[n++] = alloc_or_die(heap, len);
	printf("after a free: allocated again\n");
	/*
	 * Full again. From the page allocator, compaction (kcompactd) may
	 * have made another block meanwhile: then the next ENOMEM comes a
	 * few buffers later.
	 */
	full = n;
	n = fill(heap, len, fds, n, max, &fd);
	errno = -fd;
	CHECK(n < max && fd == -ENOMEM, "full again, but not ENOMEM");
	if (n > full)
		printf("full again after %d more (compaction made room)\n",
		       n - full);
	while (n > 0)
		close(fds[--n]);
	free(fds);
}

static void too_big(int heap, uint64_t len)
{
	struct timespec a, b;
	int fd;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	errno = fd < 0 ? -fd : 0;
	CHECK(fd == -ENOMEM, "%llu bytes: expected ENOMEM, got %d",
	      (unsigned long long)len, fd);
	printf("%llu bytes: ENOMEM in %ld ms\n", (unsigned long long)len, ms);
}

int main(int argc, char **argv)
{
	long long live = helper_counter("live_buffers");
	int heap;

	CHECK(argc >= 3, "usage: h-contig contiguity|reuse|exhaust|too-big SIZE...");
	heap = heap_open(O_RDONLY);
	printf("heap %s\n", heap_path());
	if (!strcmp(argv[1], "contiguity"))
		contiguity(heap, argc - 2, argv + 2);
	else if (!strcmp(argv[1], "reuse"))
		reuse(heap, parse_size(argv[2]));
	else if (!strcmp(argv[1], "exhaust") && argc == 4)
		exhaust(heap, parse_size(argv[2]), atoi(argv[3]));
	else if (!strcmp(argv[1], "too-big"))
		too_big(heap, parse_size(argv[2]));
	else
		CHECK(0, "unknown mode %s", argv[1]);
	close(heap);

	if (heap_is_ours() && live >= 0)
		CHECK(wait_live_buffers(live, 2000) == live,
		      "live buffers did not return to %lld", live);
	return 0;
}
