// SPDX-License-Identifier: GPL-2.0
/*
 * The udev mark of dmaheapd's nodes (docs/udev.md): the synthetic event
 * written to each node's sysfs uevent file, and the look at udev's database
 * that tells the rules have been applied. Pure formatting and parsing at the
 * top, the few syscalls below.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/sysmacros.h>

#include "udev.h"

void udev_uuid_format(const uint8_t rnd[16], char ret_uuid[UDEV_UUID_LEN + 1])
{
	uint8_t b[16];

	memcpy(b, rnd, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4: random */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 1 */
	snprintf(ret_uuid, UDEV_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* As the kernel's uuid_is_valid(): 8-4-4-4-12 hex digits. */
static bool uuid_valid(const char *uuid)
{
	size_t i;

	if (strlen(uuid) != UDEV_UUID_LEN)
		return false;
	for (i = 0; i < UDEV_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (uuid[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", uuid[i])) {
			return false;
		}
	}
	return true;
}

int udev_mark_event(char *buf, size_t size, const char *uuid, bool seat)
{
	int n;

	if (!uuid_valid(uuid))
		return -EINVAL;
	n = snprintf(buf, size, "change %s " UDEV_MARK_ARG "%s", uuid,
		     seat ? " " UDEV_SEAT_ARG : "");
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return 0;
}

bool udev_db_has_mark(const char *db, size_t len, const char *uuid)
{
	static const char key[] = "E:" UDEV_MARK_PROPERTY "=";
	const char *p = db, *end = db + len, *nl;
	size_t klen = sizeof(key) - 1, ulen = strlen(uuid);

	if (!ulen)
		return false;
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		if ((size_t)(nl - p) == klen + ulen && !memcmp(p, key, klen) &&
		    !memcmp(p + klen, uuid, ulen))
			return true;
		p = nl + 1;
	}
	return false;
}

void udev_uevent_path(dev_t dev, char *buf, size_t size)
{
	snprintf(buf, size, UDEV_SYSFS_CHAR "/%u:%u/uevent", major(dev),
		 minor(dev));
}

void udev_db_path(dev_t dev, char *buf, size_t size)
{
	snprintf(buf, size, UDEV_DB_DIR "/c%u:%u", major(dev), minor(dev));
}

int udev_mark(dev_t dev, bool seat, char ret_uuid[UDEV_UUID_LEN + 1])
{
	char path[UDEV_PATH_MAX], ev[UDEV_UUID_LEN + 48];
	char uuid[UDEV_UUID_LEN + 1];
	uint8_t rnd[16];
	ssize_t n;
	int fd, r;

	/*
	 * Not a secret: GRND_INSECURE, which never waits for the pool at
	 * boot; 0 on kernels before 5.6, which refuse the flag.
	 */
	if (getrandom(rnd, sizeof(rnd), GRND_INSECURE) != sizeof(rnd) &&
	    (errno != EINVAL || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)))
		return -errno;
	udev_uuid_format(rnd, uuid);
	r = udev_mark_event(ev, sizeof(ev), uuid, seat);
	if (r < 0)
		return r;
	udev_uevent_path(dev, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, ev, strlen(ev));
	r = n < 0 ? -errno : (size_t)n != strlen(ev) ? -EIO : 0;
	close(fd);
	if (r == 0)
		memcpy(ret_uuid, uuid, sizeof(uuid));
	return r;
}

bool udev_running(void)
{
	return access(UDEV_CONTROL, F_OK) == 0;
}

int udev_marked(dev_t dev, const char *uuid)
{
	char path[UDEV_PATH_MAX], *db;
	size_t len = 0, size = 4096;
	ssize_t n;
	int fd, r;

	udev_db_path(dev, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* The whole entry: a site's rules may make it long. */
	db = malloc(size);
	while (db && (n = read(fd, db + len, size - len)) > 0) {
		len += (size_t)n;
		if (len == size) {
			char *more = realloc(db, size * 2);

			if (!more) {
				free(db);
				db = NULL;
				break;
			}
			db = more;
			size *= 2;
		}
	}
	close(fd);
	r = db && udev_db_has_mark(db, len, uuid);
	free(db);
	return r;
}
