// SPDX-License-Identifier: GPL-2.0
/*
 * Run a command as another user, for the policy tests (busybox has no
 * setpriv): h-runas UID GID[,GROUP...] COMMAND [ARG...]. The first group
 * is the primary one, the rest the supplementary groups; FIRST-LAST names
 * each group from FIRST to LAST, for a caller with hundreds of them.
 */
#include <grp.h>
#include <limits.h>

#include "common.h"

/* The kernel's limit; setgroups() refuses more. */
static gid_t groups[NGROUPS_MAX + 1];

int main(int argc, char **argv)
{
	unsigned long first, last, g;
	size_t n = 0;
	char *s, *tok, *save, *end;
	uid_t uid;

	CHECK(argc >= 4,
	      "usage: h-runas UID GID[,GROUP|FIRST-LAST...] COMMAND [ARG...]");
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	s = argv[2];
	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		first = last = strtoul(tok, &end, 10);
		if (*end == '-')
			last = strtoul(end + 1, &end, 10);
		CHECK(*end == '\0' && first <= last, "bad group \"%s\"", tok);
		/* Never fewer groups than asked: a cut list tests nothing. */
		for (g = first; g <= last; g++) {
			CHECK(n < ARRAY_SIZE(groups), "more than %d groups",
			      NGROUPS_MAX);
			groups[n++] = (gid_t)g;
		}
	}
	CHECK(n >= 1, "no group");
	CHECK(setgroups(n - 1, groups + 1) == 0, "setgroups %zu", n - 1);
	CHECK(setgid(groups[0]) == 0, "setgid %u", groups[0]);
	CHECK(setuid(uid) == 0, "setuid %u", uid);
	execvp(argv[3], argv + 3);
	CHECK(0, "exec %s", argv[3]);
	return 1;
}
