// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the ledger: what is live, by process, user and heap. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "ledger.h"
#include "unit-helpers.h"

extern int fake_calloc_fails;	/* fake-calloc.c */

static void test_ledger_limits(void **state)
{
	struct ledger *l = ledger_new();
	struct heap_config h;
	enum heap_limit hit;
	uint64_t a, b, bytes, n;

	heap_config_init(&h, "cam");
	h.limits[LIMIT_BYTES_PER_PROCESS] = 8192;
	/* More than the limit in one buffer: refused before the helper. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 12288, &a, &hit),
			 -ENOMEM);
	assert_int_equal(hit, LIMIT_BYTES_PER_PROCESS);
	/* Else checked once the helper named the process. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 1, 77, START, "a"), 0);
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &b, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, b, 2, 77, START, "a"), -EDQUOT);
	/* The helper drops the refused buffer and reports its release. */
	ledger_release(l, b);
	/* Another process of the same user fits. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &b, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, b, 3, 78, START, "b"), 0);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(bytes, 12288);
	assert_int_equal(n, 2);
	ledger_release(l, a);
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 4, 77, START, "a"), 0);
	ledger_release(l, a);
	ledger_release(l, b);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(bytes, 0);
	assert_int_equal(n, 0);
	ledger_free(l);
}

/*
 * A process is its pid and start time: a buffer that outlives its process
 * stays counted to that process, and the next process given the pid
 * starts from nothing (when processes were keyed by pid alone, it started
 * with the dead one's bytes and was refused).
 */
static void test_ledger_process_keyed_by_start(void **state)
{
	struct ledger *l = ledger_new();
	struct ledger_buffer *snap;
	struct heap_config h;
	enum heap_limit hit;
	uint64_t k1, k2, k3, k4, bytes, n;

	heap_config_init(&h, "cam");
	h.limits[LIMIT_BYTES_PER_PROCESS] = 8192;
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &k1, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, k1, 1, 77, START, "first"), 0);
	/*
	 * Two requests in flight, reserved before either is named: pid 77
	 * reused by a later process in between. Each is checked and counted
	 * under the process the helper named for it.
	 */
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &k2, &hit), 0);
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &k3, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, k2, 2, 77, START + 1, "second"),
			 0);
	assert_int_equal(ledger_commit(l, &h, k3, 3, 77, START, "first"),
			 -EDQUOT);
	ledger_release(l, k3);	/* the helper dropped it */
	/* The later one has its own full limit, not a page more. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &k3, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, k3, 4, 77, START + 1, "second"),
			 -EDQUOT);
	ledger_release(l, k3);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(bytes, 16384);
	assert_int_equal(n, 2);
	/* Listed as two processes, one pid. */
	assert_int_equal(ledger_snapshot(l, &snap), 2);
	assert_int_equal(snap[0].pid, 77);
	assert_int_equal(snap[1].pid, 77);
	assert_true(snap[0].start != snap[1].start);
	free(snap);
	/* The first's buffer goes: room for it, none for the second. */
	ledger_release(l, k1);
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &k3, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, k3, 5, 77, START + 1, "second"),
			 -EDQUOT);
	ledger_release(l, k3);
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &k4, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, k4, 6, 77, START, "first"), 0);
	ledger_release(l, k2);
	ledger_release(l, k4);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 0);
	ledger_free(l);
}

/* An allocator beside a dmaheapctl report: its longest wait on the ledger. */
struct allocator {
	struct ledger *l;
	const struct heap_config *h;
	atomic_bool during;	/* the snapshot runs */
	atomic_bool stop;
	double max_wait;	/* the longest reserve+cancel begun during it */
	unsigned long ops;	/* begun during it */
};

