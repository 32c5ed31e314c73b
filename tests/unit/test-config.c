// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/config.c: defaults, heap names, the heap list, kinds,
 * origins and diagnostics.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
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
	/* Charged buffers, and 64 MiB kept ahead in their cgroups' pools. */
	assert_true(c.charge_clients);
	assert_int_equal(c.pool_size, DH_POOL_SIZE_DEFAULT);
	assert_int_equal(DH_POOL_SIZE_DEFAULT, 64 << 20);
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

	for (i = 0; i < ARRAY_SIZE(good); i++)
		assert_int_equal(heap_name_check(good[i]), 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
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

static void test_kinds(void **state)
{
	enum heap_kind k = HEAP_KIND_SYSTEM;

	assert_int_equal(HEAP_KIND_SYSTEM, DMAHEAP_HELPER_KIND_SYSTEM);
	assert_string_equal(heap_kind_name(HEAP_KIND_SYSTEM), "system");
	assert_string_equal(heap_kind_name(HEAP_KIND_CONTIGUOUS), "contiguous");
	assert_string_equal(heap_kind_name(HEAP_KIND_REGION), "region");
	assert_string_equal(heap_kind_name((enum heap_kind)7), "unknown");
	assert_int_equal(heap_kind_from_string("region", &k), 0);
	assert_int_equal(k, HEAP_KIND_REGION);
	assert_int_equal(heap_kind_from_string("contiguous", &k), 0);
	assert_int_equal(k, HEAP_KIND_CONTIGUOUS);
	assert_int_equal(heap_kind_from_string("system", &k), 0);
	assert_int_equal(k, HEAP_KIND_SYSTEM);
	assert_int_equal(heap_kind_from_string("System", &k), -EINVAL);
	assert_int_equal(heap_kind_from_string("cma", &k), -EINVAL);
	assert_int_equal(k, HEAP_KIND_SYSTEM);
}

static char last_warning[DH_ERROR_MAX];

static void save_warning(void *userdata, const char *msg)
{
	snprintf(last_warning, sizeof(last_warning), "%s|%s",
		 (const char *)userdata, msg);
}

static void test_origins(void **state)
{
	struct config c;
	struct config_diag d = { .warn = save_warning, .userdata = "u" };
	struct config_origin o = { 0 };
	char buf[64], path[DH_PATH_MAX + 1];
	unsigned int file = 0;
	int i;

	config_init(&c);
	assert_int_equal(config_add_file(&c, "/etc/dmaheapd.conf", &file), 0);
	assert_int_equal(file, 1);
	o = (struct config_origin){ .file = file, .line = 7 };
	assert_string_equal(config_origin_file(&c, o), "/etc/dmaheapd.conf");
	assert_string_equal(config_origin_str(&c, o, buf, sizeof(buf)),
			    "/etc/dmaheapd.conf:7");
	assert_int_equal(config_fail(&d, &c, o, "bad %s", "thing"), -EINVAL);
	assert_string_equal(d.error, "/etc/dmaheapd.conf:7: bad thing");
	config_warn(&d, &c, o, "odd %d", 3);
	assert_string_equal(last_warning, "u|/etc/dmaheapd.conf:7: odd 3");
	assert_int_equal(d.n_warnings, 1);

	o.file = 0;
	assert_string_equal(config_origin_str(&c, o, buf, sizeof(buf)),
			    "command line");
	config_finish(&c);
	assert_int_equal(c.heaps[0].origin.file, CONFIG_ORIGIN_DEFAULT);
	assert_string_equal(config_origin_str(&c, c.heaps[0].origin, buf,
					      sizeof(buf)),
			    "built-in default");

	memset(path, 'a', DH_PATH_MAX);
	path[DH_PATH_MAX] = '\0';
	assert_int_equal(config_add_file(&c, path, &file), -ENAMETOOLONG);
	path[DH_PATH_MAX - 1] = '\0';
	assert_int_equal(config_add_file(&c, path, &file), 0);
	assert_int_equal(file, 2);
	for (i = 2; i < DH_FILES_MAX; i++)
		assert_int_equal(config_add_file(&c, "f", &file), 0);
	assert_int_equal(file, DH_FILES_MAX);
	assert_int_equal(config_add_file(&c, "f", &file), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_given_heaps_replace_default),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_origins),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
