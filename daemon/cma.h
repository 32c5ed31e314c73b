/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's default CMA area, as seen from userspace: whether there is
 * one, its size, and the name the kernel's CMA heap gives its legacy node.
 */
#ifndef DMAHEAPD_CMA_H
#define DMAHEAPD_CMA_H

#include <stddef.h>
#include <stdint.h>

/*
 * Look below @root ("/" on a live system). Returns 0 and fills @name (the
 * legacy node name: "reserved" when the area came from cma= or the
 * CMA_SIZE_* options, the device-tree node's name when a reserved-memory
 * node with linux,cma-default declared it) and @bytes; -ENOENT when there
 * is no CMA memory.
 */
int cma_default_area(const char *root, char *name, size_t name_size,
		     uint64_t *bytes);

#endif
