// SPDX-License-Identifier: GPL-2.0
/*
 * Load while the daemon is SIGKILLed (t-daemon-kill.sh): keep one buffer
 * mapped with a pattern, then allocate, map, write and close in a loop
 * until the heap fails. The failure must come (an errno, within 20 s:
 * no hang), and afterwards the kept buffer must still hold its pattern and
 * import into vgem. Touches READY once looping.
 * Usage: h-load READY
 */
#include <sys/mman.h>

#include "common.h"
#include "vgem.h"

#define KEPT	(1 * MiB)

int main(int argc, char **argv)
{
	struct drm_prime_handle p = { 0 };
	uint32_t *kept, i;
	int heap, fd, vgem, n = 0;

	CHECK(argc == 2, "usage: h-load READY");
	alarm(20);	/* SIGALRM kills us: the test fails on a hang */
	heap = heap_open(O_RDWR);
	p.fd = heap_alloc(heap, KEPT, O_RDWR | O_CLOEXEC);
	CHECK(p.fd >= 0, "the kept buffer");
	kept = mmap(NULL, KEPT, PROT_READ | PROT_WRITE, MAP_SHARED, p.fd, 0);
	CHECK(kept != MAP_FAILED, "mmap");
	for (i = 0; i < KEPT / 4; i++)
		kept[i] = i ^ 0x5a5a5a5a;

	for (;; n++) {
		uint8_t *q;

		fd = heap_alloc(heap, 64 * KiB << (n % 4), O_RDWR | O_CLOEXEC);
		if (fd < 0)
			break;
		q = mmap(NULL, 64 * KiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(q != MAP_FAILED, "mmap");
		q[0] = (uint8_t)n;
		munmap(q, 64 * KiB);
		close(fd);
		if (n == 10)
			close(open(argv[1], O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	}
	CHECK(n > 10, "the heap failed before the daemon was killed");
	printf("%d allocations, then %s\n", n, strerror(-fd));

	for (i = 0; i < KEPT / 4; i++)
		CHECK(kept[i] == (i ^ 0x5a5a5a5a), "kept buffer word %u", i);
	vgem = open_vgem();
	CHECK(vgem >= 0, "no vgem");
	CHECK(ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p) == 0,
	      "import the kept buffer into vgem");
	printf("kept buffer intact and imported into vgem\n");
	return 0;
}
