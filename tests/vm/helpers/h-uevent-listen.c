// SPDX-License-Identifier: GPL-2.0
/*
 * Listens to the kernel's uevents, as udev does, and prints those of the
 * CUSE device dma_heap/NAME: ACTION, SYNTH_UUID and SYNTH_ARG_DMAHEAPD.
 * Exits 0 once its "add" came and then a synthetic "change" with a UUID
 * and SYNTH_ARG_DMAHEAPD=1 (the mark udev/70-dmaheapd.rules gives group
 * video for, docs/udev.md), 1 if that did not happen within 30 s.
 * Usage: h-uevent-listen NAME
 */
#include <poll.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "common.h"

/* The value of KEY in the uevent @msg (@len bytes, NUL-separated), or "". */
static const char *prop(const char *msg, size_t len, const char *key)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		const char *s = msg + i;

		if (!strncmp(s, key, klen) && s[klen] == '=')
			return s + klen + 1;
		i += strlen(s) + 1;
	}
	return "";
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	char devpath[300], msg[8192];
	int fd, added = 0, marked = 0, waited = 0;

	CHECK(argc == 2, "usage: h-uevent-listen NAME");
	snprintf(devpath, sizeof(devpath), "/devices/virtual/cuse/dma_heap!%s",
		 argv[1]);
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    NETLINK_KOBJECT_UEVENT);
	CHECK(fd >= 0, "socket");
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind");
	printf("listening\n");
	fflush(stdout);

	while (!marked && waited < 30000) {
		const char *action, *uuid, *arg;
		ssize_t n = recv_within(fd, msg, sizeof(msg), &waited);

		if (n < 0)
			continue;
		if (strcmp(prop(msg, n, "DEVPATH"), devpath))
			continue;
		action = prop(msg, n, "ACTION");
		uuid = prop(msg, n, "SYNTH_UUID");
		arg = prop(msg, n, "SYNTH_ARG_DMAHEAPD");
		printf("uevent: %s %s SYNTH_UUID=%s SYNTH_ARG_DMAHEAPD=%s\n",
		       action, prop(msg, n, "DEVNAME"), uuid, arg);
		fflush(stdout);
		if (!strcmp(action, "add") && !*uuid)
			added = 1;
		if (added && !strcmp(action, "change") && strlen(uuid) == 36 &&
		    !strcmp(arg, "1"))
			marked = 1;
	}
	if (!added)
		fprintf(stderr, "no add event of dma_heap/%s in 30 s\n", argv[1]);
	else if (!marked)
		fprintf(stderr, "no change event with SYNTH_ARG_DMAHEAPD=1 and a UUID after the add of dma_heap/%s in 30 s\n",
			argv[1]);
	return marked ? 0 : 1;
}