static void *allocate_beside(void *arg)
{
	struct allocator *a = arg;
	enum heap_limit hit;
	uint64_t cookie;
	double t;
	bool during;

	while (!atomic_load(&a->stop)) {
		during = atomic_load(&a->during);
		t = now_s();
		assert_int_equal(ledger_reserve(a->l, a->h, 1000, 4096, &cookie,
						&hit), 0);
		ledger_cancel(a->l, cookie);
		t = now_s() - t;
		if (during) {
			a->ops++;
			if (t > a->max_wait)
				a->max_wait = t;
		}
		/* spaced out, as requests are: the snapshot is not starved */
		usleep(20);
	}
	return NULL;
}

/*
 * A report copies the live buffers without holding up allocations for the
 * whole copy: with 200000 buffers live, allocations go on while it runs
 * (when the copy was made under the lock in one go, one allocation began
 * during it and waited for the whole of it).
 */
static void test_ledger_snapshot_lets_allocations_in(void **state)
{
	struct ledger *l = ledger_new();
	struct ledger_buffer *snap;
	struct heap_config h;
	enum heap_limit hit;
	pthread_t thread;
	uint64_t cookie, i;
	bool got_in = false;
	int attempt;
	double t;
	ssize_t n;

	heap_config_init(&h, "cam");
	for (i = 0; i < 200000; i++) {
		assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &cookie,
						&hit), 0);
		assert_int_equal(ledger_commit(l, &h, cookie, i + 1, 77, START,
					       "a"), 0);
	}
	/*
	 * Allocations got in while it ran: several of them (one in the whole
	 * copy before), or none waited long. A busy machine (the fuzzers run
	 * beside the unit tests) can preempt the allocator for milliseconds
	 * at any time, so up to three snapshots are timed: a copy under the
	 * lock in one go fails all three.
	 */
	for (attempt = 0; attempt < 3 && !got_in; attempt++) {
		struct allocator a = { .l = l, .h = &h };

		assert_int_equal(pthread_create(&thread, NULL, allocate_beside,
						&a), 0);
		usleep(20 * 1000);
		atomic_store(&a.during, true);
		t = now_s();
		n = ledger_snapshot(l, &snap);
		t = now_s() - t;
		atomic_store(&a.during, false);
		atomic_store(&a.stop, true);
		assert_int_equal(pthread_join(thread, NULL), 0);
		print_message("snapshot of %zd buffers: %.1f ms; %lu allocations began meanwhile, the longest took %.2f ms\n",
			      n, t * 1e3, a.ops, a.max_wait * 1e3);
		assert_int_equal(n, 200000);
		for (i = 0; i < (uint64_t)n; i++)
			assert_int_equal(snap[i].len, 4096);
		free(snap);
		got_in = a.ops >= 8 || a.max_wait < t / 4;
	}
	assert_true(got_in);
	ledger_free(l);
}

/*
 * The daemon out of memory when a process is first seen (its total cannot
 * be made): the buffer is refused, and leaves the ledger at its release.
 * It was kept with no process, counted against no MaxBytesPerProcess=
 * ever after.
 */
static void test_ledger_commit_out_of_memory(void **state)
{
	struct ledger *l = ledger_new();
	struct ledger_buffer *snap;
	struct heap_config h;
	enum heap_limit hit;
	uint64_t a, bytes, n;

	heap_config_init(&h, "cam");
	h.limits[LIMIT_BYTES_PER_PROCESS] = 8192;
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &a, &hit), 0);
	fake_calloc_fails = 1;
	assert_int_equal(ledger_commit(l, &h, a, 1, 77, START, "a"), -ENOMEM);
	assert_int_equal(fake_calloc_fails, 0);
	assert_int_equal(ledger_snapshot(l, &snap), 0);
	free(snap);
	ledger_release(l, a);	/* the helper dropped it */
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	/* Memory again: the process has its whole limit, and no more. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 2, 77, START, "a"), 0);
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 3, 77, START, "a"), -EDQUOT);
	ledger_release(l, a);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 8192);
	ledger_free(l);
}

/*
 * A buffer refused at commit (past MaxBytesPerProcess=, or no memory to
 * count its process) exists until the helper reports its release: it
 * stays counted to its heap and user until then, so that another
 * client's reservation cannot take its room meanwhile.
 */
