// SPDX-License-Identifier: GPL-2.0
/*
 * The owner of a caller's user namespaces, from /proc/TID/ns/user and the
 * nsfs ioctls (ioctl_ns(2)).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "userns.h"

/* The daemon's own user namespace, its inode on nsfs; 0: unknown. */
static ino_t own_ino;
static pthread_once_t own_once = PTHREAD_ONCE_INIT;

static void own_init(void)
{
	struct stat st;

	if (stat("/proc/self/ns/user", &st) == 0)
		own_ino = st.st_ino;
}

/* "user:[4026531837]" of /proc/TID/ns/user, without opening it. */
static int ns_ino_of(pid_t tid, ino_t *ret)
{
	char path[48], link[64];
	unsigned long long ino;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)tid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	link[n] = '\0';
	if (sscanf(link, "user:[%llu]", &ino) != 1)
		return -EIO;
	*ret = (ino_t)ino;
	return 0;
}

int userns_is_ours(pid_t tid)
{
	ino_t ino = 0;
	int r;

	pthread_once(&own_once, own_init);
	if (!own_ino)
		return -EIO;
	r = ns_ino_of(tid, &ino);
	if (r < 0)
		return r;
	return ino == own_ino;
}

int userns_user_key(pid_t tid, uid_t uid, uid_t *ret_key)
{
	char path[48];
	struct stat st;
	int fd, parent, r;
	/* set: valgrind does not know that NS_GET_OWNER_UID writes it */
	uid_t owner = (uid_t)-1;

	r = userns_is_ours(tid);
	if (r < 0)
		return r;
	if (r) {
		*ret_key = uid;
		return 0;
	}

	/* Walk up to the namespace whose parent is ours. */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		parent = ioctl(fd, NS_GET_PARENT);
		if (parent < 0) {
			/*
			 * EPERM: the parent is outside our namespace (a
			 * caller beside ours, not below): the outermost we
			 * can see is fd's.
			 */
			if (errno == EPERM)
				break;
			r = -errno;
			close(fd);
			return r;
		}
		if (fstat(parent, &st) < 0) {
			r = -errno;
			close(parent);
			close(fd);
			return r;
		}
		if (st.st_ino == own_ino) {
			close(parent);
			break;
		}
		close(fd);
		fd = parent;
	}
	r = ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	*ret_key = owner;
	return 0;
}
