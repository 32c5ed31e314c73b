// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the policy: rules in the configuration, decisions, ledger. */
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

#include "conffile.h"
#include "config.h"
#include "ledger.h"
#include "policy.h"
#include "report.h"

static struct config c;
static struct config_diag d;

static int parse(const char *text)
{
	config_init(&c);
	memset(&d, 0, sizeof(d));
	return conffile_parse(&c, "test.conf", text, &d);
}

static void test_rules_parsed(void **state)
{
	struct heap_config *h;

	assert_int_equal(parse("[Heap]\nName=cam\n"
			       "AllowUsers=root 1000\nAllowGroups=video\n"
			       "MaxBufferSize=64M\nMaxBytesPerUser=1G\n"
			       "MaxBytesPerProcess=256M\nMaxBytes=infinity\n"
			       "[Daemon]\nControlGroup=adm\nChargeClients=no\n"),
			 0);
	h = config_find_heap(&c, "cam");
	assert_non_null(h);
	assert_true(policy_has_limits(h));
	assert_int_equal(h->n_allow_users, 2);
	assert_string_equal(h->allow_users[0].name, "root");
	assert_false(h->allow_users[0].resolved);
	assert_true(h->allow_users[1].resolved);
	assert_int_equal(h->allow_users[1].id, 1000);
	assert_int_equal(h->n_allow_groups, 1);
	assert_int_equal(h->limits[LIMIT_BUFFER_SIZE], 64 << 20);
	assert_int_equal(h->limits[LIMIT_BYTES_PER_USER], 1ULL << 30);
	assert_int_equal(h->limits[LIMIT_BYTES_PER_PROCESS], 256 << 20);
	assert_int_equal(h->limits[LIMIT_BYTES], DH_NO_LIMIT);
	assert_string_equal(c.control_group.name, "adm");
	assert_false(c.charge_clients);
}

static void test_defaults_have_no_rules(void **state)
{
	struct heap_config *h;
	size_t i;

	assert_int_equal(parse("[Heap]\nName=plain\n"), 0);
	h = config_find_heap(&c, "plain");
	assert_false(policy_has_access_rules(h));
	assert_false(policy_has_limits(h));
	for (i = 0; i < _LIMIT_MAX; i++)
		assert_int_equal(h->limits[i], DH_NO_LIMIT);
	assert_true(c.charge_clients);
	assert_int_equal(c.control_group.origin.line, 0);
}

static void test_lists_add_and_reset(void **state)
{
	struct heap_config *h;

	assert_int_equal(parse("[Heap]\nName=a\nAllowUsers=1 2\n"
			       "[Heap]\nName=a\nAllowUsers=3\n"), 0);
	h = config_find_heap(&c, "a");
	assert_int_equal(h->n_allow_users, 3);
	assert_int_equal(parse("[Heap]\nName=a\nAllowUsers=1 2\n"
			       "[Heap]\nName=a\nAllowUsers=\nAllowUsers=7\n"),
			 0);
	h = config_find_heap(&c, "a");
	assert_int_equal(h->n_allow_users, 1);
	assert_int_equal(h->allow_users[0].id, 7);
}

static void test_bad_values(void **state)
{
	assert_int_equal(parse("[Heap]\nName=a\nMaxBytes=lots\n"), -EINVAL);
	assert_non_null(strstr(d.error, "test.conf:3: invalid MaxBytes="));
	assert_int_equal(parse("[Heap]\nName=a\nAllowUsers=99999999999\n"),
			 -EINVAL);
	assert_int_equal(parse("[Daemon]\nControlGroup=a b\n"), -EINVAL);
	assert_int_equal(parse("[Daemon]\nChargeClients=maybe\n"), -EINVAL);
}

static int fake_user(const char *name, uint32_t *ret)
{
	if (!strcmp(name, "root")) {
		*ret = 0;
		return 0;
	}
	return -ENOENT;
}

static int fake_group(const char *name, uint32_t *ret)
{
	if (!strcmp(name, "video")) {
		*ret = 44;
		return 0;
	}
	return -ENOENT;
}