static void test_ledger_refused_counts_until_released(void **state)
{
	struct ledger *l = ledger_new();
	struct ledger_buffer *snap;
	struct heap_config h;
	enum heap_limit hit;
	uint64_t a, b, c, bytes, n;

	heap_config_init(&h, "cam");
	h.limits[LIMIT_BYTES] = 3 << 20;
	h.limits[LIMIT_BYTES_PER_PROCESS] = 1 << 20;
	assert_int_equal(ledger_reserve(l, &h, 1000, 1 << 20, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 1, 77, START, "a"), 0);
	assert_int_equal(ledger_reserve(l, &h, 1000, 1 << 20, &b, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, b, 2, 77, START, "a"), -EDQUOT);
	assert_int_equal(ledger_reserve(l, &h, 1000, 1 << 20, &c, &hit), 0);
	fake_calloc_fails = 1;
	assert_int_equal(ledger_commit(l, &h, c, 3, 78, START, "b"), -ENOMEM);
	assert_int_equal(fake_calloc_fails, 0);
	/* Both refused: still counted, in no report, a commit ignored. */
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 3);
	assert_int_equal(bytes, 3 << 20);
	assert_int_equal(ledger_snapshot(l, &snap), 1);
	free(snap);
	assert_int_equal(ledger_commit(l, &h, b, 2, 79, START, "c"), 0);
	assert_int_equal(ledger_snapshot(l, &snap), 1);
	free(snap);
	assert_int_equal(ledger_reserve(l, &h, 1001, 1 << 20, &a, &hit), -ENOMEM);
	assert_int_equal(hit, LIMIT_BYTES);
	/* Released by the helper: gone, and their room is free again. */
	ledger_release(l, b);
	ledger_release(l, c);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 1 << 20);
	assert_int_equal(ledger_reserve(l, &h, 1001, 1 << 20, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 4, 79, START, "c"), 0);
	/* A cancel (the helper never had it) still takes one at once. */
	assert_int_equal(ledger_reserve(l, &h, 1001, 1 << 20, &a, &hit), 0);
	ledger_cancel(l, a);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 2);
	ledger_free(l);
}

/* The helper's release can come before the daemon records the buffer. */
static void test_ledger_release_before_commit(void **state)
{
	struct ledger *l = ledger_new();
	struct ledger_buffer *snap;
	struct heap_config h;
	enum heap_limit hit;
	uint64_t a, bytes, n;

	heap_config_init(&h, "cam");
	h.limits[LIMIT_BYTES_PER_PROCESS] = 1 << 20;
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &a, &hit), 0);
	assert_int_equal(ledger_snapshot(l, &snap), 0);	/* not yet live */
	ledger_release(l, a);
	ledger_commit(l, &h, a, 1, 77, START, "a");
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(ledger_snapshot(l, &snap), 0);
	free(snap);

	/* The process learnt at commit is charged for the per-process limit. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 1 << 20, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 2, 77, START, "a"), 0);
	/* ... and checked there: past it, the buffer leaves at its release. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 3, 77, START, "a"), -EDQUOT);
	ledger_release(l, a);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 1 << 20);
	/* Another process of the same user is not held back. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 4, 78, START, "b"), 0);
	/* Unknown cookies are ignored. */
	ledger_release(l, 999);
	ledger_cancel(l, 999);
	ledger_free(l);
}

/*
 * A buffer opened before its limits are checked (the helper deferred it):
 * on no total until counted; its release before the count leaves nothing,
 * and the count says so; refused at the count, it is cancelled; counted,
 * it is as reserved.
 */
