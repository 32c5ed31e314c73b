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
/* AllowUsers=, AllowGroups=: entries per list (docs/policy.md). */
#define DH_IDS_MAX		32
#define DH_ID_NAME_MAX		32
/* A Max*= limit that is not set. */
#define DH_NO_LIMIT		UINT64_MAX
/*
 * PoolSize=: what the helper keeps ahead in zeroed pages, in all
 * (docs/pool.md): the pools of the memory cgroups with ChargeClients=yes,
 * each at most a quarter of it; the one uncharged pool with
 * ChargeClients=no.
 */
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

/* A user or group of AllowUsers=, AllowGroups=, ControlGroup=. */
struct config_id {
	char name[DH_ID_NAME_MAX + 1];	/* as written: a name or a number */
	uint32_t id;			/* valid once resolved */
	bool resolved;
	struct config_origin origin;
};

/*
 * The limits of a heap, DH_NO_LIMIT where unset: MaxBufferSize=,
 * MaxBytesPerUser=, MaxBytesPerProcess=, MaxBytes=.
 */
enum heap_limit {
	LIMIT_BUFFER_SIZE,
	LIMIT_BYTES_PER_USER,
	LIMIT_BYTES_PER_PROCESS,
	LIMIT_BYTES,
	_LIMIT_MAX,
};

/*
 * KernelHeaps=: what to do when the kernel has a heap of a name dmaheapd is
 * to serve. move: rename the kernel's node to DEV/dma_heap-kernel/NAME while
 * dmaheapd serves the name, and back when it stops (docs/kernel-heaps.md);
 * keep: leave it, and refuse the name.
 */
enum kernel_heaps {
	KERNEL_HEAPS_MOVE,
	KERNEL_HEAPS_KEEP,
};

struct heap_config {
	char name[DH_HEAP_NAME_MAX + 1];
	enum heap_kind kind;
	struct heap_alias aliases[DH_ALIASES_MAX];
	size_t n_aliases;
	bool legacy_node;	/* contiguous: also the kernel's legacy node */
	uint64_t base;		/* region: physical address, 2 MiB aligned */
	uint64_t size;		/* region: bytes, 2 MiB aligned, > 0 */
	/* Policy: who may open the heap's nodes (no entry: anybody). */
	struct config_id allow_users[DH_IDS_MAX];
	size_t n_allow_users;
	struct config_id allow_groups[DH_IDS_MAX];
	size_t n_allow_groups;
	uint64_t limits[_LIMIT_MAX];
	struct config_origin limit_origins[_LIMIT_MAX];
	/*
	 * SeatAccess=: udev tags the nodes uaccess, so that logind gives the
	 * user at the seat an ACL on them (docs/udev.md). Needs
	 * ChargeClients=yes and a finite MaxBytesPerUser= (config_check()).
	 */
	bool seat_access;
	/*
	 * ConditionCMA=: serve the heap only where the kernel has a default
	 * CMA area; elsewhere it is dropped with a notice (confcheck.c), so
	 * that one file serves machines with and without one.
	 */
	bool condition_cma;

	struct config_origin origin;		/* first Name= */
	struct config_origin kind_origin;	/* the keys that set them, */
	struct config_origin legacy_node_origin; /* line 0 if never set */
	struct config_origin base_origin;
	struct config_origin size_origin;
	struct config_origin seat_access_origin;
	struct config_origin condition_cma_origin;
};

struct config {
	struct heap_config heaps[DH_HEAPS_MAX];
	size_t n_heaps;
	bool debug;
	uint64_t pool_size;		/* PoolSize=: zeroed pages kept ahead */
	struct config_origin pool_size_origin;
	bool charge_clients;		/* ChargeClients=, default yes */
	struct config_origin charge_clients_origin;
	struct config_id control_group;	/* ControlGroup=; origin line 0: none */
	enum kernel_heaps kernel_heaps;	/* KernelHeaps=, default move */
	struct config_origin kernel_heaps_origin;
	const char *helper_path;	/* /dev/dmaheap-helper */
	const char *cuse_path;		/* /dev/cuse */
	const char *dev_dir;		/* /dev: nodes are dev_dir/dma_heap/NAME */
	/* Testing only: what to do after the helper allocated. */
	enum fault {
		FAULT_NONE, FAULT_REPLY_ERROR, FAULT_REPLY_DELAY, FAULT_FILL_DELAY
	} fault;
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

/* Node @alias of heap @hc: 0 is its name, 1 to n_aliases its aliases. */
const char *heap_node_name(const struct heap_config *hc, size_t alias);
struct heap_config *config_find_heap(struct config *c, const char *name);
/* Heap @i of @c removed, the heaps after it moved up. */
void config_drop_heap(struct config *c, size_t i);
/* A heap with the defaults: kind system, no aliases, no rules. */
void heap_config_init(struct heap_config *h, const char *name);
/* "MaxBufferSize" and so on: the key of a limit. */
const char *heap_limit_key(enum heap_limit l);

/*
 * Names to ids: each user or group of the configuration that is not a
 * number, through @lookup_user and @lookup_group (0, -ENOENT if there is
 * no such name, or another negative errno). 0 or -EINVAL with d->error.
 */
typedef int (*config_lookup_t)(const char *name, uint32_t *ret_id);
int config_resolve_ids(struct config *c, config_lookup_t lookup_user,
		       config_lookup_t lookup_group, struct config_diag *d);
/* "move", "keep"; kernel_heaps_from_string: -EINVAL. */
const char *kernel_heaps_name(enum kernel_heaps k);
int kernel_heaps_from_string(const char *s, enum kernel_heaps *ret);
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
