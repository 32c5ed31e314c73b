// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/cgroup.c: memory cgroups found by inode number in a
 * tree under /tmp standing for the cgroup2 mount, and that mount read
 * from a mountinfo file.
 */
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

#include "cgroup.h"
#include "macro.h"
#include "unit-helpers.h"

static uint64_t ino_of(const char *rel)
{
	struct stat st;

	assert_int_equal(lstat(tree_path(rel), &st), 0);
	return (uint64_t)st.st_ino;
}

/* A tree like the cgroup2 mount's: slices, a service, a scope, files. */
static void make_tree(void)
{
	tree_mkdir("user.slice");
	tree_mkdir("user.slice/user-1000.slice");
	tree_mkdir("user.slice/user-1000.slice/session-2.scope");
	tree_mkdir("system.slice");
	tree_mkdir("system.slice/dmaheapd.service");
	tree_put("cgroup.procs", "1\n");
	tree_put("user.slice/user-1000.slice/session-2.scope/memory.current",
		 "4096\n");
}

static void test_paths(void **state)
{
	uint64_t inos[5];
	char *paths[5];

	make_tree();
	inos[0] = ino_of("user.slice/user-1000.slice/session-2.scope");
	inos[1] = 0;			/* no memory controller */
	inos[2] = ino_of("system.slice/dmaheapd.service");
	inos[3] = ino_of(".");		/* the root cgroup */
	inos[4] = inos[0];		/* twice: found twice */
	assert_int_equal(cgroup_paths(tree_root, inos, 5, paths), 4);
	assert_string_equal(paths[0], "/user.slice/user-1000.slice/session-2.scope");
	assert_null(paths[1]);
	assert_string_equal(paths[2], "/system.slice/dmaheapd.service");
	assert_string_equal(paths[3], "/");
	assert_string_equal(paths[4], paths[0]);
	cgroup_paths_free(paths, 5);
	assert_null(paths[0]);

	/* The root given with a trailing slash: the same paths. */
	assert_int_equal(cgroup_paths(tree_path(""), inos, 3, paths), 2);
	assert_string_equal(paths[0], "/user.slice/user-1000.slice/session-2.scope");
	assert_string_equal(paths[2], "/system.slice/dmaheapd.service");
	cgroup_paths_free(paths, 3);
}

/* Files, symbolic links and unknown numbers are not cgroups. */
static void test_not_found(void **state)
{
	uint64_t inos[3];
	char *paths[3];

	make_tree();
	assert_int_equal(symlink(tree_path("system.slice/dmaheapd.service"),
				 tree_path("user.slice/link")), 0);
	inos[0] = ino_of("user.slice/user-1000.slice/session-2.scope/memory.current");
	inos[1] = ino_of("user.slice/link");
	inos[2] = UINT64_MAX;		/* a cgroup removed meanwhile */
	assert_int_equal(cgroup_paths(tree_root, inos, 3, paths), 0);
	assert_null(paths[0]);
	assert_null(paths[1]);
	assert_null(paths[2]);

	/* The link's target is found where it is, not through the link. */
	inos[0] = ino_of("system.slice/dmaheapd.service");
	assert_int_equal(cgroup_paths(tree_root, inos, 1, paths), 1);
	assert_string_equal(paths[0], "/system.slice/dmaheapd.service");
	cgroup_paths_free(paths, 1);

	/* Nothing to look for: no walk, not even of a missing root. */
	inos[0] = 0;
	assert_int_equal(cgroup_paths("/nonexistent", inos, 1, paths), 0);
	assert_null(paths[0]);
	inos[0] = 1;
	assert_int_equal(cgroup_paths("/nonexistent", inos, 1, paths),
			 -ENOENT);
	assert_null(paths[0]);
}

