// SPDX-License-Identifier: GPL-2.0
/*
 * Every bad input gets the errno the kernel's own heaps give, and leaves no
 * fd and no buffer behind.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include "common.h"

static int heap;
static long long live0;
static int fds0;

static void no_leak(const char *what)
{
	CHECK(wait_live_buffers(live0, 2000) == live0,
	      "%s: live buffers %lld, expected %lld", what,
	      helper_counter("live_buffers"), live0);
	CHECK(count_fds() == fds0, "%s: %d fds open, expected %d", what,
	      count_fds(), fds0);
}

static void expect(unsigned int cmd, void *arg, int want, const char *what)
{
	int r = ioctl(heap, cmd, arg);

	CHECK(r == -1 && errno == want, "%s: got %d/%s, want %s", what, r,
	      r < 0 ? strerror(errno) : "success", strerror(want));
	no_leak(what);
	printf("%-36s -> %s\n", what, strerror(want));
}

static void check_einval(void)
{
	struct dma_heap_allocation_data d;

	d = (struct dma_heap_allocation_data){ .len = 4096, .fd = 5 };
	expect(DMA_HEAP_IOCTL_ALLOC, &d, EINVAL, "fd != 0");
	/* A refused struct is left as it was. */
	CHECK(d.len == 4096 && d.fd == 5 && !d.fd_flags && !d.heap_flags,
	      "fd != 0: struct changed to len %llu fd %u",
	      (unsigned long long)d.len, d.fd);
	d = (struct dma_heap_allocation_data){ .len = 4096,
					       .fd_flags = O_NONBLOCK };
	expect(DMA_HEAP_IOCTL_ALLOC, &d, EINVAL, "fd_flags O_NONBLOCK");
	d = (struct dma_heap_allocation_data){ .len = 4096,
					       .fd_flags = 1u << 31 };
	expect(DMA_HEAP_IOCTL_ALLOC, &d, EINVAL, "fd_flags bit 31");
	d = (struct dma_heap_allocation_data){ .len = 4096, .heap_flags = 1 };
	expect(DMA_HEAP_IOCTL_ALLOC, &d, EINVAL, "heap_flags bit 0");
	d = (struct dma_heap_allocation_data){ .len = 4096,
					       .heap_flags = 1ull << 63 };
	expect(DMA_HEAP_IOCTL_ALLOC, &d, EINVAL, "heap_flags bit 63");
	d = (struct dma_heap_allocation_data){ .len = 0 };
	expect(DMA_HEAP_IOCTL_ALLOC, &d, EINVAL, "len 0");
	d = (struct dma_heap_allocation_data){ .len = UINT64_MAX };
	expect(DMA_HEAP_IOCTL_ALLOC, &d, EINVAL, "len wraps when page aligned");
	d = (struct dma_heap_allocation_data){ .len = 4096 };
	expect(_IOWR('H', 1, struct dma_heap_allocation_data), &d, EINVAL,
	       "ioctl number 1");
	expect(_IO('H', 7), NULL, EINVAL, "ioctl number 7, no data");
	d = (struct dma_heap_allocation_data){ .len = 4096, .fd_flags = O_RDWR };
	expect(_IOR('H', 0, struct dma_heap_allocation_data), &d, EINVAL,
	       "read-only ALLOC (nothing copied in)");
	/*
	 * Nor copied out: a refusal leaves the struct alone (the kernel
	 * copies it out only on success since "dma-buf: dma-heap: don't
	 * publish fd before copy_to_user() succeeds").
	 */
	CHECK(d.len == 4096 && !d.fd && d.fd_flags == O_RDWR && !d.heap_flags,
	      "read-only ALLOC: struct changed to len %llu fd_flags 0x%x",
	      (unsigned long long)d.len, d.fd_flags);
}

static void check_enomem(void)
{
	struct dma_heap_allocation_data d = { .len = 1ull << 50,
					      .fd_flags = O_RDWR };

	/*
	 * 6.1's own system heap has no such check: it allocates until the
	 * OOM killer takes the caller (docs/ioctl-contract.md).
	 */
	if (!heap_is_ours()) {
		printf("%-36s -> not asked of the kernel's heap\n",
		       "len above RAM");
		return;
	}
	expect(DMA_HEAP_IOCTL_ALLOC, &d, ENOMEM, "len 1 PiB");
	d.len = (uint64_t)sysconf(_SC_PHYS_PAGES) * 4096 + 4096;
	expect(DMA_HEAP_IOCTL_ALLOC, &d, ENOMEM, "len RAM + 1 page");
}

