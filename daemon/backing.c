// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's setup: the module opened and checked, its pools sized, and
 * each heap's helper kind resolved on this kernel, its region claimed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "backing.h"
#include "cgroup.h"
#include "cma.h"
#include "helper.h"
#include "log.h"
#include "macro.h"

/*
 * A package upgrade installs a new module but cannot unload the loaded one
 * while buffers it exported are alive (docs/packaging.md): say so when the
 * loaded module is not this dmaheapd's version. Builds outside Meson and
 * DKMS have no version ("unknown"): nothing to compare.
 */
static void backing_check_version(void)
{
	char v[64] = "";
	FILE *f;

	f = fopen("/sys/module/" DH_HELPER_MODULE "/version", "re");
	if (!f)
		return;
	if (!fgets(v, sizeof(v), f))
		v[0] = '\0';
	fclose(f);
	v[strcspn(v, "\n")] = '\0';
	if (!v[0] || !strcmp(v, "unknown") || !strcmp(v, DMAHEAPD_VERSION))
		return;
	log_notice("the loaded %s module is version %s, this dmaheapd %s: the installed module takes effect once the loaded one is unloaded, when no buffer it made is alive (systemctl stop dmaheapd; modprobe -r %s; systemctl start dmaheapd), or at the next boot",
		   DH_HELPER_MODULE, v, DMAHEAPD_VERSION, DH_HELPER_MODULE);
}

int backing_open_helper(const struct config *c,
			struct dmaheap_helper_info *ret_info)
{
	struct dmaheap_helper_info info;
	int fd;

	fd = helper_open(c->helper_path, &info);
	switch (fd) {
	case -ENOENT:
	case -ENXIO:
	case -ENODEV:
		return log_errno(LOG_ERR, fd,
				 "cannot open %s: %m; load the helper module: modprobe %s",
				 c->helper_path, DH_HELPER_MODULE);
	case -EBUSY:
		return log_errno(LOG_ERR, fd,
				 "cannot open %s: %m; another dmaheapd is running",
				 c->helper_path);
	case -EPERM:
	case -EACCES:
		return log_errno(LOG_ERR, fd,
				 "cannot open %s: %m; dmaheapd needs root (CAP_SYS_ADMIN)",
				 c->helper_path);
	case -EPROTO:
		return log_errno(LOG_ERR, fd,
				 "%s speaks another helper version than %d; install the %s module built with this dmaheapd",
				 c->helper_path, DMAHEAP_HELPER_VERSION,
				 DH_HELPER_MODULE);
	default:
		if (fd < 0)
			return log_errno(LOG_ERR, fd, "cannot open %s: %m",
					 c->helper_path);
	}
	if (!(info.features & DMAHEAP_HELPER_FEATURE_SYSTEM)) {
		close(fd);
		return log_errno(LOG_ERR, -EOPNOTSUPP,
				 "the %s module cannot allocate system heap buffers",
				 DH_HELPER_MODULE);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	backing_check_version();
	*ret_info = info;
	return fd;
}

/* Where PoolSize= comes from, for messages: "FILE:LINE" or "default". */
static void pool_where(const struct config *c, char *where, size_t size)
{
	snprintf(where, size, "default");
	if (c->pool_size_origin.line)
		config_origin_str(c, c->pool_size_origin, where, size);
}

static int pool_too_big(const struct config *c)
{
	char where[DH_PATH_MAX + 32];

	pool_where(c, where, sizeof(where));
	return log_errno(LOG_ERR, -EINVAL,
			 "%s: PoolSize=%" PRIu64 " is more than half of this machine's memory",
			 where, c->pool_size);
}

int backing_pool_check(const struct config *c)
{
	struct sysinfo si;

	/* Unknown here: the helper checks it anyway. */
	if (sysinfo(&si) < 0)
		return 0;
	/* The helper's bound: half of totalram_pages(), sysinfo()'s totalram. */
	if (c->pool_size > (uint64_t)si.totalram * si.mem_unit / 2)
		return pool_too_big(c);
	return 0;
}

int backing_pool(const struct config *c, int helper_fd)
{
	char where[DH_PATH_MAX + 32];
	uint32_t flags = 0;
	int r;

	pool_where(c, where, sizeof(where));
	/* Charged buffers take only from their own cgroup's pool. */
	if (c->charge_clients)
		flags |= DMAHEAP_HELPER_POOL_PER_MEMCG;
	if (c->charge_clients && !cgroup_kmem_charged("/proc/cmdline"))
		log_warning("ChargeClients=yes, but the kernel was booted with cgroup.memory=nokmem: it charges no kernel memory to memory cgroups, and buffers are charged to nobody");
	r = helper_pool(helper_fd, c->pool_size, flags);
	if (r == -ENOTTY) {
		log_warning("the %s module has no pool of zeroed pages; PoolSize= ignored",
			    DH_HELPER_MODULE);
		return 0;
	}
	if (r == -EINVAL)
		return pool_too_big(c);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot size the pool: %m");
	if (!c->pool_size)
		log_debug("pools of zeroed pages: off (%s)", where);
	else if (flags & DMAHEAP_HELPER_POOL_PER_MEMCG)
		log_debug("pools of zeroed pages, one per memory cgroup of charged buffers: %" PRIu64 " bytes in all, %" PRIu64 " at most for one (%s)",
			  c->pool_size, c->pool_size / 4, where);
	else
		log_debug("pool of zeroed pages for uncharged buffers: %" PRIu64 " bytes (%s)",
			  c->pool_size, where);
	return 0;
}

static int claim_region(const struct config *c, const struct heap_config *hc,
			int helper_fd, uint32_t *ret_id)
{
	char where[DH_PATH_MAX + 16];
	int r;

	config_origin_str(c, hc->base_origin, where, sizeof(where));
	r = helper_region_add(helper_fd, hc->base, hc->size, ret_id);
	switch (r) {
	case 0:
		log_info("heap \"%s\": region 0x%" PRIx64 "-0x%" PRIx64
			 " (%" PRIu64 " MiB)", hc->name, hc->base,
			 hc->base + hc->size - 1, hc->size >> 20);
		return 0;
	case -EADDRNOTAVAIL:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M is ordinary RAM or was not reserved at boot; keep it from the kernel with memmap=%" PRIu64 "M$0x%" PRIx64,
				 where, hc->name, hc->base, hc->size >> 20,
				 hc->size >> 20, hc->base);
	case -ENXIO:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M is not RAM in the firmware's memory map (/sys/firmware/memmap): device or firmware memory is never a region; set aside RAM with memmap=SIZE$BASE",
				 where, hc->name, hc->base, hc->size >> 20);
	case -EBUSY:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M overlaps a range another region or driver already claimed",
				 where, hc->name, hc->base, hc->size >> 20);
	case -EPERM:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": the kernel is locked down (/sys/kernel/security/lockdown): no region can be claimed, as /dev/mem cannot be opened",
				 where, hc->name);
	case -EINVAL:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": the helper refuses 0x%" PRIx64 "+%" PRIu64 "M: a region is 2 MiB aligned and smaller than 16 TiB",
				 where, hc->name, hc->base, hc->size >> 20);
	case -EOPNOTSUPP:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": this helper has no region kind: the kernel has no ZONE_DEVICE memory or does not let modules read the firmware's memory map (7.2 and later, and every kernel but x86's: docs/heap-kinds.md)",
				 where, hc->name);
	default:
		return log_errno(LOG_ERR, r, "%s: heap \"%s\": cannot claim the region: %m",
				 where, hc->name);
	}
}

