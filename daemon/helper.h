/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin wrapper over the dmaheap_helper module's ioctls: the only place the
 * daemon talks to the module, and the seam unit tests replace.
 */
#ifndef DMAHEAPD_HELPER_H
#define DMAHEAPD_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dmaheap-helper.h"

#define DH_HELPER_PATH	"/dev/" DMAHEAP_HELPER_DEVNAME
#define DH_HELPER_MODULE "dmaheap_helper"

/* Open @path and check the module's version; returns the fd or -errno. */
int helper_open(const char *path, struct dmaheap_helper_info *ret_info);
int helper_alloc(int fd, struct dmaheap_helper_alloc *req);
/*
 * The buffer of a deferred ALLOC @id for thread @tid: 0 or -errno. With
 * @error (a negative errno) none: the caller's ioctl returns @error.
 */
int helper_fill(int fd, uint64_t id, pid_t tid, int error);
/*
 * The helper's counter @name (DMAHEAP_HELPER_SYSFS/@name, root only): 0
 * when it cannot be read, as for a helper that does not have it.
 */
uint64_t helper_counter(const char *name);
/*
 * Up to @n release events into @ev, without waiting (@fd is O_NONBLOCK):
 * how many, 0 if none is queued, or -errno.
 */
ssize_t helper_events(int fd, struct dmaheap_helper_event *ev, size_t n);
/*
 * Size the helper's pools of zeroed pages: the uncharged one, or with
 * DMAHEAP_HELPER_POOL_PER_MEMCG in @flags those of the memory cgroups, all
 * together; -ENOTTY: a helper without pools.
 */
int helper_pool(int fd, uint64_t max_bytes, uint32_t flags);
/*
 * The pools kept per memory cgroup: up to @n of them into @e, how many
 * there are in @ret_count (may be more than @n); -ENOTTY: a helper that
 * does not list them.
 */
int helper_memcg_pools(int fd, struct dmaheap_helper_memcg_pool *e,
		       unsigned int n, unsigned int *ret_count);
/* Claim the physical range for kind REGION; its id in @ret_id. */
int helper_region_add(int fd, uint64_t base, uint64_t size,
		      uint32_t *ret_id);

#endif
