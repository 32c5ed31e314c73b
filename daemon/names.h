/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The naming convention of dma-buf heaps (Documentation/userspace-api/
 * dma-buf-heaps.rst, "Naming Convention"), enforced. Pure.
 */
#ifndef DMAHEAPD_NAMES_H
#define DMAHEAPD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The words that name an allocator or this implementation, NULL-terminated.
 * Matched case-insensitively against whole words of a name, which are split
 * at - _ @ . , + ("dma-buf" matches "dma_buf" too).
 */
extern const char *const name_implementation_words[];

/*
 * Check one heap name or alias of a heap of @kind (@base: its Base=, for
 * region heaps). @legacy: a LegacyAlias=, exempt from the allocator rule.
 * 0, or -EINVAL with a message in @ret_msg that quotes the rule broken and
 * suggests a name, e.g.
 *   "cma-video" mentions the allocator or the implementation ("cma"):
 *   "The name must not mention implementation details, such as the
 *   allocator."; try "video-contiguous"
 */
int name_check(const char *name, enum heap_kind kind, uint64_t base,
	       bool legacy, char *ret_msg, size_t size);

/* A name following the rules, close to @name; never empty. */
void name_suggest(const char *name, enum heap_kind kind, uint64_t base,
		  char *buf, size_t size);

/*
 * Every name and alias of @c: name_check() and no name twice. 0 or -EINVAL
 * with d->error "FILE:LINE: ..." (both places for a repeated name).
 */
int names_check_config(const struct config *c, struct config_diag *d);

/*
 * No name or alias of @c is one of the @n_existing node names (those
 * already in /dev/dma_heap, read by the caller). 0 or -EEXIST with
 * d->error set.
 */
int names_check_existing(const struct config *c, const char *const *existing,
			 size_t n_existing, struct config_diag *d);

#endif
