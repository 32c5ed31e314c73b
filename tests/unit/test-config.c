// SPDX-License-Identifier: GPL-2.0
/* Unit tests of daemon/config.c: defaults, heap names, the heap list. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static void test_defaults(void **state)
{
	struct config c;

	config_init(&c);
	assert_int_equal(c.n_heaps, 0);
	assert_false(c.debug);
	assert_string_equal(c.helper_path, "/dev/dmaheap-helper");
	assert_string_equal(c.cuse_path, "/dev/cuse");
	assert_string_equal(c.dev_dir, "/dev");
	config_finish(&c);
	assert_int_equal(c.n_heaps, 1);
	assert_string_equal(c.heaps[0].name, "system");
	assert_int_equal(c.heaps[0].kind, DMAHEAP_HELPER_KIND_SYSTEM);
}

static void test_given_heaps_replace_default(void **state)
{
	struct config c;

	config_init(&c);
	assert_int_equal(config_add_heap(&c, "video@42000000", 0), 0);
	config_finish(&c);
	assert_int_equal(c.n_heaps, 1);
	assert_string_equal(c.heaps[0].name, "video@42000000");
}

static void test_names(void **state)
{
	static const char *const good[] = {
		"system", "default_cma_region", "linux,cma", "default-pool",
		"memory@42000000-contiguous", "a", "A.b+c",
	};
	static const char *const bad[] = {
		"", ".", "..", "a/b", "/system", "sys tem", "heap\n", "x:y",
		"caf\xc3\xa9",
		"01234567890123456789012345678901234567890123456789012345678901234",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(heap_name_check(good[i]), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(heap_name_check(bad[i]), -EINVAL);
	/* exactly the longest allowed */
	assert_int_equal(heap_name_check(
		"0123456789012345678901234567890123456789012345678901234567890123"),
		0);
}

static void test_add_errors(void **state)
{
	struct config c;
	char name[16];
	int i;

	config_init(&c);
	assert_int_equal(config_add_heap(&c, "a/b", 0), -EINVAL);
	assert_int_equal(config_add_heap(&c, "one", 0), 0);
	assert_int_equal(config_add_heap(&c, "one", 0), -EEXIST);
	for (i = 1; i < DH_HEAPS_MAX; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		assert_int_equal(config_add_heap(&c, name, 0), 0);
	}
	assert_int_equal(config_add_heap(&c, "onemore", 0), -E2BIG);
	assert_int_equal(c.n_heaps, DH_HEAPS_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_given_heaps_replace_default),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_add_errors),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
