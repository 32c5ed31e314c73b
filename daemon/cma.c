// SPDX-License-Identifier: GPL-2.0
/*
 * Finds the default CMA area from /proc. The kernel exports neither the
 * area nor its name to modules, so this is the daemon's job. The legacy name
 * follows how the area was declared, as the kernel's CMA heap does with
 * DMABUF_HEAPS_CMA_LEGACY: cma_get_name() of the default area.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cma.h"

/* cma= and CONFIG_CMA_SIZE_* name the area "reserved" (contiguous.c). */
#define CMA_CMDLINE_NAME	"reserved"

static int cma_total(const char *root, uint64_t *bytes)
{
	char path[4096], line[256];
	uint64_t kib;
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/meminfo", root);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CmaTotal: %" SCNu64 " kB", &kib) == 1) {
			*bytes = kib * 1024;
			r = kib ? 0 : -ENOENT;
			break;
		}
	fclose(f);
	return r;
}

/* A reserved-memory node with linux,cma-default: its name, or -ENOENT. */
static int cma_dt_name(const char *root, char *name, size_t name_size)
{
	char dir[4096], prop[8192];
	struct dirent *e;
	int r = -ENOENT;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/proc/device-tree/reserved-memory", root);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(prop, sizeof(prop), "%s/%s/linux,cma-default", dir,
			 e->d_name);
		if (access(prop, F_OK) == 0) {
			snprintf(name, name_size, "%s", e->d_name);
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

int cma_default_area(const char *root, char *name, size_t name_size,
		     uint64_t *bytes)
{
	int r;

	r = cma_total(root, bytes);
	if (r < 0)
		return r;
	if (cma_dt_name(root, name, name_size) < 0)
		snprintf(name, name_size, "%s", CMA_CMDLINE_NAME);
	return 0;
}
