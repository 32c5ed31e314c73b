// SPDX-License-Identifier: GPL-2.0
/*
 * fd_flags reach the fd: O_CLOEXEC sets FD_CLOEXEC (and the fd is gone after
 * exec), without it the fd survives exec; the access mode is the one asked.
 */
#include <sys/wait.h>

#include "common.h"

/* Does fd @fd still exist in a freshly exec'd shell? */
static int survives_exec(int fd)
{
	char script[64];
	int status;
	pid_t pid;

	snprintf(script, sizeof(script), "[ -e /proc/self/fd/%d ]", fd);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) <= 1, "sh status %d",
	      status);
	return WEXITSTATUS(status) == 0;
}

int main(void)
{
	int heap = heap_open(O_RDWR);
	int fd;

	fd = heap_alloc(heap, 4096, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "alloc: %s", strerror(-fd));
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC not set");
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "not O_RDWR");
	CHECK(!survives_exec(fd), "O_CLOEXEC fd %d survived exec", fd);
	close(fd);

	fd = heap_alloc(heap, 4096, O_RDONLY);
	CHECK(fd >= 0, "alloc: %s", strerror(-fd));
	CHECK(!(fcntl(fd, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC set");
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "not O_RDONLY");
	CHECK(survives_exec(fd), "fd %d without O_CLOEXEC lost on exec", fd);
	close(fd);

	fd = heap_alloc(heap, 4096, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "alloc: %s", strerror(-fd));
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY, "not O_WRONLY");
	close(fd);

	close(heap);
	printf("O_CLOEXEC honoured across exec; access modes kept\n");
	return 0;
}
