/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The list of dmaheapd's nodes beside its control socket, and
 * `dmaheapd --mark-nodes`, which marks them for udev from outside the
 * daemon's sandbox (docs/udev.md).
 */
#ifndef DMAHEAPD_MARKNODES_H
#define DMAHEAPD_MARKNODES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/*
 * In the control socket's directory: "MAJOR:MINOR NAME" a line, with a
 * third field "seat" for a node of a heap with SeatAccess=yes.
 */
#define NODES_FILE		"nodes"
#define NODES_PATH_MAX		(DH_PATH_MAX + 16)
#define NODES_NAME_MAX		(DH_HEAP_NAME_MAX + 1)
/* Heaps and their legacy aliases. */
#define NODES_MAX		(DH_HEAPS_MAX * 2)
/*
 * How long --mark-nodes waits for udev to apply its rules. udev takes a
 * few milliseconds; at boot its queue may hold the coldplug.
 */
#define UDEV_WAIT_MS		30000

/* The list's path beside the control socket @control, into @buf. */
void nodes_file_path(const char *control, char *buf, size_t size);

#define NODES_SEAT		"seat"

/*
 * Replace the list at @path with @n nodes (atomically), @seats[i] for
 * SeatAccess=yes (@seats may be NULL: none). 0 or -errno.
 */
int nodes_file_write(const char *path, const dev_t *devs,
		     const char *const *names, const bool *seats, size_t n);

/*
 * Pure: one line of the list; a line of two fields (an older daemon's) is
 * a node without SeatAccess=. 0, or -EINVAL for one that is not a line.
 */
int nodes_file_parse_line(const char *line, dev_t *ret_dev, char *ret_name,
			  size_t size, bool *ret_seat);

/*
 * --mark-nodes: mark each node of the list at @path that is still
 * dmaheapd's, and wait for udev up to @timeout_ms. Logs what it did and
 * what it could not; 0, or -errno if the list cannot be read.
 */
int mark_nodes(const char *path, int timeout_ms);

#endif
