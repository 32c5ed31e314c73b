// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/commands.c against a fake helper: what dmaheapctl
 * status shows of the pools kept per memory cgroup, with a helper that
 * lists them and one that does not; what heaps shows kept ahead.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cgroup.h"
#include "commands.h"
#include "config.h"
#include "helper.h"
#include "ledger.h"
#include "macro.h"
#include "manager.h"

extern struct dmaheap_helper_memcg_pool fake_helper_memcg_pools[24];
extern unsigned int fake_helper_n_memcg_pools;
extern int fake_helper_memcg_error;
extern const char *fake_helper_counter_name;
extern uint64_t fake_helper_counter_value;

static struct config conf;
static struct manager m;

static int setup(void **state)
{
	config_init(&conf);
	config_finish(&conf);
	memset(&m, 0, sizeof(m));
	m.c = &conf;
	m.helper_fd = -1;
	m.ledger = ledger_new();
	m.w.n_threads = 2;
	memset(fake_helper_memcg_pools, 0, sizeof(fake_helper_memcg_pools));
	fake_helper_n_memcg_pools = 0;
	fake_helper_memcg_error = -ENOTTY;
	fake_helper_counter_name = "";
	return 0;
}

static int teardown(void **state)
{
	ledger_free(m.ledger);
	return 0;
}

/* The answer to the request @line (words split at spaces). */
static char *run(const char *line)
{
	char words[256], *argv[8], *text = NULL, err[256] = "";
	size_t size = 0;
	int argc = 0;
	FILE *f;

	snprintf(words, sizeof(words), "%s", line);
	for (argv[argc] = strtok(words, " "); argv[argc] && argc < 7;
	     argv[++argc] = strtok(NULL, " "))
		;
	f = open_memstream(&text, &size);
	assert_non_null(f);
	assert_int_equal(commands_handle(&m, argc, argv, f, err, sizeof(err)),
			 0);
	fclose(f);
	return text;
}

static size_t count_of(const char *s, const char *what)
{
	size_t n = 0;

	for (s = strstr(s, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

/* An older helper (ENOTTY): the counters, no list, no key. */
static void test_status_old_helper(void **state)
{
	char *t;

	t = run("status");
	/* The fake reads no sysfs: missing counters are 0, as before. */
	assert_non_null(strstr(t, "\nmemcg_pool_count          0\n"));
	assert_non_null(strstr(t, "\nmemcg_pool_bytes          0\n"));
	assert_non_null(strstr(t, "\nmemcg_pool_hits           0\n"));
	assert_non_null(strstr(t, "\nmemcg_pool_misses         0\n"));
	assert_non_null(strstr(t, "\npool_max                  67108864\n"));
	assert_null(strstr(t, "CGROUP"));
	free(t);
	t = run("status --json");
	assert_non_null(strstr(t, "\"memcg_pool_count\":0,\"memcg_pool_bytes\":0,\"memcg_pool_hits\":0,\"memcg_pool_misses\":0,"));
	assert_non_null(strstr(t, "\"charge_clients\":1,"));
	assert_null(strstr(t, "\"memcg_pools\""));
	assert_string_equal(t + strlen(t) - 2, "}\n");
	free(t);
}

/* A helper that lists them: none yet, then some, at most 16. */
static void test_status_lists_pools(void **state)
{
	struct dmaheap_helper_memcg_pool *e = fake_helper_memcg_pools;
	char root[4096], *t, want[256];
	struct stat st;
	bool have_root;
	unsigned int i;

	fake_helper_memcg_error = 0;
	t = run("status");
	assert_null(strstr(t, "CGROUP"));
	free(t);
	t = run("status --json");
	assert_non_null(strstr(t, ",\"memcg_pools\":[]}\n"));
	free(t);

	/* The cgroup2 mount's own directory is the root cgroup, "/". */
	cgroup_root(root, sizeof(root));
	have_root = stat(root, &st) == 0 && S_ISDIR(st.st_mode);
	e[0] = (struct dmaheap_helper_memcg_pool){
		.cgroup_ino = 0, .bytes = 2 << 20, .target = 4 << 20,
		.hits = 5, .misses = 1,
	};
	e[1] = (struct dmaheap_helper_memcg_pool){
		.cgroup_ino = have_root ? (uint64_t)st.st_ino : 0,
		.bytes = 1 << 20, .target = 1 << 20, .hits = 9,
	};
	fake_helper_n_memcg_pools = 2;
	t = run("status");
	assert_non_null(strstr(t, "\n\nCGROUP     KEPT   TARGET     HITS   MISSES\n"
				  "(none)       2M       4M        5        1\n"));
	if (have_root)
		assert_non_null(strstr(t, "\n/            1M       1M        9        0\n"));
	free(t);
	t = run("status --json");
	assert_non_null(strstr(t, ",\"memcg_pools\":[{\"cgroup\":null,\"cgroup_ino\":0,\"bytes\":2097152,\"target\":4194304,\"hits\":5,\"misses\":1},"));
	snprintf(want, sizeof(want),
		 "{\"cgroup\":\"/\",\"cgroup_ino\":%llu,\"bytes\":1048576,",
		 (unsigned long long)e[1].cgroup_ino);
	if (have_root)
		assert_non_null(strstr(t, want));
	free(t);

	/* More than fit: the first 16 shown. */
	for (i = 2; i < 18; i++)
		e[i] = (struct dmaheap_helper_memcg_pool){ .hits = i };
	fake_helper_n_memcg_pools = 18;
	t = run("status --json");
	assert_int_equal(count_of(t, "\"cgroup_ino\":"),
			 DMAHEAP_HELPER_MEMCG_POOLS_MAX);
	assert_non_null(strstr(t, "\"hits\":15,"));
	assert_null(strstr(t, "\"hits\":16,"));
	free(t);
}

/* AHEAD: the counter of the pools ChargeClients= picks, system kind only. */
static void test_heaps_kept_ahead(void **state)
{
	struct node sys = { .node_name = "system" };
	struct node cam = { .node_name = "cam" };
	char *t;

	heap_config_init(&sys.cfg, "system");
	sys.helper_kind = DMAHEAP_HELPER_KIND_SYSTEM;
	heap_config_init(&cam.cfg, "cam");
	cam.cfg.kind = HEAP_KIND_CONTIGUOUS;
	cam.helper_kind = DMAHEAP_HELPER_KIND_CONTIGUOUS;
	cam.max_len = 4 << 20;
	m.nodes[0] = &sys;
	m.nodes[1] = &cam;
	m.n = 2;

	fake_helper_counter_name = "memcg_pool_bytes";
	fake_helper_counter_value = 3 << 20;
	t = run("heaps");
	assert_non_null(strstr(t, "       0        0       3M system\n"));
	assert_non_null(strstr(t, "       0        0        - cam\n"));
	free(t);
	t = run("heaps --json");
	assert_non_null(strstr(t, "\"kept_ahead\":3145728}"));
	assert_non_null(strstr(t, "\"kept_ahead\":null}"));
	free(t);

	/* ChargeClients=no: the uncharged pool's. */
	conf.charge_clients = false;
	t = run("heaps");
	assert_non_null(strstr(t, "       0        0        0 system\n"));
	free(t);
	fake_helper_counter_name = "pool_bytes";
	t = run("heaps --json");
	assert_non_null(strstr(t, "\"kept_ahead\":3145728}"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_old_helper, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_lists_pools, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_heaps_kept_ahead, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("commands", tests, NULL, NULL);
}