/* The helper kind that serves @hc on this kernel, and its region. */
static int resolve_kind(const struct config *c, const struct heap_config *hc,
			const struct dmaheap_helper_info *info, int helper_fd,
			struct backing *ret)
{
	char area[DH_HEAP_NAME_MAX + 1];
	uint64_t cma_bytes;

	ret->region = 0;
	ret->max_len = 0;
	switch (hc->kind) {
	case HEAP_KIND_SYSTEM:
		ret->kind = DMAHEAP_HELPER_KIND_SYSTEM;
		return 0;
	case HEAP_KIND_CONTIGUOUS:
		if (info->features &
		    DMAHEAP_HELPER_FEATURE(DMAHEAP_HELPER_KIND_CMA) &&
		    cma_default_area("/", area, sizeof(area), &cma_bytes) == 0) {
			ret->kind = DMAHEAP_HELPER_KIND_CMA;
			ret->max_len = cma_bytes;
			log_info("heap \"%s\": contiguous, from the default CMA area (%" PRIu64 " MiB)",
				 hc->name, cma_bytes >> 20);
			return 0;
		}
		ret->kind = DMAHEAP_HELPER_KIND_CONTIGUOUS;
		ret->max_len = info->contig_max;
		log_info("heap \"%s\": contiguous, from the page allocator (no CMA area, or the helper offers no CMA kind here: docs/heap-kinds.md): at most %" PRIu64 " KiB a buffer",
			 hc->name, (uint64_t)info->contig_max >> 10);
		return 0;
	case HEAP_KIND_REGION:
		ret->kind = DMAHEAP_HELPER_KIND_REGION;
		ret->max_len = hc->size;
		return claim_region(c, hc, helper_fd, &ret->region);
	}
	return -EINVAL;
}

int backing_resolve(const struct config *c,
		    const struct dmaheap_helper_info *info, int helper_fd,
		    struct backing *ret)
{
	size_t i;
	int r;

	for (i = 0; i < c->n_heaps; i++) {
		r = resolve_kind(c, &c->heaps[i], info, helper_fd, &ret[i]);
		if (r < 0)
			return r;
	}
	return 0;
}