static void test_names_resolved(void **state)
{
	assert_int_equal(parse("[Heap]\nName=a\nAllowUsers=root\n"
			       "AllowGroups=video 5\n"), 0);
	assert_int_equal(config_resolve_ids(&c, fake_user, fake_group, &d), 0);
	assert_int_equal(c.heaps[0].allow_groups[0].id, 44);
	assert_int_equal(c.heaps[0].allow_groups[1].id, 5);

	assert_int_equal(parse("[Heap]\nName=a\nAllowGroups=nosuch\n"), 0);
	assert_int_equal(config_resolve_ids(&c, fake_user, fake_group, &d),
			 -EINVAL);
	assert_string_equal(d.error,
			    "test.conf:3: no group \"nosuch\" on this system");
	assert_int_equal(parse("[Daemon]\nControlGroup=nosuch\n"), 0);
	assert_int_equal(config_resolve_ids(&c, fake_user, fake_group, &d),
			 -EINVAL);
}

static struct heap_config rules(void)
{
	struct heap_config h;

	heap_config_init(&h, "cam");
	h.allow_users[h.n_allow_users++] = (struct config_id){
		.id = 1000, .resolved = true };
	h.allow_groups[h.n_allow_groups++] = (struct config_id){
		.id = 44, .resolved = true };
	return h;
}

static void test_may_open(void **state)
{
	struct heap_config h = rules();
	struct heap_config open_heap;
	gid_t sup[] = { 10, 44 }, other[] = { 10, 20 };

	heap_config_init(&open_heap, "open");
	assert_true(policy_may_open(&open_heap, 1234, 1234, NULL, 0));
	assert_true(policy_may_open(&h, 0, 0, NULL, 0));	/* root */
	assert_true(policy_may_open(&h, 1000, 1000, NULL, 0));
	assert_true(policy_may_open(&h, 1001, 44, NULL, 0));	/* primary */
	assert_true(policy_may_open(&h, 1001, 1001, sup, 2));	/* extra */
	assert_false(policy_may_open(&h, 1001, 1001, other, 2));
	assert_false(policy_may_open(&h, 1001, 1001, NULL, 0));
	/* An unresolved name matches nobody. */
	h.allow_users[0].resolved = false;
	assert_false(policy_may_open(&h, 1000, 1000, NULL, 0));
}

static void test_check_alloc(void **state)
{
	struct heap_config h;
	struct policy_usage u = { 0 };

	heap_config_init(&h, "cam");
	assert_int_equal(policy_check_alloc(&h, UINT64_MAX - 4095, &u),
			 _LIMIT_MAX);
	h.limits[LIMIT_BUFFER_SIZE] = 1 << 20;
	assert_int_equal(policy_check_alloc(&h, 1 << 20, &u), _LIMIT_MAX);
	assert_int_equal(policy_check_alloc(&h, (1 << 20) + 4096, &u),
			 LIMIT_BUFFER_SIZE);
	h.limits[LIMIT_BYTES_PER_PROCESS] = 2 << 20;
	u.process = 1 << 20;
	assert_int_equal(policy_check_alloc(&h, 1 << 20, &u), _LIMIT_MAX);
	u.process = (1 << 20) + 4096;
	assert_int_equal(policy_check_alloc(&h, 1 << 20, &u),
			 LIMIT_BYTES_PER_PROCESS);
	u.process = 0;
	h.limits[LIMIT_BYTES_PER_USER] = 3 << 20;
	u.user = 3 << 20;
	assert_int_equal(policy_check_alloc(&h, 4096, &u),
			 LIMIT_BYTES_PER_USER);
	u.user = 0;
	h.limits[LIMIT_BYTES] = 0;	/* nothing at all */
	assert_int_equal(policy_check_alloc(&h, 4096, &u), LIMIT_BYTES);
	/* A limit lowered below what is live already: no overflow. */
	h.limits[LIMIT_BYTES] = 1 << 20;
	u.heap = 8 << 20;
	assert_int_equal(policy_check_alloc(&h, 4096, &u), LIMIT_BYTES);
	heap_config_init(&h, "cam");
	h.limits[LIMIT_BYTES] = DH_NO_LIMIT - 1;
	u.heap = 4096;
	assert_int_equal(policy_check_alloc(&h, UINT64_MAX - 4096, &u),
			 LIMIT_BYTES);
}

