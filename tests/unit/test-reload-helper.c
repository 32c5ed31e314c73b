// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/reload.c against a fake helper: a reload that is
 * rejected leaves the helper as it was, no region claimed, no pool sized.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <cmocka.h>

#include "config.h"
#include "ledger.h"
#include "manager.h"
#include "reload.h"
#include "unit-helpers.h"

extern int fake_helper_pool_calls;
extern int fake_helper_pool_error;
extern int fake_helper_region_calls;
extern int fake_helper_region_error;

static struct options opts;
static struct config old;
static struct manager m;
static char conf_path[512], dev_dir[512];

static int setup(void **state)
{
	if (tree_setup(state) < 0)
		return -1;
	tree_mkdir("dev");
	snprintf(conf_path, sizeof(conf_path), "%s", tree_path("dmaheapd.conf"));
	snprintf(dev_dir, sizeof(dev_dir), "%s", tree_path("dev"));
	opts = (struct options){ .config = conf_path };
	config_init(&old);
	old.dev_dir = dev_dir;
	config_finish(&old);
	memset(&m, 0, sizeof(m));
	m.opts = &opts;
	m.c = &old;
	m.helper_fd = m.sig_fd = -1;
	fake_helper_pool_calls = 0;
	fake_helper_pool_error = 0;
	fake_helper_region_calls = 0;
	fake_helper_region_error = 0;
	return 0;
}

/* The configuration file: [Daemon] PoolSize=@pool and a new region heap. */
static void put_config(uint64_t pool)
{
	char text[256];

	snprintf(text, sizeof(text),
		 "[Daemon]\nPoolSize=%" PRIu64 "\n\n"
		 "[Heap]\nName=secure\nKind=region\nBase=0x30000000\nSize=64M\n",
		 pool);
	tree_put("dmaheapd.conf", text);
}

/* This machine's RAM, as the helper counts it for PoolSize=. */
static uint64_t ram_bytes(void)
{
	struct sysinfo si;

	assert_int_equal(sysinfo(&si), 0);
	return (uint64_t)si.totalram * si.mem_unit;
}

/*
 * PoolSize= of all the RAM, which the helper refuses (-EINVAL): the reload
 * is rejected for it, and the new heap's region was never claimed, as it
 * would stay claimed until the module is unloaded.
 */
static void test_pool_refused_no_region_claimed(void **state)
{
	put_config(ram_bytes());
	fake_helper_pool_error = -EINVAL;

	assert_int_equal(reload(&m), -EINVAL);
	assert_ptr_equal(m.c, &old);
	assert_non_null(strstr(m.reload_msg, "the pool cannot be sized"));
	assert_int_equal(fake_helper_region_calls, 0);
	assert_int_equal(fake_helper_pool_calls, 0);
}

/* A region the helper refuses: rejected, and the pool left as it was. */
static void test_region_refused_pool_untouched(void **state)
{
	put_config(16 << 20);
	fake_helper_region_error = -EBUSY;

	assert_int_equal(reload(&m), -EBUSY);
	assert_ptr_equal(m.c, &old);
	assert_non_null(strstr(m.reload_msg, "a heap's memory cannot be set up"));
	assert_int_equal(fake_helper_region_calls, 1);
	assert_int_equal(fake_helper_pool_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_refused_no_region_claimed,
						setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_region_refused_pool_untouched,
						setup, tree_teardown),
	};

	return cmocka_run_group_tests_name("reload-helper", tests, NULL, NULL);
}
