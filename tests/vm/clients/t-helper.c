// SPDX-License-Identifier: GPL-2.0
/*
 * The helper device is the daemon's alone: a second opener gets EBUSY, root
 * without CAP_SYS_ADMIN gets EPERM, other users cannot open it at all.
 */
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "common.h"

#define HELPER "/dev/dmaheap-helper"

static void drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	CHECK(syscall(SYS_capget, &h, d) == 0, "capget");
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	CHECK(syscall(SYS_capset, &h, d) == 0, "capset");
}

/* errno of open(HELPER) in a child after @how: 0 none, 1 no cap, 2 nobody */
static int open_errno_as(int how)
{
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd;

		if (how == 1)
			drop_sys_admin();
		if (how == 2 && (setgid(65534) || setuid(65534)))
			_exit(100);
		fd = open(HELPER, O_RDWR);
		_exit(fd >= 0 ? 0 : errno);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status), "child");
	return WEXITSTATUS(status);
}

int main(void)
{
	int e;

	CHECK(access(HELPER, F_OK) == 0, HELPER " missing");
	e = open_errno_as(0);
	CHECK(e == EBUSY, "second opener: %s", strerror(e));
	e = open_errno_as(1);
	CHECK(e == EPERM, "without CAP_SYS_ADMIN: %s", strerror(e));
	e = open_errno_as(2);
	CHECK(e == EACCES, "as nobody: %s", strerror(e));
	printf("helper refuses: second opener EBUSY, no CAP_SYS_ADMIN EPERM, nobody EACCES\n");
	return 0;
}