/* When the process started, as the helper reports it. */
#define START	4200000000ull

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
	assert_int_equal(ledger_commit(l, &h, b, 2, 77, START, "a"), -ENOMEM);
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
			 -ENOMEM);
	/* The later one has its own full limit, not a page more. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &k3, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, k3, 4, 77, START + 1, "second"),
			 -ENOMEM);
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
			 -ENOMEM);
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

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *allocate_beside(void *arg)
{
	struct allocator *a = arg;
	enum heap_limit hit;
	uint64_t cookie;
	double t;
	bool during;

	while (!atomic_load(&a->stop)) {
		during = atomic_load(&a->during);
		t = mono_s();
		assert_int_equal(ledger_reserve(a->l, a->h, 1000, 4096, &cookie,
						&hit), 0);
		ledger_cancel(a->l, cookie);
		t = mono_s() - t;
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
		t = mono_s();
		n = ledger_snapshot(l, &snap);
		t = mono_s() - t;
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
	/* ... and checked there: past it, the buffer leaves the ledger. */
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &a, &hit), 0);
	assert_int_equal(ledger_commit(l, &h, a, 3, 77, START, "a"), -ENOMEM);
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

static void test_report_size(void **state)
{
	char buf[24];

	assert_string_equal(report_size(0, buf, sizeof(buf)), "0");
	assert_string_equal(report_size(4096, buf, sizeof(buf)), "4K");
	assert_string_equal(report_size(6 << 20, buf, sizeof(buf)), "6M");
	assert_string_equal(report_size(5000, buf, sizeof(buf)), "5000");
	assert_string_equal(report_size(1ULL << 40, buf, sizeof(buf)), "1T");
}

/* Text of report_buffers(), via a memory stream. */
static char *buffers_text(struct ledger *l, bool json, enum report_by by)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	assert_int_equal(report_buffers(f, json, by, l), 0);
	fclose(f);
	return text;
}

static void test_report_buffers(void **state)
{
	struct ledger *l = ledger_new();
	struct heap_config a, b;
	enum heap_limit hit;
	uint64_t k;
	char *t;

	heap_config_init(&a, "cam");
	heap_config_init(&b, "gpu");
	assert_int_equal(ledger_reserve(l, &a, 1000, 4096, &k, &hit), 0);
	ledger_commit(l, &a, k, 1, 10, START, "small");
	assert_int_equal(ledger_reserve(l, &a, 1000, 1 << 20, &k, &hit), 0);
	ledger_commit(l, &a, k, 2, 11, START, "big");
	assert_int_equal(ledger_reserve(l, &b, 1000, 1 << 20, &k, &hit), 0);
	ledger_commit(l, &b, k, 3, 11, START, "big");
	assert_int_equal(ledger_reserve(l, &a, 1001, 8192, &k, &hit), 0);
	ledger_commit(l, &a, k, 4, 12, START, "other");

	t = buffers_text(l, true, BY_UID);
	/* Biggest first: uid 1000 on cam (1M + 4K), on gpu (1M), 1001. */
	assert_string_equal(t, "{\"by\":\"uid\",\"groups\":["
		"{\"uid\":1000,\"heap\":\"cam\",\"buffers\":2,\"bytes\":1052672},"
		"{\"uid\":1000,\"heap\":\"gpu\",\"buffers\":1,\"bytes\":1048576},"
		"{\"uid\":1001,\"heap\":\"cam\",\"buffers\":1,\"bytes\":8192}]}\n");
	free(t);
	t = buffers_text(l, false, BY_PROCESS);
	assert_non_null(strstr(t, "      11 big                  1000 cam                            1       1M\n"));
	assert_non_null(strstr(t, "      10 small                1000 cam                            1       4K\n"));
	free(t);
	t = buffers_text(l, false, BY_HEAP);
	assert_non_null(strstr(t, "cam                            3    1036K\n"));
	free(t);
	ledger_free(l);
}

