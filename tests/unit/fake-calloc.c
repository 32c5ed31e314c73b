// SPDX-License-Identifier: GPL-2.0
/*
 * calloc() that fails on demand, for the tests linked with
 * -Wl,--wrap=calloc (tests/unit/meson.build): the daemon's own calls come
 * here, cmocka's and libc's do not. The next fake_calloc_fails calls fail
 * with ENOMEM; the others are the real calloc().
 */
#include <errno.h>
#include <stddef.h>

int fake_calloc_fails;

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

void *__wrap_calloc(size_t n, size_t size)
{
	if (fake_calloc_fails > 0) {
		fake_calloc_fails--;
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}
