// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a command as root without CAP_SYS_PTRACE, as the shipped unit's
 * CapabilityBoundingSet= runs dmaheapd: h-nocap COMMAND [ARG...].
 */
#include <sys/prctl.h>
#include <linux/capability.h>

#include "common.h"

int main(int argc, char **argv)
{
	CHECK(argc >= 2, "usage: h-nocap COMMAND [ARG...]");
	CHECK(prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) == 0,
	      "PR_CAPBSET_DROP");
	execvp(argv[1], argv + 1);
	CHECK(0, "exec %s", argv[1]);
	return 1;
}
