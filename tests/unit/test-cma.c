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

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	strcpy(root, "/tmp/test-cma.XXXXXX");
	assert_non_null(mkdtemp(root));
	dir("proc");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_no_cma(void **state)
{
	char name[64];
	uint64_t bytes;

	put("proc/meminfo", "MemTotal:  1000 kB\n");
	assert_int_equal(cma_default_area(root, name, sizeof(name), &bytes),
			 -ENOENT);
	put("proc/meminfo", "MemTotal:  1000 kB\nCmaTotal:  0 kB\n");
	assert_int_equal(cma_default_area(root, name, sizeof(name), &bytes),
			 -ENOENT);
}

static void test_cmdline_area(void **state)
{
	char name[64];
	uint64_t bytes;

	put("proc/meminfo", "MemTotal: 1000 kB\nCmaTotal:  65536 kB\nCmaFree: 1 kB\n");
	assert_int_equal(cma_default_area(root, name, sizeof(name), &bytes), 0);
	assert_string_equal(name, "reserved");
	assert_int_equal(bytes, 64ull << 20);
}

static void test_device_tree_area(void **state)
{
	char name[64];
	uint64_t bytes;

	put("proc/meminfo", "CmaTotal:  32768 kB\n");
	dir("proc/device-tree");
	dir("proc/device-tree/reserved-memory");
	dir("proc/device-tree/reserved-memory/ramoops@9ff00000");
	dir("proc/device-tree/reserved-memory/linux,cma");
	assert_int_equal(cma_default_area(root, name, sizeof(name), &bytes), 0);
	assert_string_equal(name, "reserved");	/* no linux,cma-default yet */
	put("proc/device-tree/reserved-memory/linux,cma/linux,cma-default", "");
	assert_int_equal(cma_default_area(root, name, sizeof(name), &bytes), 0);
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
		cmocka_unit_test_setup_teardown(test_no_cma, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmdline_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_tree_area, setup,
						teardown),
		cmocka_unit_test(test_no_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