/* CGROUP_DEPTH_MAX levels below the root are looked into, no deeper. */
static void test_depth(void **state)
{
	char rel[512] = "";
	uint64_t inos[2];
	char *paths[2];
	int level;

	for (level = 1; level <= CGROUP_DEPTH_MAX + 1; level++) {
		strcat(rel, level > 1 ? "/d" : "d");
		tree_mkdir(rel);
		if (level == CGROUP_DEPTH_MAX)
			inos[0] = ino_of(rel);
	}
	inos[1] = ino_of(rel);
	assert_int_equal(cgroup_paths(tree_root, inos, 2, paths), 1);
	assert_non_null(paths[0]);
	assert_int_equal(strlen(paths[0]), 2 * CGROUP_DEPTH_MAX);
	assert_null(paths[1]);
	cgroup_paths_free(paths, 2);
}

static void test_mount(void **state)
{
	char buf[256];

	/* A hybrid layout: tmpfs, v1 hierarchies, cgroup2 below them. */
	tree_put("mountinfo",
		 "22 1 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
		 "25 22 0:23 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755\n"
		 "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
		 "27 25 0:25 / /sys/fs/cgroup/memory rw shared:11 - cgroup cgroup rw,memory\n");
	assert_int_equal(cgroup2_mount(tree_path("mountinfo"), buf,
				       sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");
	/* Too small a buffer. */
	assert_int_equal(cgroup2_mount(tree_path("mountinfo"), buf, 8),
			 -ENAMETOOLONG);

	/* Escapes undone; no optional fields. */
	tree_put("mountinfo",
		 "30 1 0:26 / /run/my\\040cgroups rw - cgroup2 none rw\n");
	assert_int_equal(cgroup2_mount(tree_path("mountinfo"), buf,
				       sizeof(buf)), 0);
	assert_string_equal(buf, "/run/my cgroups");

	/* cgroup v1 only: none. */
	tree_put("mountinfo",
		 "27 25 0:25 / /sys/fs/cgroup/memory rw shared:11 - cgroup cgroup rw,memory\n");
	assert_int_equal(cgroup2_mount(tree_path("mountinfo"), buf,
				       sizeof(buf)), -ENOENT);
	assert_int_equal(cgroup2_mount(tree_path("missing"), buf,
				       sizeof(buf)), -ENOENT);

	/* The live system: something, an absolute path. */
	cgroup_root(buf, sizeof(buf));
	assert_int_equal(buf[0], '/');
}

/* cgroup_kmem_charged() of a command line reading @text. */
static int kmem_of(const char *text)
{
	tree_put("cmdline", text);
	return cgroup_kmem_charged(tree_path("cmdline"));
}

static void test_kmem(void **state)
{
	assert_int_equal(kmem_of("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n"), 1);
	assert_int_equal(kmem_of("root=/dev/sda1 cgroup.memory=nokmem quiet\n"), 0);
	/* One of a list, the last word, a later occurrence. */
	assert_int_equal(kmem_of("quiet cgroup.memory=nosocket,nokmem\n"), 0);
	assert_int_equal(kmem_of("cgroup.memory=nosocket ro cgroup.memory=nokmem"), 0);
	/* Not that parameter, not that value. */
	assert_int_equal(kmem_of("cgroup.memory=nosocket xcgroup.memory=nokmem "
				 "cgroup.memory=nokmemx foo=cgroup.memory=nokmem\n"), 1);
	/* Quoted, as the kernel takes it; other white space. */
	assert_int_equal(kmem_of("ro \"cgroup.memory=nokmem\" quiet\n"), 0);
	assert_int_equal(kmem_of("ro\tcgroup.memory=\"nosocket,nokmem\"\r\n"), 0);
	/* Inside another parameter's quoted value; after "--", init's. */
	assert_int_equal(kmem_of("foo=\"a cgroup.memory=nokmem b\" ro\n"), 1);
	assert_int_equal(kmem_of("ro -- cgroup.memory=nokmem\n"), 1);
	/* Unreadable: the kernel's default, charged. */
	assert_int_equal(cgroup_kmem_charged(tree_path("missing")), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_not_found, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_depth, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_mount, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_kmem, tree_setup,
						tree_teardown),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
