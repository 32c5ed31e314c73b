/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's configuration: which heaps to serve and where the devices
 * are. Pure: no I/O, no logging.
 */
#ifndef DMAHEAPD_CONFIG_H
#define DMAHEAPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "dmaheap-helper.h"

#define DH_HEAP_NAME_MAX	64
#define DH_HEAPS_MAX		32
#define DH_DEFAULT_HEAP		"system"

struct heap_config {
	char name[DH_HEAP_NAME_MAX + 1];
	enum dmaheap_helper_kind kind;
};

struct config {
	struct heap_config heaps[DH_HEAPS_MAX];
	size_t n_heaps;
	bool debug;
	const char *helper_path;	/* /dev/dmaheap-helper */
	const char *cuse_path;		/* /dev/cuse */
	const char *dev_dir;		/* /dev: nodes are dev_dir/dma_heap/NAME */
	/* Testing only: what to do after the helper allocated. */
	enum fault { FAULT_NONE, FAULT_REPLY_ERROR, FAULT_REPLY_DELAY } fault;
};

void config_init(struct config *c);
/* -EINVAL: bad name; -EEXIST: served twice; -E2BIG: too many heaps. */
int config_add_heap(struct config *c, const char *name,
		    enum dmaheap_helper_kind kind);
/* With no heap configured, serve the default one. */
void config_finish(struct config *c);
/* 0 if @name can be a single node below /dev/dma_heap, else -EINVAL. */
int heap_name_check(const char *name);

#endif
