/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every file may use. */
#ifndef DMAHEAPD_MACRO_H
#define DMAHEAPD_MACRO_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The project's version, from meson.build (the build's -D). */
#ifndef DMAHEAPD_VERSION
#define DMAHEAPD_VERSION "unknown"
#endif

/* The index of @s in the table of names @names (@n of them), or -EINVAL. */
static inline int name_index(const char *const *names, size_t n,
			     const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i]))
			return (int)i;
	return -EINVAL;
}

#endif
