/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What more than one unit test uses, linked from unit-helpers.c: a clock,
 * a pid that is gone, and a scratch tree of files under /tmp.
 */
#ifndef UNIT_HELPERS_H
#define UNIT_HELPERS_H

#include <sys/types.h>

/* When the process started, as the helper reports it. */
#define START	4200000000ull

/* CLOCK_MONOTONIC in seconds. */
double now_s(void);

/* A pid that was there: a child that exited and was reaped. */
pid_t reaped_pid(void);

/*
 * The scratch tree: tree_setup() (a cmocka fixture) makes tree_root, a
 * fresh /tmp/PROGRAM-XXXXXX; tree_teardown() removes it and all in it.
 */
extern char tree_root[64];
int tree_setup(void **state);
int tree_teardown(void **state);
/* tree_root/REL; four calls' results are valid at once. */
const char *tree_path(const char *rel);
/* A file tree_root/REL holding TEXT. */
void tree_put(const char *rel, const char *text);
void tree_mkdir(const char *rel);

#endif
