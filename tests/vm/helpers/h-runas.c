// SPDX-License-Identifier: GPL-2.0
/*
 * Run a command as another user, for the policy tests (busybox has no
 * setpriv): h-runas UID GID[,GROUP...] COMMAND [ARG...]. The first group
 * is the primary one, the rest the supplementary groups.
 */
#include <grp.h>

#include "common.h"

int main(int argc, char **argv)
{
	gid_t groups[32];
	size_t n = 0;
	char *s, *tok, *save;
	uid_t uid;

	CHECK(argc >= 4, "usage: h-runas UID GID[,GROUP...] COMMAND [ARG...]");
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	s = argv[2];
	for (tok = strtok_r(s, ",", &save); tok && n < 32;
	     tok = strtok_r(NULL, ",", &save))
		groups[n++] = (gid_t)strtoul(tok, NULL, 10);
	CHECK(n >= 1, "no group");
	CHECK(setgroups(n - 1, groups + 1) == 0, "setgroups");
	CHECK(setgid(groups[0]) == 0, "setgid %u", groups[0]);
	CHECK(setuid(uid) == 0, "setuid %u", uid);
	execvp(argv[3], argv + 3);
	CHECK(0, "exec %s", argv[3]);
	return 1;
}
