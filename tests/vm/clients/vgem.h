/* SPDX-License-Identifier: GPL-2.0 */
/* Finding the vgem device, for the clients that import into it. */
#ifndef DMAHEAPD_TEST_VGEM_H
#define DMAHEAPD_TEST_VGEM_H

#include <drm.h>

#include "common.h"

/* An fd of the vgem DRM device, or -1 if there is none. */
static inline int open_vgem(void)
{
	char path[32], name[16];
	int i, fd;

	for (i = 0; i < 16; i++) {
		struct drm_version v = { .name = name,
					 .name_len = sizeof(name) - 1 };

		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(name, 0, sizeof(name));
		if (ioctl(fd, DRM_IOCTL_VERSION, &v) == 0 &&
		    !strcmp(name, "vgem"))
			return fd;
		close(fd);
	}
	return -1;
}

#endif
