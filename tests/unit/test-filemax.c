// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/filemax.c: the parsers, when a reading is used
 * again, and the /proc side on this process (root or not) and on a thread
 * that is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "filemax.h"
#include "macro.h"
#include "unit-helpers.h"

static void test_parse_nr(void **state)
{
	uint64_t nr = 0, max = 0;

	assert_int_equal(filemax_parse_nr("1824\t0\t9223372036854775807\n",
					  &nr, &max), 0);
	assert_int_equal(nr, 1824);
	assert_int_equal(max, 9223372036854775807ull);
	assert_int_equal(filemax_parse_nr("32\t0\t16\n", &nr, &max), 0);
	assert_true(nr >= max);
	assert_int_equal(filemax_parse_nr("32\t0\n", &nr, &max), -EINVAL);
	assert_int_equal(filemax_parse_nr("", &nr, &max), -EINVAL);
	assert_int_equal(filemax_parse_nr("32\t-1\t16\n", &nr, &max), -EINVAL);
	assert_int_equal(filemax_parse_nr("x\t0\t16\n", &nr, &max), -EINVAL);
	assert_int_equal(filemax_parse_nr("99999999999999999999\t0\t16\n",
					  &nr, &max), -EINVAL);
	assert_int_equal(filemax_parse_nr(" 7 0 8", &nr, &max), 0);
	assert_int_equal(nr, 7);
	assert_int_equal(max, 8);
}

static void test_parse_capeff(void **state)
{
	uint64_t caps = 0;

	assert_int_equal(filemax_parse_capeff("Name:\tx\nCapPrm:\t0000000000000000\n"
					      "CapEff:\t000001ffffffffff\nCapBnd:\t0\n",
					      &caps), 0);
	assert_int_equal(caps, 0x1ffffffffffull);
	assert_true(caps & (1ull << FILEMAX_CAP_SYS_ADMIN));
	assert_int_equal(filemax_parse_capeff("CapEff:\t0000000000000000\n",
					      &caps), 0);
	assert_int_equal(caps, 0);
	assert_int_equal(filemax_parse_capeff("CapPrm:\t1\n", &caps), -EINVAL);
	assert_int_equal(filemax_parse_capeff("CapEff:\tzz\n", &caps), -EINVAL);
}

/* When a reading of file-nr serves again, and when it is read afresh. */
static void test_fresh(void **state)
{
	const uint64_t t = 5000000000u;
	struct filemax_reading r = {
		.nr = 1824, .max = 9223372036854775807ull, .at_ns = t,
		.valid = true,
	};

	assert_true(filemax_fresh(&r, t));
	assert_true(filemax_fresh(&r, t + FILEMAX_READ_AGE_NS - 1));
	assert_false(filemax_fresh(&r, t + FILEMAX_READ_AGE_NS));
	r.uses = FILEMAX_READ_EVERY - 1;
	assert_true(filemax_fresh(&r, t));
	r.uses = FILEMAX_READ_EVERY;
	assert_false(filemax_fresh(&r, t));
	r.uses = 0;
	/* near file-max, at it, past it: every allocation reads */
	r.max = r.nr + FILEMAX_MARGIN + 1;
	assert_true(filemax_fresh(&r, t));
	r.max = r.nr + FILEMAX_MARGIN;
	assert_false(filemax_fresh(&r, t));
	r.max = r.nr;
	assert_false(filemax_fresh(&r, t));
	r.max = r.nr - 1;
	assert_false(filemax_fresh(&r, t));
	r.max = 9223372036854775807ull;
	/* a clock read before the reading was made (another thread's) */
	assert_false(filemax_fresh(&r, t - 1));
	r.valid = false;
	assert_false(filemax_fresh(&r, t));
}

/*
 * filemax_reached() on this machine's file-nr: one read serves
 * FILEMAX_READ_EVERY allocations, made well within FILEMAX_READ_AGE_NS,
 * and the first after that age reads again.
 */
