// SPDX-License-Identifier: GPL-2.0
/* What more than one unit test uses: see unit-helpers.h. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit-helpers.h"

char tree_root[64];

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pid_t reaped_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

int tree_setup(void **state)
{
	snprintf(tree_root, sizeof(tree_root), "/tmp/%s-XXXXXX",
		 program_invocation_short_name);
	return mkdtemp(tree_root) ? 0 : -1;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

int tree_teardown(void **state)
{
	return nftw(tree_root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *tree_path(const char *rel)
{
	static char paths[4][512];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, 512, "%s/%s", tree_root, rel);
	return p;
}

void tree_put(const char *rel, const char *text)
{
	FILE *f = fopen(tree_path(rel), "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

void tree_mkdir(const char *rel)
{
	assert_int_equal(mkdir(tree_path(rel), 0755), 0);
}
