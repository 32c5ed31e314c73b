/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's configuration: which heaps to serve and where the devices
 * are. Pure: no I/O, no logging. conffile.c fills it from configuration
 * files, names.c checks the names in it.
 */
#ifndef DMAHEAPD_CONFIG_H
#define DMAHEAPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>

#include "dmaheap-helper.h"

#define DH_HEAP_NAME_MAX	64
#define DH_HEAPS_MAX		32
#define DH_ALIASES_MAX		8	/* Alias= and LegacyAlias= of one heap */
#define DH_FILES_MAX		64	/* configuration files read */
#define DH_PATH_MAX		256
#define DH_ERROR_MAX		512
#define DH_DEFAULT_HEAP		"system"
/* PoolSize=: the helper's pool of zeroed pages (docs/pool.md). */
#define DH_POOL_SIZE_DEFAULT	(UINT64_C(64) << 20)

/*
 * Kinds as the configuration names them; main.c picks the helper kind that
 * serves each on the running kernel (contiguous: CMA or page allocator).
 */
enum heap_kind {
	HEAP_KIND_SYSTEM = DMAHEAP_HELPER_KIND_SYSTEM,
	HEAP_KIND_CONTIGUOUS = 1,
	HEAP_KIND_REGION = 2,
};

/*
 * Where a setting comes from: line @line of config.files[@file - 1].
 * @file 0 is the command line, CONFIG_ORIGIN_DEFAULT the default heap of
 * config_finish(); @line 0 means "not set".
 */
#define CONFIG_ORIGIN_DEFAULT	UINT_MAX

struct config_origin {
	unsigned int file;
	unsigned int line;
};

struct heap_alias {
	char name[DH_HEAP_NAME_MAX + 1];
	bool legacy;		/* LegacyAlias=: exempt from the allocator rule */
	struct config_origin origin;
};

struct heap_config {
	char name[DH_HEAP_NAME_MAX + 1];
	enum heap_kind kind;
	struct heap_alias aliases[DH_ALIASES_MAX];
	size_t n_aliases;
	bool legacy_node;	/* contiguous: also the kernel's legacy node */
	uint64_t base;		/* region: physical address, 2 MiB aligned */
	uint64_t size;		/* region: bytes, 2 MiB aligned, > 0 */
	/* The policy keys (quotas, users, ...) join here. */

	struct config_origin origin;		/* first Name= */
	struct config_origin kind_origin;	/* the keys that set them, */
	struct config_origin legacy_node_origin; /* line 0 if never set */
	struct config_origin base_origin;
	struct config_origin size_origin;
};

struct config {
	struct heap_config heaps[DH_HEAPS_MAX];
	size_t n_heaps;
	bool debug;
	uint64_t pool_size;		/* bytes of zeroed pages in the helper */
	struct config_origin pool_size_origin;
	const char *helper_path;	/* /dev/dmaheap-helper */
	const char *cuse_path;		/* /dev/cuse */
	const char *dev_dir;		/* /dev: nodes are dev_dir/dma_heap/NAME */
	/* Testing only: what to do after the helper allocated. */
	enum fault { FAULT_NONE, FAULT_REPLY_ERROR, FAULT_REPLY_DELAY } fault;
	/* The files settings came from, for struct config_origin. */
	char files[DH_FILES_MAX][DH_PATH_MAX];
	size_t n_files;
};

/*
 * Errors and warnings of the parser and the name checks, for the caller to
 * log. @warn (may be NULL) gets each warning as "FILE:LINE: text"; on
 * failure @error holds "FILE:LINE: reason".
 */
struct config_diag {
	void (*warn)(void *userdata, const char *msg);
	void *userdata;
	unsigned int n_warnings;
	char error[DH_ERROR_MAX];
};

void config_init(struct config *c);
/*
 * A heap from the command line. @kind: a HEAP_KIND_* (an int, so that the
 * equal DMAHEAP_HELPER_KIND_SYSTEM passes too). -EINVAL: bad name;
 * -EEXIST: served twice; -E2BIG: too many heaps.
 */
int config_add_heap(struct config *c, const char *name, int kind);
/* With no heap configured, serve the default one. */
void config_finish(struct config *c);
/* 0 if @name can be a single node below /dev/dma_heap, else -EINVAL. */
int heap_name_check(const char *name);

struct heap_config *config_find_heap(struct config *c, const char *name);
/* "system", "contiguous", "region"; heap_kind_from_string: -EINVAL. */
const char *heap_kind_name(enum heap_kind kind);
int heap_kind_from_string(const char *s, enum heap_kind *ret_kind);

/*
 * The rules between keys, once every file is read: Base=/Size= only and
 * both on region heaps, LegacyNode= only on contiguous ones, no overflow.
 * 0 or -EINVAL with d->error set.
 */
int config_check(const struct config *c, struct config_diag *d);

/* Remember @path as a source of settings; its number for config_origin. */
int config_add_file(struct config *c, const char *path,
		    unsigned int *ret_file);
/* The file of @o, or "command line". */
const char *config_origin_file(const struct config *c, struct config_origin o);
/* "FILE:LINE" (or "command line") into @buf. */
const char *config_origin_str(const struct config *c, struct config_origin o,
			      char *buf, size_t size);

/* Set d->error to "FILE:LINE: " and the message, return -EINVAL. */
int config_fail(struct config_diag *d, const struct config *c,
		struct config_origin o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Pass "FILE:LINE: " and the message to d->warn. */
void config_warn(struct config_diag *d, const struct config *c,
		 struct config_origin o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
