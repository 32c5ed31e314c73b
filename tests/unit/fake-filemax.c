// SPDX-License-Identifier: GPL-2.0
/* A fake of the /proc side of daemon/filemax.c for unit tests. */
#include "filemax.h"

int fake_filemax_reached;	/* the system is at fs.file-max */
int fake_filemax_exempt;	/* the caller: 1, 0 or -errno */
int fake_filemax_exempt_calls;

int filemax_reached(void)
{
	return fake_filemax_reached;
}

int filemax_exempt(pid_t tid)
{
	fake_filemax_exempt_calls++;
	return fake_filemax_exempt;
}
