// SPDX-License-Identifier: GPL-2.0
/* Unit tests of dmaheapctl's reports: sizes, buffers, heaps. */
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
#include "report.h"
#include "unit-helpers.h"

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
	a.cfg.seat_access = true;
	alias = a;
	alias.node_name = "camera";
	heap_config_init(&b.cfg, "plain");

	f = open_memstream(&text, &size);
	report_heaps(f, false, nodes, 3, l, 1ULL << 30, 12 << 20);
	fclose(f);
	assert_non_null(strstr(text, "HEAP                     KIND       BACKING        CONTIG CACHED SEAT    LARGEST   MAXBUF MAX/USER MAX/PROC      MAX BUFFERS    BYTES    AHEAD NODES\n"));
	/* Zeroed pages kept ahead: for the system kind only. */
	assert_non_null(strstr(text, "\ncam                      contiguous page-allocator yes    yes    yes          4M        -      64M        -        -       0        0        - cam,camera\n"));
	assert_non_null(strstr(text, "\nplain                    system     pages          no     yes    no           1G        -        -        -        -       0        0      12M plain\n"));
	free(text);

	f = open_memstream(&json, &size);
	report_heaps(f, true, nodes, 3, l, 1ULL << 30, 12 << 20);
	fclose(f);
	assert_non_null(strstr(json, "{\"heaps\":[{\"name\":\"cam\",\"nodes\":[\"cam\",\"camera\"],\"kind\":\"contiguous\",\"backing\":\"page-allocator\",\"contiguous\":true,\"cached\":true,\"seat_access\":true,\"largest_buffer\":4194304,\"limits\":{\"MaxBufferSize\":null,\"MaxBytesPerUser\":67108864,"));
	assert_non_null(strstr(json, "\"live_buffers\":0,\"live_bytes\":0,\"kept_ahead\":null},{\"name\":\"plain\","));
	assert_non_null(strstr(json, "\"live_buffers\":0,\"live_bytes\":0,\"kept_ahead\":12582912}]}\n"));
	free(json);
	ledger_free(l);
}

/* Names of any length aligned; a time as a date in text, a number in JSON. */
static void test_report_status(void **state)
{
	const struct report_counter c[] = {
		{ .name = "heaps", .value = 2 },
		{ .name = "helper_deliveries_dropped", .value = 7 },
		{ .name = "loaded_at", .value = 0, .is_time = true },
		{ .name = "reloads", .value = 1 },
	};
	char *text = NULL, *json = NULL, when[64];
	size_t size;
	FILE *f;

	f = open_memstream(&text, &size);
	report_status(f, false, c, 4, NULL, 0);
	fclose(f);
	assert_string_equal(text,
			    "heaps                     2\n"
			    "helper_deliveries_dropped 7\n"
			    "loaded_at                 -\n"
			    "reloads                   1\n");
	f = open_memstream(&json, &size);
	report_status(f, true, c, 4, NULL, 0);
	fclose(f);
	assert_string_equal(json, "{\"heaps\":2,\"helper_deliveries_dropped\":7,\"loaded_at\":0,\"reloads\":1}\n");
	free(text);
	free(json);

	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(report_time(1796256000, when, sizeof(when)),
			    "2026-12-03 00:00:00 UTC");
}

/* Text of report_status() with @pools, via a memory stream. */
static char *status_text(bool json, const struct report_counter *c, size_t n,
			 const struct report_memcg_pool *pools,
			 size_t n_pools)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	report_status(f, json, c, n, pools, n_pools);
	fclose(f);
	return text;
}

/*
 * The pools kept per memory cgroup: a table after the counters, the array
 * "memcg_pools" in JSON; a cgroup not found is "?" and null, none is
 * "(none)" (no memory controller); a helper that lists none: no table.
 */