static void check_efault(void)
{
	struct dma_heap_allocation_data *ro;
	long long dropped0 = helper_counter("deliveries_dropped");

	expect(DMA_HEAP_IOCTL_ALLOC, NULL, EFAULT, "NULL struct");
	expect(DMA_HEAP_IOCTL_ALLOC, (void *)8, EFAULT, "struct at 0x8");

	/* Readable, not writable: allocated, then the copy-out fails. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED, "mmap");
	ro->len = 4096;
	ro->fd_flags = O_RDWR;
	CHECK(mprotect(ro, 4096, PROT_READ) == 0, "mprotect");
	expect(DMA_HEAP_IOCTL_ALLOC, ro, EFAULT, "read-only struct");
	CHECK(!heap_is_ours() ||
	      helper_counter("deliveries_dropped") == dropped0 + 1,
	      "dropped %lld, was %lld", helper_counter("deliveries_dropped"),
	      dropped0);

	/*
	 * A refused request is not copied back out: its errno, not the
	 * copy-out's EFAULT.
	 */
	CHECK(mprotect(ro, 4096, PROT_READ | PROT_WRITE) == 0, "mprotect");
	ro->len = 0;
	CHECK(mprotect(ro, 4096, PROT_READ) == 0, "mprotect");
	expect(DMA_HEAP_IOCTL_ALLOC, ro, EINVAL, "read-only struct, len 0");
	CHECK(mprotect(ro, 4096, PROT_READ | PROT_WRITE) == 0, "mprotect");
	ro->len = 4096;
	ro->heap_flags = 1;
	CHECK(mprotect(ro, 4096, PROT_READ) == 0, "mprotect");
	expect(DMA_HEAP_IOCTL_ALLOC, ro, EINVAL,
	       "read-only struct, heap_flags bit 0");
	expect(_IOR('H', 0, struct dma_heap_allocation_data), NULL, EINVAL,
	       "read-only ALLOC, NULL struct");
	/*
	 * Another number: the kernel refuses it before it reads anything;
	 * CUSE copies an _IOW argument in before the daemon sees the number
	 * (docs/ioctl-contract.md).
	 */
	expect(_IOWR('H', 1, struct dma_heap_allocation_data), NULL,
	       heap_is_ours() ? EFAULT : EINVAL, "ioctl number 1, NULL struct");
	CHECK(!heap_is_ours() ||
	      helper_counter("deliveries_dropped") == dropped0 + 1,
	      "refusals dropped a buffer: %lld, was %lld",
	      helper_counter("deliveries_dropped"), dropped0 + 1);
	munmap(ro, 4096);
}

static void check_emfile(void)
{
	struct dma_heap_allocation_data d = { .len = 4096, .fd_flags = O_RDWR };
	struct rlimit old, lim;
	int extra[64], n = 0, fd, r, e;

	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0, "getrlimit");
	lim = old;
	lim.rlim_cur = (rlim_t)fds0 + 16;
	CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0, "setrlimit");
	/* Take every fd number the limit leaves. */
	while (n < 64 && (fd = open("/dev/null", O_RDONLY)) >= 0)
		extra[n++] = fd;
	CHECK(errno == EMFILE, "filling the fd table");
	r = ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d);
	e = errno;
	while (n)
		close(extra[--n]);
	CHECK(r == -1 && e == EMFILE, "no free fd: got %d/%s", r, strerror(e));
	no_leak("no free fd");
	printf("%-36s -> %s\n", "no free fd (RLIMIT_NOFILE)", strerror(EMFILE));
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0, "setrlimit");
}

static void check_read_write(void)
{
	char c = 0;

	ssize_t r;

	CHECK(read(heap, &c, 1) == -1 && errno == EINVAL, "read");
	CHECK(write(heap, &c, 1) == -1 && errno == EINVAL, "write");
	printf("%-36s -> %s\n", "read() and write() on the node",
	       strerror(EINVAL));

	/*
	 * Where CUSE answers before the daemon is asked, ours differ
	 * (docs/ioctl-contract.md): nothing to read or write is 0, and a
	 * position is not refused (CUSE ignores FOPEN_NONSEEKABLE).
	 */
	r = read(heap, &c, 0);
	CHECK(heap_is_ours() ? r == 0 : r == -1 && errno == EINVAL,
	      "read of 0 bytes: %zd/%s", r, r < 0 ? strerror(errno) : "-");
	r = write(heap, &c, 0);
	CHECK(heap_is_ours() ? r == 0 : r == -1 && errno == EINVAL,
	      "write of 0 bytes: %zd/%s", r, r < 0 ? strerror(errno) : "-");
	r = pread(heap, &c, 1, 0);
	CHECK(r == -1 && errno == (heap_is_ours() ? EINVAL : ESPIPE),
	      "pread: %zd/%s", r, r < 0 ? strerror(errno) : "-");
	r = pwrite(heap, &c, 1, 0);
	CHECK(r == -1 && errno == (heap_is_ours() ? EINVAL : ESPIPE),
	      "pwrite: %zd/%s", r, r < 0 ? strerror(errno) : "-");
	printf("%-36s -> %s\n", "pread() and pwrite() on the node",
	       heap_is_ours() ? strerror(EINVAL) : strerror(ESPIPE));
}

int main(void)
{
	heap = heap_open(O_RDWR);
	live0 = helper_counter("live_buffers");
	CHECK(live0 >= 0, "helper counters missing");
	fds0 = count_fds();

	check_einval();
	check_enomem();
	check_efault();
	check_emfile();
	check_read_write();

	/* And the node still serves. */
	{
		int fd = heap_alloc(heap, 4096, O_RDWR);

		CHECK(fd >= 0, "alloc after errors: %s", strerror(-fd));
		close(fd);
	}
	close(heap);
	return 0;
}
