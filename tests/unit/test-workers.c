// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/workers.c against a fake CUSE: a worker that cannot
 * watch a node's session names that node.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "workers.h"

extern int fake_cuse_fd;

/*
 * Every node's session is the fake's one fd, so the worker's epoll set
 * takes the first node and refuses the second (EEXIST), as it would refuse
 * a session it cannot watch: the error is the second node's.
 */
static void test_watch_fails_names_the_node(void **state)
{
	static const char *const names[] = { "video", "camera", "display" };
	struct workers w = WORKERS_INIT;
	struct pollfd pfd;
	struct node *nodes[3];
	size_t i, node = SIZE_MAX;

	fake_cuse_fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fake_cuse_fd >= 0);
	for (i = 0; i < 3; i++) {
		nodes[i] = node_new(-1, NULL);
		assert_non_null(nodes[i]);
		nodes[i]->node_name = names[i];
	}
	assert_int_equal(workers_start(&w, nodes, 3, 1), 0);
	pfd.fd = w.done_fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(workers_error(&w, &node), -EEXIST);
	assert_int_equal(node, 1);
	workers_stop(&w);
	for (i = 0; i < 3; i++)
		node_free(nodes[i]);
	close(fake_cuse_fd);
}

/*
 * A worker that cannot make its epoll set (out of fds) names no node: the
 * error is not a session's (it was blamed on the first node).
 */
static void test_epoll_fails_names_no_node(void **state)
{
	struct workers w = WORKERS_INIT;
	struct rlimit old, low;
	struct pollfd pfd;
	struct node *node;
	size_t which = 0;
	int lowest;

	fake_cuse_fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fake_cuse_fd >= 0);
	node = node_new(-1, NULL);
	assert_non_null(node);
	node->node_name = "video";
	/* Room for workers_start()'s two eventfds, none for epoll_create1(). */
	lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = lowest + 2;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(workers_start(&w, &node, 1, 1), 0);
	pfd.fd = w.done_fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(workers_error(&w, &which), -EMFILE);
	assert_int_equal(which, SIZE_MAX);
	workers_stop(&w);
	node_free(node);
	close(fake_cuse_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_fails_names_the_node),
		cmocka_unit_test(test_epoll_fails_names_no_node),
	};

	return cmocka_run_group_tests_name("workers", tests, NULL, NULL);
}
