// SPDX-License-Identifier: GPL-2.0
/*
 * sd_notify() without libsystemd: one datagram to the AF_UNIX socket named
 * by $NOTIFY_SOCKET, a path or, with a leading '@', an abstract name. And
 * the STATUS= line systemctl status shows.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helper.h"
#include "node.h"
#include "notify.h"

int notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;
	ssize_t n;
	int fd, r = 0;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return 0;
	len = strlen(path);
	if (len >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   offsetof(struct sockaddr_un, sun_path) + len);
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

void notify_status(struct node *const *nodes, size_t n, const char *prefix)
{
	char names[512] = "", msg[768];
	size_t i, len = 0;

	for (i = 0; i < n && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s",
				i ? " " : "", nodes[i]->node_name);
	snprintf(msg, sizeof(msg),
		 "%sSTATUS=Serving %s; %" PRIu64 " buffers, %" PRIu64 " KiB live",
		 prefix, names, helper_counter("live_buffers"),
		 helper_counter("live_bytes") >> 10);
	notify(msg);
}
