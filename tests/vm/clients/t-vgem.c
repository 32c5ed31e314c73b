// SPDX-License-Identifier: GPL-2.0
/*
 * Import into a real driver, vgem: DRM_IOCTL_PRIME_FD_TO_HANDLE attaches
 * and maps the buffer for vgem's device (dma-buf's bufinfo lists it), vgem
 * exports the very same dma-buf back, a write fence vgem attaches holds up
 * our fd's poll until vgem signals it, and closing the handle detaches.
 */
#include <poll.h>
#include <sys/mount.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <drm.h>

#include "common.h"
#include "vgem.h"

/* From the kernel's include/uapi/drm/vgem_drm.h (libdrm-dev lacks it). */
struct drm_vgem_fence_attach {
	__u32 handle;
	__u32 flags;
#define VGEM_FENCE_WRITE	0x1
	__u32 out_fence;
	__u32 pad;
};

struct drm_vgem_fence_signal {
	__u32 fence;
	__u32 flags;
};

#define DRM_IOCTL_VGEM_FENCE_ATTACH \
	DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct drm_vgem_fence_attach)
#define DRM_IOCTL_VGEM_FENCE_SIGNAL \
	DRM_IOW(DRM_COMMAND_BASE + 0x2, struct drm_vgem_fence_signal)

#define BUFINFO "/sys/kernel/debug/dma_buf/bufinfo"

/* Devices attached to the dma-buf with inode @ino, from bufinfo; -1 if
 * the buffer is not listed. Sets *vgem if one of them is vgem. */
static int attached_devices(unsigned long ino, int *vgem)
{
	char line[512], exp_name[64];
	unsigned long size, flags, mode, count, i;
	int found = 0, n = -1;
	FILE *f = fopen(BUFINFO, "re");

	CHECK(f, BUFINFO);
	*vgem = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lu %lx %lx %lu %63s %lu", &size, &flags,
			   &mode, &count, exp_name, &i) == 6) {
			found = i == ino;
			if (found)
				CHECK(!strcmp(exp_name, strrchr(heap_path(), '/') + 1),
				      "exp_name %s, want the heap's name", exp_name);
			continue;
		}
		if (!found)
			continue;
		if (!strcmp(line, "\tvgem\n"))
			*vgem = 1;
		if (sscanf(line, "Total %d devices attached", &n) == 1)
			break;
	}
	fclose(f);
	return n;
}

int main(void)
{
	const uint64_t len = 1 * MiB;
	long long live0 = helper_counter("live_buffers");
	struct drm_prime_handle prime = { 0 }, back = { 0 };
	struct drm_vgem_fence_attach fence = { 0 };
	struct drm_vgem_fence_signal sig = { 0 };
	struct drm_gem_close gclose = { 0 };
	struct pollfd pfd;
	struct stat st, st2;
	int heap, drm, fd, vgem, n;
	uint32_t *p;
	uint64_t i;

	drm = open_vgem();
	if (drm < 0)
		SKIP("no vgem device (modprobe vgem)");
	if (access(BUFINFO, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);

	heap = heap_open(O_RDWR);
	fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "alloc: %s", strerror(-fd));
	CHECK(fstat(fd, &st) == 0, "fstat");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap");
	for (i = 0; i < len / 4; i++)
		p[i] = (uint32_t)i ^ 0x5a5a5a5a;

	n = attached_devices(st.st_ino, &vgem);
	CHECK(n == 0, "%d devices attached before import", n);

	prime.fd = fd;
	CHECK(ioctl(drm, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime) == 0,
	      "PRIME_FD_TO_HANDLE");
	CHECK(prime.handle != 0, "handle");
	n = attached_devices(st.st_ino, &vgem);
	CHECK(n == 1 && vgem, "after import: %d devices, vgem %d", n, vgem);

	back.handle = prime.handle;
	back.flags = DRM_CLOEXEC | DRM_RDWR;
	CHECK(ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &back) == 0,
	      "PRIME_HANDLE_TO_FD");
	CHECK(fstat(back.fd, &st2) == 0 && st2.st_ino == st.st_ino,
	      "vgem exported another dma-buf");
	close(back.fd);

	/* vgem "writes": readers of our fd must wait for its fence. */
	fence.handle = prime.handle;
	fence.flags = VGEM_FENCE_WRITE;
	CHECK(ioctl(drm, DRM_IOCTL_VGEM_FENCE_ATTACH, &fence) == 0,
	      "VGEM_FENCE_ATTACH");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0, "poll ready with vgem's fence pending");
	sig.fence = fence.out_fence;
	CHECK(ioctl(drm, DRM_IOCTL_VGEM_FENCE_SIGNAL, &sig) == 0,
	      "VGEM_FENCE_SIGNAL");
	CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN),
	      "poll not ready after vgem signalled");
	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ) == 0,
	      "sync start");
	for (i = 0; i < len / 4; i++)
		CHECK(p[i] == ((uint32_t)i ^ 0x5a5a5a5a), "word %llu",
		      (unsigned long long)i);
	CHECK(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ) == 0,
	      "sync end");

	gclose.handle = prime.handle;
	CHECK(ioctl(drm, DRM_IOCTL_GEM_CLOSE, &gclose) == 0, "GEM_CLOSE");
	n = attached_devices(st.st_ino, &vgem);
	CHECK(n == 0, "%d devices attached after GEM_CLOSE", n);

	munmap(p, len);
	close(fd);
	close(drm);
	close(heap);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	printf("vgem: imported (attached + mapped), re-exported the same dma-buf, its fence gated our poll, detached on close\n");
	return 0;
}