static void test_report_memcg_pools(void **state)
{
	const struct report_counter c[] = {
		{ .name = "memcg_pool_count", .value = 3 },
		{ .name = "memcg_pool_bytes", .value = 5 << 20 },
	};
	const struct report_memcg_pool p[] = {
		{ .cgroup = "/user.slice/user-1000.slice/session-2.scope",
		  .cgroup_ino = 7821, .bytes = 4 << 20, .target = 16 << 20,
		  .hits = 120, .misses = 3 },
		{ .cgroup = NULL, .cgroup_ino = 9000, .bytes = 1 << 20,
		  .target = 0, .hits = 0, .misses = 12 },
		{ .cgroup = NULL, .cgroup_ino = 0, .bytes = 0,
		  .target = 65536, .hits = 1, .misses = 0 },
	};
	char *t;

	t = status_text(false, c, 2, p, 3);
	assert_string_equal(t,
		"memcg_pool_count 3\n"
		"memcg_pool_bytes 5242880\n"
		"\n"
		"CGROUP                                          KEPT   TARGET     HITS   MISSES\n"
		"/user.slice/user-1000.slice/session-2.scope       4M      16M      120        3\n"
		"?                                                 1M        0        0       12\n"
		"(none)                                             0      64K        1        0\n");
	free(t);
	t = status_text(true, c, 2, p, 3);
	assert_string_equal(t,
		"{\"memcg_pool_count\":3,\"memcg_pool_bytes\":5242880,\"memcg_pools\":["
		"{\"cgroup\":\"/user.slice/user-1000.slice/session-2.scope\",\"cgroup_ino\":7821,\"bytes\":4194304,\"target\":16777216,\"hits\":120,\"misses\":3},"
		"{\"cgroup\":null,\"cgroup_ino\":9000,\"bytes\":1048576,\"target\":0,\"hits\":0,\"misses\":12},"
		"{\"cgroup\":null,\"cgroup_ino\":0,\"bytes\":0,\"target\":65536,\"hits\":1,\"misses\":0}]}\n");
	free(t);

	/* Listed, none: no table, an empty array. */
	t = status_text(false, c, 1, p, 0);
	assert_string_equal(t, "memcg_pool_count 3\n");
	free(t);
	t = status_text(true, c, 1, p, 0);
	assert_string_equal(t, "{\"memcg_pool_count\":3,\"memcg_pools\":[]}\n");
	free(t);
	/* A short path: the column as wide as its head. */
	t = status_text(false, c, 1, &p[2], 1);
	assert_string_equal(t, "memcg_pool_count 3\n\n"
			    "CGROUP     KEPT   TARGET     HITS   MISSES\n"
			    "(none)        0      64K        1        0\n");
	free(t);
	/* No list from the helper: no key either. */
	t = status_text(true, c, 1, NULL, 0);
	assert_string_equal(t, "{\"memcg_pool_count\":3}\n");
	free(t);
}

/*
 * What clients and users name themselves (a process's comm, a delegated
 * cgroup's path) reaches whoever reads a report: in text, no byte but
 * printable ASCII, each other one shown as '?' (as ps(1) does), the
 * columns still aligned; in JSON, control characters escaped and bytes
 * that are not UTF-8 replaced (U+FFFD), valid UTF-8 kept.
 */
static void test_report_untrusted_names(void **state)
{
	struct ledger *l = ledger_new();
	struct heap_config h;
	enum heap_limit hit;
	uint64_t k;
	char *t;
	const struct report_counter c[] = {
		{ .name = "memcg_pool_count", .value = 1 },
	};
	const struct report_memcg_pool p[] = {
		{ .cgroup = "/u/\033]0;x\007\xc3\xa9\xff\x7f", .cgroup_ino = 5,
		  .bytes = 4096, .target = 4096 },
	};

	heap_config_init(&h, "cam");
	assert_int_equal(ledger_reserve(l, &h, 1000, 4096, &k, &hit), 0);
	ledger_commit(l, &h, k, 1, 10, START, "\033[2J\xe2\x82\xac\x9b");
	t = buffers_text(l, false, BY_PROCESS);
	assert_non_null(strstr(t, "      10 ?[2J????             1000 cam                            1       4K\n"));
	assert_null(strchr(t, '\033'));
	free(t);
	t = buffers_text(l, true, BY_PROCESS);
	assert_non_null(strstr(t, "\"comm\":\"\\u001b[2J\xe2\x82\xac\\ufffd\""));
	free(t);
	ledger_free(l);

	t = status_text(false, c, 1, p, 1);
	assert_string_equal(t, "memcg_pool_count 1\n\n"
			    "CGROUP            KEPT   TARGET     HITS   MISSES\n"
			    "/u/?]0;x?????       4K       4K        0        0\n");
	free(t);
	t = status_text(true, c, 1, p, 1);
	assert_non_null(strstr(t, "\"cgroup\":\"/u/\\u001b]0;x\\u0007\xc3\xa9\\ufffd\x7f\""));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_size),
		cmocka_unit_test(test_report_buffers),
		cmocka_unit_test(test_report_reused_pid),
		cmocka_unit_test(test_report_heaps),
		cmocka_unit_test(test_report_status),
		cmocka_unit_test(test_report_memcg_pools),
		cmocka_unit_test(test_report_untrusted_names),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