static void test_ledger_open_then_count(void **state)
{
	struct ledger *l = ledger_new();
	struct ledger_buffer *snap;
	struct heap_config h;
	enum heap_limit hit;
	uint64_t a, b, bytes, n;

	heap_config_init(&h, "cam");
	h.limits[LIMIT_BYTES_PER_USER] = 8192;
	assert_int_equal(ledger_open(l, &h, 4096, &a), 0);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 0);
	assert_int_equal(ledger_snapshot(l, &snap), 0);

	/* Released first (its caller died after ALLOC): the count finds it gone. */
	ledger_release(l, a);
	assert_int_equal(ledger_count(l, &h, a, 1000, &hit), -ESRCH);
	assert_int_equal(hit, _LIMIT_MAX);
	assert_int_equal(ledger_count(l, &h, a, 1000, &hit), -ESRCH);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 0);

	/* Counted: on the totals, then committed as any. */
	assert_int_equal(ledger_open(l, &h, 4096, &a), 0);
	assert_int_equal(ledger_count(l, &h, a, 1000, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 1, 77, START, "a"), 0);
	assert_int_equal(ledger_open(l, &h, 8192, &b), 0);
	assert_int_not_equal(a, b);
	/* Past MaxBytesPerUser=: refused, uncounted, then cancelled. */
	assert_int_equal(ledger_count(l, &h, b, 1000, &hit), -ENOMEM);
	assert_int_equal(hit, LIMIT_BYTES_PER_USER);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 4096);
	ledger_cancel(l, b);
	/* Its release event after the cancel: nothing to take away. */
	ledger_release(l, b);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 4096);
	assert_int_equal(ledger_count(l, &h, b, 1000, &hit), -ESRCH);

	/* Another user fits. Released after the count, before the commit. */
	assert_int_equal(ledger_open(l, &h, 8192, &b), 0);
	assert_int_equal(ledger_count(l, &h, b, 1001, &hit), 0);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(bytes, 4096 + 8192);
	ledger_release(l, b);
	ledger_commit(l, &h, b, 2, 78, START, "b");
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(bytes, 4096);
	ledger_release(l, a);
	ledger_heap_usage(l, "cam", &bytes, &n);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	ledger_free(l);
}

static void test_ledger_many(void **state)
{
	struct ledger *l = ledger_new();
	struct ledger_buffer *snap;
	uint64_t cookies[10000], bytes, n;
	struct heap_config h, h2;
	enum heap_limit hit;
	size_t i;

	heap_config_init(&h, "many");
	heap_config_init(&h2, "other");
	for (i = 0; i < 10000; i++) {
		assert_int_equal(ledger_reserve(l, &h, i % 7, 4096, &cookies[i],
						&hit), 0);
		ledger_commit(l, &h, cookies[i], i + 1, i % 13 + 1, START,
			      "x");
	}
	assert_int_equal(ledger_snapshot(l, &snap), 10000);
	free(snap);
	for (i = 0; i < 10000; i += 2)
		ledger_release(l, cookies[i]);
	ledger_heap_usage(l, "many", &bytes, &n);
	assert_int_equal(n, 5000);
	assert_int_equal(bytes, 5000 * 4096);
	assert_int_equal(ledger_reserve(l, &h2, 0, 8192, &cookies[0], &hit),
			 0);
	ledger_commit(l, &h2, cookies[0], 1, 1, START, "y");
	ledger_heap_usage(l, NULL, &bytes, &n);	/* every heap */
	assert_int_equal(n, 5001);
	assert_int_equal(bytes, 5000 * 4096 + 8192);
	ledger_free(l);	/* frees what is left: valgrind checks */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ledger_limits),
		cmocka_unit_test(test_ledger_process_keyed_by_start),
		cmocka_unit_test(test_ledger_release_before_commit),
		cmocka_unit_test(test_ledger_open_then_count),
		cmocka_unit_test(test_ledger_commit_out_of_memory),
		cmocka_unit_test(test_ledger_refused_counts_until_released),
		cmocka_unit_test(test_ledger_many),
		cmocka_unit_test(test_ledger_snapshot_lets_allocations_in),
	};

	return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
