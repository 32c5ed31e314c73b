// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a command with /dev watched (inotify, set up before the command
 * starts) and says whether the node NAME appeared or went meanwhile: a
 * module whose init fails must not have shown a node an opener could race.
 * devtmpfs creates and removes nodes before device_add() and device_del()
 * return, so every event is queued by the time the command exits.
 *
 * Usage: h-devwatch NAME COMMAND [ARG...]
 * Prints "NAME: created, deleted" (or "not seen"); exits with the command's
 * status, or 3 when NAME was seen.
 */
#include <sys/inotify.h>
#include <sys/wait.h>

#include "common.h"

int main(int argc, char **argv)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int created = 0, deleted = 0, in, status;
	const struct inotify_event *ev;
	ssize_t n;
	char *p;
	pid_t pid;

	CHECK(argc >= 3, "usage: h-devwatch NAME COMMAND [ARG...]");
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	CHECK(in >= 0, "inotify_init1");
	CHECK(inotify_add_watch(in, "/dev", IN_CREATE | IN_DELETE) >= 0,
	      "watch /dev");

	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");

	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (!ev->len || strcmp(ev->name, argv[1]))
				continue;
			if (ev->mask & IN_CREATE)
				created++;
			if (ev->mask & IN_DELETE)
				deleted++;
		}
	}
	CHECK(n < 0 && errno == EAGAIN, "read inotify");
	if (created || deleted)
		printf("%s: created %d, deleted %d\n", argv[1], created,
		       deleted);
	else
		printf("%s: not seen\n", argv[1]);
	if (created || deleted)
		return 3;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}
