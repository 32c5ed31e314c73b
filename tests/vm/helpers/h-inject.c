// SPDX-License-Identifier: GPL-2.0
/*
 * One failure path of the helper, reached by arming its fault_inject
 * parameter (docs/fault-injection.md): the operation fails with the errno
 * the caller should see, the site is consumed, no buffer or fd is left
 * behind, and the same operation works again right after.
 *
 * Usage: h-inject alloc SITE ERRNO-NAME   an allocation from the heap
 *        h-inject import SITE ERRNO-NAME  importing a buffer into vgem
 *                                         (attach, then map)
 */
#include <sys/ioctl.h>

#include "common.h"
#include "vgem.h"

#define PARAM "/sys/module/dmaheap_helper/parameters/fault_inject"
#define SIZE (1 * MiB)

static void arm(const char *site)
{
	FILE *f = fopen(PARAM, "we");

	CHECK(f, "open " PARAM);
	CHECK(fprintf(f, "%s", site) > 0 && fclose(f) == 0, "arm %s", site);
}

static int armed(void)
{
	char buf[64] = "";
	FILE *f = fopen(PARAM, "re");

	CHECK(f, "open " PARAM);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] && buf[0] != '\n';
}

static int errno_of(const char *name)
{
	static const struct { const char *name; int e; } names[] = {
		{ "ENOMEM", ENOMEM }, { "ESRCH", ESRCH }, { "EIO", EIO },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(names[i].name, name))
			return names[i].e;
	CHECK(0, "unknown errno name %s", name);
	return 0;
}

/* PRIME import into vgem: 0 or -errno. The handle is closed again. */
static int import(int vgem, int buf)
{
	struct drm_prime_handle p = { .fd = buf };
	struct drm_gem_close c = { 0 };

	if (ioctl(vgem, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p) < 0)
		return -errno;
	c.handle = p.handle;
	ioctl(vgem, DRM_IOCTL_GEM_CLOSE, &c);
	return 0;
}

int main(int argc, char **argv)
{
	long long live = helper_counter("live_buffers");
	int heap, fds, r, want, vgem = -1, buf = -1;

	CHECK(argc == 4, "usage: h-inject alloc|import SITE ERRNO-NAME");
	want = errno_of(argv[3]);
	heap = heap_open(O_RDONLY);
	if (!strcmp(argv[1], "import")) {
		vgem = open_vgem();
		if (vgem < 0)
			SKIP("no vgem device");
		buf = heap_alloc(heap, SIZE, O_RDWR | O_CLOEXEC);
		CHECK(buf >= 0, "alloc");
		live++;
	}
	fds = count_fds();

	arm(argv[2]);
	r = buf < 0 ? heap_alloc(heap, SIZE, O_RDWR | O_CLOEXEC) :
		      import(vgem, buf);
	errno = r < 0 ? -r : 0;
	/*
	 * vgem imports without mapping on newer kernels (the shmem helpers
	 * map an import only when a user needs its pages): the map path is
	 * then not reachable from here.
	 */
	if (buf >= 0 && r >= 0 && !strcmp(argv[2], "map") && armed()) {
		arm("\n");
		SKIP("map: vgem imported without mapping the attachment on this kernel");
	}
	CHECK(r == -want, "%s %s with fault \"%s\": got %d, want -%s",
	      argv[1], buf < 0 ? "" : "into vgem", argv[2], r, argv[3]);
	CHECK(!armed(), "fault \"%s\" is still armed: the path was not taken",
	      argv[2]);
	CHECK(count_fds() == fds, "an fd was left: %d, was %d", count_fds(),
	      fds);
	CHECK(wait_live_buffers(live, 2000) == live, "live buffers %lld, want %lld",
	      helper_counter("live_buffers"), live);
	printf("%-16s %-6s -> %s, nothing left behind\n", argv[2], argv[1],
	       argv[3]);

	r = buf < 0 ? heap_alloc(heap, SIZE, O_RDWR | O_CLOEXEC) :
		      import(vgem, buf);
	errno = r < 0 ? -r : 0;
	CHECK(r >= 0, "%s again, fault gone", argv[1]);
	if (buf < 0)
		close(r);
	else
		close(buf);
	close(heap);
	return 0;
}
