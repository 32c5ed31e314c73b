// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the policy: rules in the configuration, decisions. */
#include <errno.h>
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
#include "policy.h"

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
	if (!strcmp(name, "3dprint")) {
		*ret = 3000;
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

/*
 * A word is an id only if it is a number, decimal or 0x hex, as a whole:
 * a name may begin with a digit (3dprint), and is looked up as the others.
 */
static void test_numbers_and_names(void **state)
{
	const struct heap_config *h;

	assert_int_equal(parse("[Heap]\nName=a\n"
			       "AllowGroups=3dprint 0x2C 044 0x0x3e8 1e3 0x\n"
			       "[Daemon]\nControlGroup=3dprint\n"), 0);
	h = &c.heaps[0];
	assert_int_equal(h->n_allow_groups, 6);
	assert_false(h->allow_groups[0].resolved);
	assert_string_equal(h->allow_groups[0].name, "3dprint");
	assert_true(h->allow_groups[1].resolved);
	assert_int_equal(h->allow_groups[1].id, 44);
	assert_true(h->allow_groups[2].resolved);	/* no octal */
	assert_int_equal(h->allow_groups[2].id, 44);
	assert_false(h->allow_groups[3].resolved);
	assert_false(h->allow_groups[4].resolved);
	assert_false(h->allow_groups[5].resolved);
	assert_false(c.control_group.resolved);

	/* only numbers too large for an id are refused here */
	assert_int_equal(parse("[Heap]\nName=a\nAllowGroups=0x100000000\n"),
			 -EINVAL);
	assert_string_equal(d.error,
			    "test.conf:3: AllowGroups=: invalid id \"0x100000000\"");

	assert_int_equal(parse("[Heap]\nName=a\nAllowGroups=3dprint\n"
			       "[Daemon]\nControlGroup=3dprint\n"), 0);
	assert_int_equal(config_resolve_ids(&c, fake_user, fake_group, &d), 0);
	assert_int_equal(c.heaps[0].allow_groups[0].id, 3000);
	assert_int_equal(c.control_group.id, 3000);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_parsed),
		cmocka_unit_test(test_defaults_have_no_rules),
		cmocka_unit_test(test_lists_add_and_reset),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_names_resolved),
		cmocka_unit_test(test_numbers_and_names),
		cmocka_unit_test(test_may_open),
		cmocka_unit_test(test_check_alloc),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
