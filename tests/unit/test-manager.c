// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/manager.c against a fake CUSE: the handshakes of
 * new nodes, when one node's session ends before its handshake.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "manager.h"

extern int fake_cuse_fd;
extern const char *fake_cuse_end_name;
extern int fake_cuse_end_error;
extern int fake_cuse_processed;

static struct manager m;

static int setup(void **state)
{
	memset(&m, 0, sizeof(m));
	m.helper_fd = m.sig_fd = -1;
	/* Loaded: a reload's wait, signals not polled. */
	m.loaded_at = 1;
	/* Readable for good: each node's CUSE_INIT waits from the start. */
	fake_cuse_fd = eventfd(1, EFD_CLOEXEC);
	fake_cuse_end_name = "";
	fake_cuse_end_error = -ENODEV;
	fake_cuse_processed = 0;
	return fake_cuse_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	close(fake_cuse_fd);
	return 0;
}

/*
 * The first node's session ends (the read buffer cannot be allocated,
 * say): the wait fails for it, and the nodes after it, whose handshakes
 * waited in the same poll, are served all the same and come up.
 */
static void test_session_end_serves_the_others(void **state)
{
	static const char *const names[] = { "video", "camera", "display" };
	struct node *nodes[3];
	size_t i;

	for (i = 0; i < 3; i++) {
		nodes[i] = node_new(-1, NULL);
		assert_non_null(nodes[i]);
		nodes[i]->node_name = names[i];
	}
	fake_cuse_end_name = "video";
	fake_cuse_end_error = -ENOMEM;

	assert_int_equal(manager_wait_ready(&m, nodes, 3, 1000), -ENOMEM);
	assert_int_equal(fake_cuse_processed, 3);
	assert_false(nodes[0]->ready);
	assert_true(nodes[1]->ready);
	assert_true(nodes[2]->ready);
	for (i = 0; i < 3; i++)
		node_free(nodes[i]);
}

/* Every handshake served: ready. */
static void test_all_ready(void **state)
{
	struct node *h = node_new(-1, NULL);

	assert_non_null(h);
	h->node_name = "video";
	h->node_path = strdup("/dev/dma_heap/video");
	assert_int_equal(manager_wait_ready(&m, &h, 1, 1000), 0);
	assert_true(h->ready);
	node_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_end_serves_the_others,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_ready, setup, teardown),
	};

	return cmocka_run_group_tests_name("manager", tests, NULL, NULL);
}