static void test_reuse(void **state)
{
	struct timespec pause = { 0, FILEMAX_READ_AGE_NS + 1000000 };
	unsigned long before, reads = 0;
	int i, attempt;
	uint64_t nr, max;
	char buf[96];
	FILE *f;

	f = fopen("/proc/sys/fs/file-nr", "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_int_equal(filemax_parse_nr(buf, &nr, &max), 0);
	if (max - nr <= 2 * FILEMAX_MARGIN)
		skip();		/* near file-max: every call reads */

	/* A loaded machine may stop this thread past the age: try again. */
	for (attempt = 0; attempt < 3; attempt++) {
		nanosleep(&pause, NULL);
		before = filemax_reads();
		for (i = 0; i < 2 * FILEMAX_READ_EVERY; i++)
			assert_int_equal(filemax_reached(), 0);
		reads = filemax_reads() - before;
		assert_true(reads >= 2);
		if (reads == 2)
			break;
	}
	assert_int_equal(reads, 2);
	nanosleep(&pause, NULL);
	assert_int_equal(filemax_reached(), 0);
	assert_int_equal(filemax_reads() - before, 3);
}

static void test_proc(void **state)
{
	pid_t pid;

	/* this machine is not at file-max while the tests run */
	assert_int_equal(filemax_reached(), 0);
	assert_int_equal(filemax_reached(), 0);	/* the kept fd, again */
	assert_int_equal(filemax_exempt(gettid()), geteuid() == 0);
	pid = reaped_pid();
	assert_int_equal(filemax_exempt(pid), -ESRCH);
}

/*
 * Read from a file, not a text: the line found past lines longer than the
 * reader's 4 KiB, split across reads, or last without its newline.
 */
static void test_read_capeff(void **state)
{
	static char text[40000];
	uint64_t caps;
	int fds[2];
	size_t i;
	char *p;

	static const char *const last[] = {
		"CapEff:\t0000000000200000\nCapBnd:\t0\n",
		"CapEff:\t0000000000200000",
		"CapPrm:\t0000000000200000\n",
		"Groups:\t1 2\nCapEff:\tzz\n",
	};

	for (i = 0; i < ARRAY_SIZE(last); i++) {
		/* Groups: of 5 KiB, then one of 30 KiB: never kept whole. */
		p = text + sprintf(text, "Name:\tx\nGroups:\t");
		memset(p, '7', 5000);
		p += 5000;
		p += sprintf(p, "\nGroups:\t");
		memset(p, '8', 30000);
		p += 30000;
		/* ... ending a line "CapEff:" is part of, not one of its own */
		p += sprintf(p, " CapEff:\t1\n%s", last[i]);
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(fcntl(fds[1], F_SETPIPE_SZ, 65536), 65536);
		assert_int_equal(write(fds[1], text, p - text), p - text);
		close(fds[1]);
		caps = 0;
		assert_int_equal(filemax_read_capeff(fds[0], &caps),
				 i < 2 ? 0 : -EIO);
		assert_int_equal(caps, i < 2 ? 0x200000 : 0);
		close(fds[0]);
	}
	/* Empty. */
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	assert_int_equal(filemax_read_capeff(fds[0], &caps), -EIO);
	close(fds[0]);
}

/*
 * CapEff: comes after Groups:, which lists every supplementary group (up
 * to 65536): with 2000 of them it is past the first 4 KiB of the file, and
 * was not found (-EIO: an admin refused past fs.file-max). Root only: a
 * child with 2000 groups.
 */
static void test_proc_many_groups(void **state)
{
	gid_t groups[2000];
	pid_t pid;
	int i, status;

	if (geteuid() != 0)
		skip();
	for (i = 0; i < 2000; i++)
		groups[i] = 100000 + i;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(2000, groups) < 0)
			_exit(77);	/* root of a user namespace */
		_exit(filemax_exempt(gettid()) == 1 ? 0 :
		      filemax_exempt(gettid()) == -EIO ? 3 : 4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_nr),
		cmocka_unit_test(test_parse_capeff),
		cmocka_unit_test(test_read_capeff),
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_proc),
		cmocka_unit_test(test_proc_many_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
