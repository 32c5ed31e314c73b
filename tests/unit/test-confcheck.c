// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/confcheck.c: a configuration file loaded and made
 * ready for this machine, its user and group names looked up through NSS
 * (fake-nss.c: lookups that want a large buffer).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "confcheck.h"
#include "config.h"
#include "options.h"
#include "unit-helpers.h"

extern size_t fake_nss_buf_min;		/* fake-nss.c */
extern unsigned int fake_nss_calls;

static struct config c;
static struct config_diag d;
static char dev_dir[512];

static int setup(void **state)
{
	if (tree_setup(state) < 0)
		return -1;
	tree_mkdir("dev");
	snprintf(dev_dir, sizeof(dev_dir), "%s", tree_path("dev"));
	fake_nss_buf_min = 0;
	fake_nss_calls = 0;
	return 0;
}

/* dmaheapd.conf holding @text, loaded as the daemon starts with it. */
static int load(const char *text)
{
	struct options o = { .config = tree_path("dmaheapd.conf") };

	tree_put("dmaheapd.conf", text);
	config_init(&c);
	c.dev_dir = dev_dir;
	memset(&d, 0, sizeof(d));
	return confcheck_load(&c, &o, NULL, 0, &d);
}

#define ROOT_CONF "[Heap]\nName=system\nAllowUsers=root\nAllowGroups=root\n" \
		  "[Daemon]\nControlGroup=root\n"

static void test_names_looked_up(void **state)
{
	assert_int_equal(load(ROOT_CONF), 0);
	assert_true(c.heaps[0].allow_users[0].resolved);
	assert_int_equal(c.heaps[0].allow_users[0].id, 0);
	assert_true(c.heaps[0].allow_groups[0].resolved);
	assert_int_equal(c.heaps[0].allow_groups[0].id, 0);
	assert_true(c.control_group.resolved);
	assert_int_equal(c.control_group.id, 0);
	assert_int_equal(fake_nss_calls, 3);
}

/*
 * An entry larger than the first buffer (a group of some 2000 members from
 * LDAP): ERANGE, and the lookup is tried again with a larger buffer, not
 * taken for the answer ("cannot look up group" before).
 */
static void test_large_entry(void **state)
{
	int r;

	fake_nss_buf_min = 64 << 10;
	r = load(ROOT_CONF);
	assert_string_equal(d.error, "");
	assert_int_equal(r, 0);
	assert_int_equal(c.heaps[0].allow_users[0].id, 0);
	assert_int_equal(c.heaps[0].allow_groups[0].id, 0);
	assert_int_equal(c.control_group.id, 0);
	/* 4, 8, 16, 32 and 64 KiB, for each of the three */
	assert_int_equal(fake_nss_calls, 3 * 5);
}

/* One that no buffer up to the bound, 16 MiB, holds stays an error. */
static void test_entry_beyond_bound(void **state)
{
	fake_nss_buf_min = 64 << 20;
	assert_int_equal(load("[Heap]\nName=system\nAllowGroups=root\n"),
			 -EINVAL);
	assert_string_equal(d.error,
			    tree_path("dmaheapd.conf:3: cannot look up group \"root\": Numerical result out of range"));
	assert_int_equal(fake_nss_calls, 13);	/* 4 KiB to 16 MiB */
}

static void test_no_such_name(void **state)
{
	assert_int_equal(load("[Heap]\nName=system\nAllowUsers=nosuch-dmaheapd-user\n"),
			 -EINVAL);
	assert_string_equal(d.error,
			    tree_path("dmaheapd.conf:3: no user \"nosuch-dmaheapd-user\" on this system"));
}

/*
 * A name that begins with a digit is looked up, and one that is not there
 * is reported as any other ("AllowGroups=: invalid id" before).
 */
static void test_name_beginning_with_digit(void **state)
{
	assert_int_equal(load("[Heap]\nName=system\nAllowGroups=3dprint-nosuch\n"),
			 -EINVAL);
	assert_string_equal(d.error,
			    tree_path("dmaheapd.conf:3: no group \"3dprint-nosuch\" on this system"));
	assert_int_equal(fake_nss_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names_looked_up, setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_large_entry, setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_entry_beyond_bound, setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_no_such_name, setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_name_beginning_with_digit,
						setup, tree_teardown),
	};

	return cmocka_run_group_tests_name("confcheck", tests, NULL, NULL);
}
