// SPDX-License-Identifier: GPL-2.0
/*
 * Plays the service manager's side of sd_notify(3): binds SOCKET (a path,
 * or @name for an abstract one), prints each message, and checks that
 * READY=1 comes only once NODE exists, with a STATUS= naming it, and that
 * STOPPING=1 follows. Exits 0 when both came within 20 s.
 * Usage: h-notify-listen SOCKET NODE
 */
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ready = 0, stopping = 0, waited = 0;
	char msg[4096];
	size_t len;

	CHECK(argc == 3, "usage: h-notify-listen SOCKET NODE");
	len = strlen(argv[1]);
	CHECK(len < sizeof(sa.sun_path), "socket name too long");
	memcpy(sa.sun_path, argv[1], len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, "socket");
	CHECK(bind(fd, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + len) == 0, "bind %s",
	      argv[1]);
	printf("listening\n");
	fflush(stdout);

	while (!stopping && waited < 20000) {
		if (recv_within(fd, msg, sizeof(msg), &waited) < 0)
			continue;
		printf("got: %s\n", msg);
		fflush(stdout);
		if (strstr(msg, "READY=1")) {
			CHECK(access(argv[2], F_OK) == 0,
			      "READY=1 before %s exists", argv[2]);
			CHECK(strstr(msg, "STATUS=Serving ") &&
			      strstr(msg, strrchr(argv[2], '/') + 1),
			      "READY=1 without a STATUS= naming the node");
			ready = 1;
		}
		if (strstr(msg, "STOPPING=1")) {
			CHECK(ready, "STOPPING=1 before READY=1");
			stopping = 1;
		}
	}
	CHECK(ready && stopping, "READY=1 %s, STOPPING=1 %s within 20 s",
	      ready ? "seen" : "missing", stopping ? "seen" : "missing");
	return 0;
}
