// SPDX-License-Identifier: GPL-2.0
/*
 * The module's ioctls and its counters in sysfs, returning negative errno.
 * No logging here: callers know what the failure means.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "helper.h"

int helper_open(const char *path, struct dmaheap_helper_info *ret_info)
{
	struct dmaheap_helper_info info;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	if (ioctl(fd, DMAHEAP_HELPER_IOC_INFO, &info) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (info.version != DMAHEAP_HELPER_VERSION) {
		close(fd);
		return -EPROTO;
	}
	*ret_info = info;
	return fd;
}

int helper_alloc(int fd, struct dmaheap_helper_alloc *req)
{
	return ioctl(fd, DMAHEAP_HELPER_IOC_ALLOC, req) < 0 ? -errno : 0;
}

int helper_fill(int fd, uint64_t id, pid_t tid, int error)
{
	struct dmaheap_helper_fill fill = {
		.id = id, .tid = (uint32_t)tid, .error = error,
	};

	return ioctl(fd, DMAHEAP_HELPER_IOC_FILL, &fill) < 0 ? -errno : 0;
}

uint64_t helper_counter(const char *name)
{
	char path[128];
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", DMAHEAP_HELPER_SYSFS, name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%" SCNu64, &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

ssize_t helper_events(int fd, struct dmaheap_helper_event *ev, size_t n)
{
	ssize_t r;

	do {
		r = read(fd, ev, n * sizeof(*ev));
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EAGAIN ? 0 : -errno;
	return r / (ssize_t)sizeof(*ev);
}

int helper_pool(int fd, uint64_t max_bytes, uint32_t flags)
{
	struct dmaheap_helper_pool req = {
		.max_bytes = max_bytes,
		.flags = flags,
	};

	return ioctl(fd, DMAHEAP_HELPER_IOC_POOL, &req) < 0 ? -errno : 0;
}

int helper_memcg_pools(int fd, struct dmaheap_helper_memcg_pool *e,
		       unsigned int n, unsigned int *ret_count)
{
	struct dmaheap_helper_memcg_pools req = {
		.entries = (uint64_t)(uintptr_t)e,
		.count = n,
	};

	if (ioctl(fd, DMAHEAP_HELPER_IOC_MEMCG_POOLS, &req) < 0)
		return -errno;
	*ret_count = req.count;
	return 0;
}

int helper_region_add(int fd, uint64_t base, uint64_t size, uint32_t *ret_id)
{
	struct dmaheap_helper_region req = { .base = base, .size = size };

	if (ioctl(fd, DMAHEAP_HELPER_IOC_REGION_ADD, &req) < 0)
		return -errno;
	*ret_id = req.id;
	return 0;
}
