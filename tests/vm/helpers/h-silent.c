// SPDX-License-Identifier: GPL-2.0
/*
 * For t-control-stall.sh: h-silent SOCKET COUNT READY-FILE. Keeps COUNT
 * connections to SOCKET open and silent, opening a new one whenever the
 * server drops one or the backlog has room, and writes "connected N"
 * (the first N that went in at once) to READY-FILE. Runs until killed.
 */
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fds[256], count, i, n = 0;
	bool reported = false;
	char c;
	FILE *f;

	CHECK(argc == 4, "usage: h-silent SOCKET COUNT READY-FILE");
	count = atoi(argv[2]);
	CHECK(count > 0 && count <= 256, "COUNT: 1 to 256");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	for (i = 0; i < count; i++)
		fds[i] = -1;
	for (;;) {
		for (i = 0; i < count; i++) {
			/* one the server dropped reads EOF: open another */
			if (fds[i] >= 0 && recv(fds[i], &c, 1, MSG_DONTWAIT) == 0) {
				close(fds[i]);
				fds[i] = -1;
			}
			if (fds[i] >= 0)
				continue;
			fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
					SOCK_NONBLOCK, 0);
			CHECK(fds[i] >= 0, "socket");
			if (connect(fds[i], (struct sockaddr *)&sa,
				    sizeof(sa)) < 0) {
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			n++;
		}
		if (!reported) {
			f = fopen(argv[3], "we");
			CHECK(f, "%s", argv[3]);
			fprintf(f, "connected %d\n", n);
			fclose(f);
			reported = true;
		}
		usleep(10 * 1000);
	}
}
