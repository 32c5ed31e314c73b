// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/backing.c against a fake helper: which pools
 * PoolSize= sizes, what a helper's refusal does, and the check of
 * PoolSize= made without the helper.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <cmocka.h>

#include "backing.h"
#include "config.h"
#include "helper.h"

extern uint64_t fake_helper_pool_bytes;
extern uint32_t fake_helper_pool_flags;
extern int fake_helper_pool_calls;
extern int fake_helper_pool_error;

static struct config conf;

static int setup(void **state)
{
	config_init(&conf);
	config_finish(&conf);
	fake_helper_pool_bytes = 1;
	fake_helper_pool_flags = UINT32_MAX;
	fake_helper_pool_calls = 0;
	fake_helper_pool_error = 0;
	return 0;
}

/* ChargeClients=yes, the default: the pools per memory cgroup, 64 MiB. */
static void test_pool_per_memcg(void **state)
{
	assert_int_equal(backing_pool(&conf, 3), 0);
	assert_int_equal(fake_helper_pool_calls, 1);
	assert_int_equal(fake_helper_pool_bytes, 64 << 20);
	assert_int_equal(fake_helper_pool_flags,
			 DMAHEAP_HELPER_POOL_PER_MEMCG);

	conf.pool_size = 0;
	assert_int_equal(backing_pool(&conf, 3), 0);
	assert_int_equal(fake_helper_pool_bytes, 0);
}

/* ChargeClients=no: the one uncharged pool, as before. */
static void test_pool_uncharged(void **state)
{
	conf.charge_clients = false;
	conf.pool_size = 16 << 20;
	assert_int_equal(backing_pool(&conf, 3), 0);
	assert_int_equal(fake_helper_pool_bytes, 16 << 20);
	assert_int_equal(fake_helper_pool_flags, 0);
}

/* A helper without pools is a warning; more than half of RAM an error. */
static void test_pool_refused(void **state)
{
	fake_helper_pool_error = -ENOTTY;
	assert_int_equal(backing_pool(&conf, 3), 0);
	fake_helper_pool_error = -EINVAL;
	assert_int_equal(backing_pool(&conf, 3), -EINVAL);
	fake_helper_pool_error = -EIO;
	assert_int_equal(backing_pool(&conf, 3), -EIO);
}

/* The helper's bound, half of RAM, checked without asking the helper. */
static void test_pool_check(void **state)
{
	struct sysinfo si;
	uint64_t half;

	assert_int_equal(sysinfo(&si), 0);
	half = (uint64_t)si.totalram * si.mem_unit / 2;
	conf.pool_size = half;
	assert_int_equal(backing_pool_check(&conf), 0);
	conf.pool_size = half + 1;
	assert_int_equal(backing_pool_check(&conf), -EINVAL);
	assert_int_equal(fake_helper_pool_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pool_per_memcg, setup),
		cmocka_unit_test_setup(test_pool_uncharged, setup),
		cmocka_unit_test_setup(test_pool_refused, setup),
		cmocka_unit_test_setup(test_pool_check, setup),
	};

	return cmocka_run_group_tests_name("backing", tests, NULL, NULL);
}
