// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/manager.c against a fake CUSE: the handshakes of
 * new nodes.
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
		cmocka_unit_test_setup_teardown(test_all_ready, setup, teardown),
	};

	return cmocka_run_group_tests_name("manager", tests, NULL, NULL);
}
