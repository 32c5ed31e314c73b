// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/userns.c against real user namespaces: this
 * process, a thread that is gone, and children in a namespace of their
 * own and in one nested in it (skipped where this user cannot create user
 * namespaces).
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "userns.h"
#include "unit-helpers.h"

/* Largest pid_max is 4194304: no thread has this id. */
#define NO_SUCH_TID	0x7ffffff0

static void test_own_namespace(void **state)
{
	uid_t key = 0;

	assert_int_equal(userns_is_ours(gettid()), 1);
	assert_int_equal(userns_user_key(gettid(), 4242, &key), 0);
	assert_int_equal(key, 4242);	/* the uid FUSE gave, as it is */
}

static void test_thread_gone(void **state)
{
	uid_t key = 77;
	pid_t pid;

	assert_int_equal(userns_user_key(NO_SUCH_TID, 1000, &key), -ESRCH);
	assert_int_equal(key, 77);
	/* one that was there: exited and reaped */
	pid = reaped_pid();
	assert_int_equal(userns_user_key(pid, 1000, &key), -ESRCH);
	assert_int_equal(userns_is_ours(pid), -ESRCH);
}

static int write_self(const char *name, const char *text)
{
	char path[64];
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	f = fopen(path, "we");
	if (!f)
		return -1;
	r = fputs(text, f) < 0;
	r = fclose(f) || r ? -1 : 0;
	if (r)
		fprintf(stderr, "%s: %s: %m\n", path, text);
	return r;
}

/*
 * Enters a user namespace mapping uid and gid 0 there to ours: a nested
 * one can then be created in it (its creator must be mapped). 0 or -1.
 */
static int enter_mapped(void)
{
	char map[32];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER) < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)uid);
	if (write_self("uid_map", map) < 0 ||
	    write_self("setgroups", "deny") < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)gid);
	return write_self("gid_map", map);
}

/* Writes /proc/@pid/@name as root: a map of 10 ids from @base. */
static void write_map(pid_t pid, const char *name, unsigned int base)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "0 %u 10\n", base);
	assert_int_equal(fclose(f), 0);
}

#define OWNER	4321u
#define SUBUID	300000u

/*
 * A child enters @depth nested user namespaces and waits; the key of its
 * thread is the uid that created the outermost one. As root, that is
 * OWNER, and the outermost maps 0-9 to SUBUID.. as newuidmap would, so the
 * inner ones are owned by SUBUID (and the thread's uid is SUBUID): only
 * the outermost owner gives OWNER. Else it is this process's uid.
 */
static void namespace_child(int depth)
{
	uid_t key = 0, expected = geteuid() ? geteuid() : OWNER;
	int ready[2], go[2], i;
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		i = 0;
		if (!geteuid()) {
			if (setresgid(OWNER, OWNER, OWNER) < 0 ||
			    setresuid(OWNER, OWNER, OWNER) < 0)
				_exit(1);
			c = unshare(CLONE_NEWUSER) < 0 ? 'n' : 'm';
			/* the parent maps it */
			if (write(ready[1], &c, 1) != 1 || c == 'n' ||
			    read(go[0], &c, 1) != 1)
				_exit(1);
			/* uid 0 there: SUBUID, as a newuidmap user's root */
			if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
				_exit(1);
			/* changing uids made /proc/self root's: ours again */
			prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			c = 0;
			i = 1;
		}
		for (; i < depth; i++)
			if (enter_mapped() < 0) {
				c = 'n';
				break;
			}
		if (write(ready[1], &c, 1) != 1 || c == 'n' ||
		    read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	if (c == 'm') {
		write_map(pid, "uid_map", SUBUID);
		write_map(pid, "gid_map", SUBUID);
		assert_int_equal(write(go[1], &c, 1), 1);
		assert_int_equal(read(ready[0], &c, 1), 1);
	}
	close(ready[0]);
	if (c == 'n') {
		close(go[1]);
		waitpid(pid, NULL, 0);
		skip();
	}
	assert_int_equal(userns_is_ours(pid), 0);
	assert_int_equal(userns_user_key(pid, SUBUID, &key), 0);
	print_message("depth %d: uid %u keyed to %u\n", depth, SUBUID,
		      (unsigned int)key);
	close(go[1]);	/* the child goes, even if a check failed */
	assert_int_equal(key, expected);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_child_namespace(void **state)
{
	namespace_child(1);
}

static void test_nested_namespaces(void **state)
{
	namespace_child(3);
}

/* Drops CAP_SYS_PTRACE from this process's effective and permitted sets. */
static int drop_ptrace_capability(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[0].effective &= ~(1u << CAP_SYS_PTRACE);
	d[0].permitted &= ~(1u << CAP_SYS_PTRACE);
	return (int)syscall(SYS_capset, &h, d);
}

/* A process of @uid that waits, in a user namespace of its own if @ns. */
static pid_t waiter(uid_t uid, bool ns, int *ret_go)
{
	int ready[2], go[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
			_exit(1);
		if (ns && unshare(CLONE_NEWUSER) < 0)
			c = 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		if (read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*ret_go = go[1];
	return c == 'n' ? -1 : pid;
}

/*
 * As the shipped unit runs it, without CAP_SYS_PTRACE: a caller of
 * another uid in our namespace is keyed by its uid (uid_map needs no
 * ptrace rights), one in another namespace cannot be told: -EACCES.
 */
static void test_without_ptrace_capability(void **state)
{
	int go_plain, go_ns, status;
	pid_t plain, ns, checker;
	uid_t key = 0;

	if (geteuid() != 0)
		skip();
	plain = waiter(4000, false, &go_plain);
	ns = waiter(4001, true, &go_ns);
	checker = fork();
	assert_true(checker >= 0);
	if (checker == 0) {
		if (drop_ptrace_capability() < 0)
			_exit(10);
		if (userns_is_ours(plain) != 1)
			_exit(11);
		if (userns_user_key(plain, 4000, &key) != 0 || key != 4000)
			_exit(12);
		if (ns > 0 && userns_user_key(ns, 200000, &key) != -EACCES)
			_exit(13);
		if (ns > 0 && userns_is_ours(ns) != 0)
			_exit(14);
		_exit(0);
	}
	assert_int_equal(waitpid(checker, &status, 0), checker);
	close(go_plain);
	close(go_ns);
	waitpid(plain, NULL, 0);
	waitpid(ns > 0 ? ns : -1, NULL, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_namespace),
		cmocka_unit_test(test_thread_gone),
		cmocka_unit_test(test_child_namespace),
		cmocka_unit_test(test_nested_namespaces),
		cmocka_unit_test(test_without_ptrace_capability),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
