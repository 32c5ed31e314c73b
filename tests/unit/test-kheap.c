// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/kheap.c: what to do with the kernel's node of a name
 * under KernelHeaps=move and keep, which nodes --restore-kernel-nodes puts
 * back, sysfs device numbers, and the renames in a temp dir (regular files
 * stand in for device nodes: the renames do not look at the file type).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "kheap.h"

#define N KHEAP_NODE_NONE
#define K KHEAP_NODE_KERNEL
#define O KHEAP_NODE_OTHER

static void test_decide(void **state)
{
	static const struct {
		struct kheap_seen seen;
		enum kheap_action move, keep;
	} t[] = {
		/* DEV/dma_heap/NAME, DEV/dma_heap-kernel/NAME */
		{ { N, N }, KHEAP_SERVE, KHEAP_SERVE },
		{ { K, N }, KHEAP_MOVE, KHEAP_REFUSE_KERNEL },
		/* a SIGKILLed daemon's: reused, or refused with the fix */
		{ { N, K }, KHEAP_REUSE, KHEAP_REFUSE_ASIDE },
		/* another CUSE daemon's node: refused either way */
		{ { O, N }, KHEAP_REFUSE_OTHER, KHEAP_REFUSE_OTHER },
		{ { O, K }, KHEAP_REFUSE_OTHER, KHEAP_REFUSE_OTHER },
		{ { O, O }, KHEAP_REFUSE_OTHER, KHEAP_REFUSE_OTHER },
		/* the same node twice: the one in place replaces the one aside */
		{ { K, K }, KHEAP_MOVE, KHEAP_REFUSE_KERNEL },
		/* never over a file that is not the kernel's node */
		{ { K, O }, KHEAP_REFUSE_BLOCKED, KHEAP_REFUSE_KERNEL },
		{ { N, O }, KHEAP_SERVE, KHEAP_SERVE },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(kheap_decide(KERNEL_HEAPS_MOVE, &t[i].seen),
				 t[i].move);
		assert_int_equal(kheap_decide(KERNEL_HEAPS_KEEP, &t[i].seen),
				 t[i].keep);
	}
}

static void test_restorable(void **state)
{
	const struct kheap_seen yes[] = { { N, K }, { O, K } };
	const struct kheap_seen no[] = {
		{ N, N }, { K, N }, { O, N }, { K, K }, { N, O }, { K, O },
		{ O, O },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++)
		assert_true(kheap_restorable(&yes[i]));
	for (i = 0; i < ARRAY_SIZE(no); i++)
		assert_false(kheap_restorable(&no[i]));
}

static void test_parse_dev(void **state)
{
	static const char *const bad[] = {
		"", "\n", "254", "254:", ":0", "254:0x", "a:b", "-1:0", "254:-1",
		"254:0\n\n", " 254:0", "254 :0", "4096:0", "0:1048576",
	};
	dev_t dev;
	size_t i;

	assert_int_equal(kheap_parse_dev("254:0\n", &dev), 0);
	assert_int_equal(major(dev), 254);
	assert_int_equal(minor(dev), 0);
	assert_int_equal(kheap_parse_dev("10:1048575", &dev), 0);
	assert_int_equal(major(dev), 10);
	assert_int_equal(minor(dev), 1048575);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		dev = 42;
		assert_int_equal(kheap_parse_dev(bad[i], &dev), -EINVAL);
		assert_int_equal(dev, 42);
	}
}

static char root[64];

/* A fresh temp dir as @root, for the tests that touch files. */
static int setup_root(void **state)
{
	snprintf(root, sizeof(root), "/tmp/test-kheap-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static void path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", root, rel);
}

static void touch(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	path(p, sizeof(p), rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The text of @rel, or "" if there is no such file. */
static const char *content(const char *rel)
{
	static char buf[64];
	char p[256];
	FILE *f;

	buf[0] = '\0';
	path(p, sizeof(p), rel);
	f = fopen(p, "r");
	if (!f)
		return buf;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static bool exists(const char *rel)
{
	char p[256];

	path(p, sizeof(p), rel);
	return access(p, F_OK) == 0;
}

static void test_move_and_back(void **state)
{
	mode_t old = umask(077);	/* the unit's UMask= */
	struct stat st;
	char p[256];

	path(p, sizeof(p), "dma_heap");
	assert_int_equal(mkdir(p, 0755), 0);
	touch("dma_heap/system", "kernel system");
	touch("dma_heap/reserved", "kernel reserved");

	assert_int_equal(kheap_move(root, "system"), 0);
	assert_int_equal(kheap_move(root, "reserved"), 0);
	assert_false(exists("dma_heap/system"));
	assert_string_equal(content("dma_heap-kernel/system"), "kernel system");
	path(p, sizeof(p), "dma_heap-kernel");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* Nothing to move: the error, nothing made. */
	assert_int_equal(kheap_move(root, "camera"), -ENOENT);

	/* Back over our node, which it replaces. */
	touch("dma_heap/system", "ours");
	assert_int_equal(kheap_put_back(root, "system"), 0);
	assert_string_equal(content("dma_heap/system"), "kernel system");
	assert_true(exists("dma_heap-kernel"));	/* reserved is still aside */

	/* After a SIGKILL: devtmpfs took DEV/dma_heap with our last node. */
	path(p, sizeof(p), "dma_heap/system");
	assert_int_equal(unlink(p), 0);
	path(p, sizeof(p), "dma_heap");
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(kheap_put_back(root, "reserved"), 0);
	assert_string_equal(content("dma_heap/reserved"), "kernel reserved");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	/* The last one back: the directory goes. */
	assert_false(exists("dma_heap-kernel"));
	/* Nothing aside: an error, and no DEV/dma_heap made for nothing. */
	assert_int_equal(kheap_put_back(root, "reserved"), -ENOENT);

	path(p, sizeof(p), "dma_heap/reserved");
	unlink(p);
	path(p, sizeof(p), "dma_heap");
	rmdir(p);
	rmdir(root);
	umask(old);
}

static void test_node_at(void **state)
{
	char p[256];

	path(p, sizeof(p), "none");
	assert_int_equal(kheap_node_at(p, root, "none"), KHEAP_NODE_NONE);
	/* Not a character device: not the kernel's, whatever sysfs says. */
	touch("file", "");
	path(p, sizeof(p), "file");
	assert_int_equal(kheap_node_at(p, root, "file"), KHEAP_NODE_OTHER);
	/* /dev/null is a device, but not heap "null" of sysfs dir @root. */
	assert_int_equal(kheap_node_at("/dev/null", root, "null"),
			 KHEAP_NODE_OTHER);
	path(p, sizeof(p), "null");
	assert_int_equal(mkdir(p, 0755), 0);
	touch("null/dev", "1:3\n");	/* /dev/null's own number */
	assert_int_equal(kheap_node_at("/dev/null", root, "null"),
			 KHEAP_NODE_KERNEL);
	touch("null/dev", "1:5\n");
	assert_int_equal(kheap_node_at("/dev/null", root, "null"),
			 KHEAP_NODE_OTHER);

	path(p, sizeof(p), "null/dev");
	unlink(p);
	path(p, sizeof(p), "null");
	rmdir(p);
	path(p, sizeof(p), "file");
	unlink(p);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_restorable),
		cmocka_unit_test(test_parse_dev),
		cmocka_unit_test_setup(test_move_and_back, setup_root),
		cmocka_unit_test_setup(test_node_at, setup_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
