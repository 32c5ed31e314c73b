// SPDX-License-Identifier: GPL-2.0
/*
 * Whether a caller is in the daemon's user namespace, from /proc/TID/uid_map,
 * and the owner of its namespaces otherwise, from /proc/TID/ns/user and the
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

/*
 * The daemon's own uid_map, as it reads it. /proc/TID/uid_map can be read
 * without ptrace rights (the namespace links cannot, without
 * CAP_SYS_PTRACE, which the unit does not give): a thread whose map reads
 * the same is in our namespace, or in one that only a process with
 * CAP_SETUID over ours could make with the same map (root's to make, its
 * ids those of ours): it counts as ours. An unprivileged user's
 * namespace maps its own uid or its subordinate range: never the same.
 */
/* a map has at most 340 lines of 33 bytes */
#define MAP_MAX	12288
static char own_map[MAP_MAX];
static ssize_t own_map_len = -1;
static pthread_once_t own_once = PTHREAD_ONCE_INIT;

/* /proc/@tid/uid_map (@tid 0: self) into @buf; its length, or -errno. */
static ssize_t read_uid_map(pid_t tid, char *buf)
{
	char path[48];
	ssize_t n, len = 0;
	int fd, r = 0;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/self/uid_map");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/* a few reads of a seq_file */
	while (len < MAP_MAX) {
		n = read(fd, buf + len, MAP_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = errno == ESRCH ? -ESRCH : -errno;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	return r < 0 ? r : len;
}

static void own_init(void)
{
	own_map_len = read_uid_map(0, own_map);
}

int userns_is_ours(pid_t tid)
{
	char map[MAP_MAX];
	ssize_t len;

	pthread_once(&own_once, own_init);
	/*
	 * No /proc/self/uid_map: a kernel without user namespaces
	 * (CONFIG_USER_NS=n, as the reference kernel), where every process
	 * is in the one there is.
	 */
	if (own_map_len == -ESRCH)
		return 1;
	if (own_map_len < 0)
		return -EIO;
	len = read_uid_map(tid, map);
	if (len < 0)
		return (int)len;
	return len == own_map_len && !memcmp(map, own_map, (size_t)len);
}

/* Our namespace's inode on nsfs, for the walk up. */
static int own_ino(ino_t *ret)
{
	struct stat st;

	if (stat("/proc/self/ns/user", &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

int userns_user_key(pid_t tid, uid_t uid, uid_t *ret_key)
{
	char path[48];
	struct stat st;
	int fd, parent, r;
	/* set: valgrind does not know that NS_GET_OWNER_UID writes it */
	uid_t owner = (uid_t)-1;

	ino_t own = 0;

	r = userns_is_ours(tid);
	if (r < 0)
		return r;
	if (r) {
		*ret_key = uid;
		return 0;
	}

	/*
	 * Walk up to the namespace whose parent is ours. Opening the link
	 * takes ptrace read rights over the thread: CAP_SYS_PTRACE (or its
	 * uids and dumpable): -EACCES without.
	 */
	r = own_ino(&own);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH :
		       errno == EPERM ? -EACCES : -errno;
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
		if (st.st_ino == own) {
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
