// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/reloadplan.c, reload's decision: which served nodes
 * a new configuration keeps, adds and removes (reload_plan()), and what it
 * may not change without a restart (reload_check()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "names.h"
#include "reloadplan.h"

static struct config old, nc;
static struct config_diag d;
static struct reload_plan plan;

static int setup(void **state)
{
	config_init(&old);
	config_init(&nc);
	memset(&d, 0, sizeof(d));
	memset(&plan, 0, sizeof(plan));
	return 0;
}

/* Heap @name of kind @kind with the aliases of @aliases (NULL-ended). */
static struct heap_config *add(struct config *c, const char *name,
			       enum heap_kind kind, const char *const *aliases)
{
	struct heap_config *h;

	assert_int_equal(config_add_heap(c, name, kind), 0);
	h = &c->heaps[c->n_heaps - 1];
	for (; aliases && *aliases; aliases++)
		snprintf(h->aliases[h->n_aliases++].name,
			 sizeof(h->aliases[0].name), "%s", *aliases);
	return h;
}

static void assert_place(const struct reload_place *p, size_t heap,
			 size_t alias)
{
	assert_int_equal(p->heap, heap);
	assert_int_equal(p->alias, alias);
}

static void test_keep_add_remove(void **state)
{
	static const struct reload_node nodes[] = {
		{ "system", "system" }, { "sys-old", "system" },
		{ "camera", "camera" },
	};

	add(&nc, "video", HEAP_KIND_SYSTEM, NULL);
	add(&nc, "system", HEAP_KIND_SYSTEM,
	    (const char *const[]){ "sys-new", NULL });
	reload_plan(nodes, 3, &nc, &plan);

	assert_int_equal(plan.n_keep, 1);
	assert_int_equal(plan.n_remove, 2);
	assert_place(&plan.keep[0], 1, 0);		/* system stays */
	assert_int_equal(plan.keep[1].heap, RELOAD_REMOVE);	/* alias gone */
	assert_int_equal(plan.keep[2].heap, RELOAD_REMOVE);	/* heap gone */
	assert_int_equal(plan.n_add, 2);
	assert_place(&plan.add[0], 0, 0);		/* video */
	assert_place(&plan.add[1], 1, 1);		/* sys-new */
}

/* A kept node finds its new place: the heap's index and alias moved. */
static void test_keep_moves_place(void **state)
{
	static const struct reload_node nodes[] = {
		{ "b", "system" }, { "system", "system" },
	};

	add(&nc, "other", HEAP_KIND_SYSTEM, NULL);
	add(&nc, "system", HEAP_KIND_SYSTEM,
	    (const char *const[]){ "a", "b", NULL });
	reload_plan(nodes, 2, &nc, &plan);

	assert_int_equal(plan.n_keep, 2);
	assert_int_equal(plan.n_remove, 0);
	assert_place(&plan.keep[0], 1, 2);
	assert_place(&plan.keep[1], 1, 0);
	assert_int_equal(plan.n_add, 2);
	assert_place(&plan.add[0], 0, 0);
	assert_place(&plan.add[1], 1, 1);
}

static void test_same_config_changes_nothing(void **state)
{
	static const struct reload_node nodes[] = {
		{ "system", "system" }, { "alias", "system" },
	};

	add(&old, "system", HEAP_KIND_SYSTEM,
	    (const char *const[]){ "alias", NULL });
	add(&nc, "system", HEAP_KIND_SYSTEM,
	    (const char *const[]){ "alias", NULL });
	assert_int_equal(reload_check(&old, nodes, 2, &nc, &d), 0);
	reload_plan(nodes, 2, &nc, &plan);
	assert_int_equal(plan.n_keep, 2);
	assert_int_equal(plan.n_remove, 0);
	assert_int_equal(plan.n_add, 0);
}

static void test_empty_removes_all(void **state)
{
	static const struct reload_node nodes[] = { { "system", "system" } };

	reload_plan(nodes, 1, &nc, &plan);
	assert_int_equal(plan.n_keep, 0);
	assert_int_equal(plan.n_remove, 1);
	assert_int_equal(plan.n_add, 0);
}

static void test_node_moving_heap_refused(void **state)
{
	static const struct reload_node nodes[] = { { "cam", "camera" } };

	add(&old, "camera", HEAP_KIND_SYSTEM,
	    (const char *const[]){ "cam", NULL });
	add(&nc, "video", HEAP_KIND_SYSTEM,
	    (const char *const[]){ "cam", NULL });
	assert_int_equal(reload_check(&old, nodes, 1, &nc, &d), -EINVAL);
	assert_non_null(strstr(d.error,
			       "node \"cam\" moves from heap \"camera\" to heap \"video\""));
}

static void test_kind_change_refused(void **state)
{
	static const struct reload_node nodes[] = { { "video", "video" } };

	add(&old, "video", HEAP_KIND_SYSTEM, NULL);
	add(&nc, "video", HEAP_KIND_CONTIGUOUS, NULL);
	assert_int_equal(reload_check(&old, nodes, 1, &nc, &d), -EINVAL);
	assert_non_null(strstr(d.error, "heap \"video\": Kind=, Base=, Size= or LegacyNode= changed"));
}

static void test_region_size_change_refused(void **state)
{
	struct heap_config *h;

	h = add(&old, "video", HEAP_KIND_REGION, NULL);
	h->base = 1 << 30;
	h->size = 64 << 20;
	h = add(&nc, "video", HEAP_KIND_REGION, NULL);
	h->base = 1 << 30;
	h->size = 32 << 20;
	assert_int_equal(reload_check(&old, NULL, 0, &nc, &d), -EINVAL);
	h->size = 64 << 20;
	assert_int_equal(reload_check(&old, NULL, 0, &nc, &d), 0);
}

static void test_kernel_heaps_and_control_group_refused(void **state)
{
	add(&old, "system", HEAP_KIND_SYSTEM, NULL);
	add(&nc, "system", HEAP_KIND_SYSTEM, NULL);
	nc.kernel_heaps = old.kernel_heaps == KERNEL_HEAPS_MOVE ?
			  KERNEL_HEAPS_KEEP : KERNEL_HEAPS_MOVE;
	assert_int_equal(reload_check(&old, NULL, 0, &nc, &d), -EINVAL);
	assert_non_null(strstr(d.error, "KernelHeaps= changed"));

	nc.kernel_heaps = old.kernel_heaps;
	nc.control_group.origin.line = 3;
	assert_int_equal(reload_check(&old, NULL, 0, &nc, &d), -EINVAL);
	assert_non_null(strstr(d.error, "ControlGroup= changed"));
}

/*
 * SeatAccess=: a reload may turn it on (dmaheapd --mark-nodes after it
 * marks the nodes again, and udev tags them uaccess), not off: udev's tags
 * are sticky and logind's ACL stays on the node until it is gone.
 */
static void test_seat_access_on_not_off(void **state)
{
	static const struct reload_node nodes[] = { { "system", "system" } };
	struct heap_config *o, *h;

	o = add(&old, "system", HEAP_KIND_SYSTEM, NULL);
	h = add(&nc, "system", HEAP_KIND_SYSTEM, NULL);
	h->seat_access = true;
	h->seat_access_origin.line = 4;
	assert_int_equal(reload_check(&old, nodes, 1, &nc, &d), 0);

	o->seat_access = true;
	assert_int_equal(reload_check(&old, nodes, 1, &nc, &d), 0);

	h->seat_access = false;
	assert_int_equal(reload_check(&old, nodes, 1, &nc, &d), -EINVAL);
	assert_non_null(strstr(d.error, "heap \"system\": SeatAccess= turned off; that takes a restart of dmaheapd"));

	/* A heap that goes, or comes, may have it either way. */
	nc.n_heaps = 0;
	add(&nc, "camera", HEAP_KIND_SYSTEM, NULL);
	assert_int_equal(reload_check(&old, NULL, 0, &nc, &d), 0);
}

static void test_too_many_nodes_refused(void **state)
{
	struct heap_config *h;
	char name[16];
	size_t i, a;

	/* DH_NODES_MAX nodes: heaps of a name and DH_ALIASES_MAX - 1 aliases. */
	_Static_assert(DH_NODES_MAX % DH_ALIASES_MAX == 0, "whole heaps");
	for (i = 0; i < DH_NODES_MAX / DH_ALIASES_MAX; i++) {
		snprintf(name, sizeof(name), "h%zu", i);
		h = add(&nc, name, HEAP_KIND_SYSTEM, NULL);
		for (a = 1; a < DH_ALIASES_MAX; a++)
			snprintf(h->aliases[h->n_aliases++].name,
				 sizeof(h->aliases[0].name), "h%zu-%zu", i, a);
	}
	/* Counted by confcheck_load() (names_check_config()), start or reload */
	assert_int_equal(names_check_config(&nc, &d), 0);
	assert_int_equal(reload_check(&old, NULL, 0, &nc, &d), 0);
	add(&nc, "one-more", HEAP_KIND_SYSTEM, NULL);
	assert_int_equal(names_check_config(&nc, &d), -EINVAL);
	assert_non_null(strstr(d.error, "65 nodes with heap \"one-more\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_keep_add_remove, setup),
		cmocka_unit_test_setup(test_keep_moves_place, setup),
		cmocka_unit_test_setup(test_same_config_changes_nothing, setup),
		cmocka_unit_test_setup(test_empty_removes_all, setup),
		cmocka_unit_test_setup(test_node_moving_heap_refused, setup),
		cmocka_unit_test_setup(test_kind_change_refused, setup),
		cmocka_unit_test_setup(test_region_size_change_refused, setup),
		cmocka_unit_test_setup(test_kernel_heaps_and_control_group_refused,
				       setup),
		cmocka_unit_test_setup(test_seat_access_on_not_off, setup),
		cmocka_unit_test_setup(test_too_many_nodes_refused, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
