/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What dmaheapctl shows: the heaps with their properties, limits and live
 * usage, the live buffers grouped, the counters. Text tables or JSON, to a
 * stdio stream; no I/O of its own (but the time zone, for a date).
 */
#ifndef DMAHEAPD_REPORT_H
#define DMAHEAPD_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "node.h"
#include "ledger.h"

/*
 * One row per heap of @nodes (a heap's aliases are its other nodes).
 * @kept_ahead: the bytes of zeroed pages the helper keeps for the heaps of
 * kind SYSTEM (AHEAD, "kept_ahead"; "-" and null for the other kinds).
 */
void report_heaps(FILE *out, bool json, struct node *const *nodes, size_t n,
		  struct ledger *l, uint64_t ram_bytes, uint64_t kept_ahead);

enum report_by { BY_PROCESS, BY_UID, BY_HEAP, BY_BUFFER };
/* "process", "uid", "heap", "buffer": 0, or -EINVAL. */
int report_by_from_string(const char *s, enum report_by *ret);
/* "process, uid, heap or buffer", for messages. */
void report_by_choices(char *buf, size_t size);
/* @names as "a, b or c" into @buf, for messages. */
void report_choices(char *buf, size_t size, const char *const *names,
		    size_t n);
/* Live buffers grouped @by, biggest first; -ENOMEM. */
int report_buffers(FILE *out, bool json, enum report_by by, struct ledger *l);

/* A name and a number, for report_status(). */
struct report_counter {
	const char *name;
	uint64_t value;
	bool is_time;	/* seconds since the epoch: a date in text */
};

/* A memory cgroup's pool of zeroed pages, for report_status(). */
struct report_memcg_pool {
	const char *cgroup;	/* "/..." below the cgroup2 mount; NULL: unknown */
	uint64_t cgroup_ino;	/* 0: a kernel without a memory controller */
	uint64_t bytes;		/* kept now */
	uint64_t target;	/* refilled to */
	uint64_t hits;
	uint64_t misses;
};

/*
 * @n counters: "name value" lines, aligned, or a JSON object of numbers.
 * Then, unless @pools is NULL (a helper that does not list them), the
 * @n_pools pools kept per memory cgroup: in text a table after a blank
 * line, one line per cgroup (nothing when there are none); in JSON the
 * array "memcg_pools", one object per cgroup.
 */
void report_status(FILE *out, bool json, const struct report_counter *c,
		   size_t n, const struct report_memcg_pool *pools,
		   size_t n_pools);

/* @seconds since the epoch as a local date and time, "-" for 0. */
const char *report_time(uint64_t seconds, char *buf, size_t size);

/* @s as a JSON string, quoted and escaped. */
void report_json_string(FILE *out, const char *s);

/* 64M, 12K, 5000: exact, with the largest binary suffix that divides. */
const char *report_size(uint64_t bytes, char *buf, size_t size);

#endif
