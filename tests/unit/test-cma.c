// SPDX-License-Identifier: GPL-2.0
/* Unit tests of daemon/cma.c over a fake /proc tree. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cma.h"
#include "unit-helpers.h"

static int setup(void **state)
{
	assert_int_equal(tree_setup(state), 0);
	tree_mkdir("proc");
	return 0;
}

static void test_no_cma(void **state)
{
	char name[64];
	uint64_t bytes;

	tree_put("proc/meminfo", "MemTotal:  1000 kB\n");
	assert_int_equal(cma_default_area(tree_root, name, sizeof(name), &bytes),
			 -ENOENT);
	tree_put("proc/meminfo", "MemTotal:  1000 kB\nCmaTotal:  0 kB\n");
	assert_int_equal(cma_default_area(tree_root, name, sizeof(name), &bytes),
			 -ENOENT);
}

static void test_cmdline_area(void **state)
{
	char name[64];
	uint64_t bytes;

	tree_put("proc/meminfo", "MemTotal: 1000 kB\nCmaTotal:  65536 kB\nCmaFree: 1 kB\n");
	assert_int_equal(cma_default_area(tree_root, name, sizeof(name), &bytes), 0);
	assert_string_equal(name, "reserved");
	assert_int_equal(bytes, 64ull << 20);
}

static void test_device_tree_area(void **state)
{
	char name[64];
	uint64_t bytes;

	tree_put("proc/meminfo", "CmaTotal:  32768 kB\n");
	tree_mkdir("proc/device-tree");
	tree_mkdir("proc/device-tree/reserved-memory");
	tree_mkdir("proc/device-tree/reserved-memory/ramoops@9ff00000");
	tree_mkdir("proc/device-tree/reserved-memory/linux,cma");
	assert_int_equal(cma_default_area(tree_root, name, sizeof(name), &bytes), 0);
	assert_string_equal(name, "reserved");	/* no linux,cma-default yet */
	tree_put("proc/device-tree/reserved-memory/linux,cma/linux,cma-default", "");
	assert_int_equal(cma_default_area(tree_root, name, sizeof(name), &bytes), 0);
	assert_string_equal(name, "linux,cma");
	assert_int_equal(bytes, 32ull << 20);
}

static void test_no_proc(void **state)
{
	char name[64];
	uint64_t bytes;

	assert_int_equal(cma_default_area("/nonexistent", name, sizeof(name),
					  &bytes), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_cma, setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_area, setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_device_tree_area, setup,
						tree_teardown),
		cmocka_unit_test(test_no_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