/* A pid reused by a later process: two processes, two rows. */
static void test_report_reused_pid(void **state)
{
	struct ledger *l = ledger_new();
	struct heap_config h;
	enum heap_limit hit;
	uint64_t k;
	char *t;

	heap_config_init(&h, "cam");
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &k, &hit), 0);
	ledger_commit(l, &h, k, 1, 10, START, "old");
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &k, &hit), 0);
	ledger_commit(l, &h, k, 2, 10, START + 1, "new");
	assert_int_equal(ledger_reserve(l, &h, 1000, 8192, &k, &hit), 0);
	ledger_commit(l, &h, k, 3, 10, START + 1, "new");
	t = buffers_text(l, true, BY_PROCESS);
	assert_string_equal(t, "{\"by\":\"process\",\"groups\":["
		"{\"pid\":10,\"start\":4200000001,\"comm\":\"new\",\"uid\":1000,\"heap\":\"cam\",\"buffers\":2,\"bytes\":16384},"
		"{\"pid\":10,\"start\":4200000000,\"comm\":\"old\",\"uid\":1000,\"heap\":\"cam\",\"buffers\":1,\"bytes\":4096}]}\n");
	free(t);
	ledger_free(l);
}

static void test_report_heaps(void **state)
{
	struct ledger *l = ledger_new();
	struct node a = { .node_name = "cam" }, b = { .node_name = "plain" };
	struct node alias;
	struct node *nodes[] = { &a, &b, &alias };
	char *text = NULL, *json = NULL;
	size_t size = 0;
	FILE *f;

	heap_config_init(&a.cfg, "cam");
	a.cfg.kind = HEAP_KIND_CONTIGUOUS;
	a.helper_kind = DMAHEAP_HELPER_KIND_CONTIGUOUS;
	a.max_len = 4 << 20;
	a.cfg.limits[LIMIT_BYTES_PER_USER] = 64 << 20;
	alias = a;
	alias.node_name = "camera";
	heap_config_init(&b.cfg, "plain");

	f = open_memstream(&text, &size);
	report_heaps(f, false, nodes, 3, l, 1ULL << 30);
	fclose(f);
	assert_non_null(strstr(text, "\ncam                      contiguous page-allocator yes    yes          4M        -      64M        -        -       0        0 cam,camera\n"));
	assert_non_null(strstr(text, "\nplain                    system     pages          no     yes          1G        -        -        -        -       0        0 plain\n"));
	free(text);

	f = open_memstream(&json, &size);
	report_heaps(f, true, nodes, 3, l, 1ULL << 30);
	fclose(f);
	assert_non_null(strstr(json, "{\"heaps\":[{\"name\":\"cam\",\"nodes\":[\"cam\",\"camera\"],\"kind\":\"contiguous\",\"backing\":\"page-allocator\",\"contiguous\":true,\"cached\":true,\"largest_buffer\":4194304,\"limits\":{\"MaxBufferSize\":null,\"MaxBytesPerUser\":67108864,"));
	free(json);
	ledger_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_parsed),
		cmocka_unit_test(test_defaults_have_no_rules),
		cmocka_unit_test(test_lists_add_and_reset),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_names_resolved),
		cmocka_unit_test(test_may_open),
		cmocka_unit_test(test_check_alloc),
		cmocka_unit_test(test_ledger_limits),
		cmocka_unit_test(test_ledger_process_keyed_by_start),
		cmocka_unit_test(test_ledger_release_before_commit),
		cmocka_unit_test(test_ledger_many),
		cmocka_unit_test(test_ledger_snapshot_lets_allocations_in),
		cmocka_unit_test(test_report_size),
		cmocka_unit_test(test_report_buffers),
		cmocka_unit_test(test_report_reused_pid),
		cmocka_unit_test(test_report_heaps),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
