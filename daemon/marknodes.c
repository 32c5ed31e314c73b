// SPDX-License-Identifier: GPL-2.0
/*
 * The udev mark of dmaheapd's nodes, outside the daemon (docs/udev.md): the
 * daemon lists its nodes in a file beside its control socket, and
 * `dmaheapd --mark-nodes`, run by the unit's ExecStartPost= and ExecReload=
 * with full privileges, writes each one's synthetic uevent and waits for
 * udev to apply its rules. The daemon itself, sandboxed, cannot write sysfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "deadline.h"
#include "log.h"
#include "marknodes.h"
#include "udev.h"

/* Between two looks at udev's database. */
#define UDEV_POLL_MS	10

void nodes_file_path(const char *control, char *buf, size_t size)
{
	const char *slash = strrchr(control, '/');
	int dir = slash ? (int)(slash - control) : 1;

	snprintf(buf, size, "%.*s/" NODES_FILE, dir, slash ? control : ".");
}

int nodes_file_write(const char *path, const dev_t *devs,
		     const char *const *names, size_t n)
{
	char tmp[NODES_PATH_MAX + 8];
	size_t i;
	FILE *f;
	int r = 0;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	for (i = 0; i < n; i++)
		fprintf(f, "%u:%u %s\n", major(devs[i]), minor(devs[i]),
			names[i]);
	if (fclose(f) != 0)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int nodes_file_parse_line(const char *line, dev_t *ret_dev, char *ret_name,
			  size_t size)
{
	unsigned int ma, mi;
	int used = 0;

	if (sscanf(line, "%u:%u %n", &ma, &mi, &used) != 2 || !used ||
	    !line[used] || strlen(line + used) >= size ||
	    strpbrk(line + used, " /\n"))
		return -EINVAL;
	*ret_dev = makedev(ma, mi);
	strcpy(ret_name, line + used);
	return 0;
}

/*
 * Is @dev still dmaheapd's CUSE node @name? Its sysfs uevent file names
 * it (DEVNAME=dma_heap/NAME) and it is of class cuse: a list left by a
 * daemon that is gone must not mark a device that took the number since.
 */
static bool still_ours(dev_t dev, const char *name)
{
	char path[UDEV_PATH_MAX + 16], link[256], want[NODES_NAME_MAX + 32];
	char buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), UDEV_SYSFS_CHAR "/%u:%u/subsystem",
		 major(dev), minor(dev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	if (!strrchr(link, '/') || strcmp(strrchr(link, '/'), "/cuse"))
		return false;

	udev_uevent_path(dev, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	snprintf(want, sizeof(want), "\nDEVNAME=dma_heap/%.*s\n",
		 NODES_NAME_MAX, name);
	return strstr(buf, want + 1) == buf || strstr(buf, want);
}

int mark_nodes(const char *path, int timeout_ms)
{
	char uuid[NODES_MAX][UDEV_UUID_LEN + 1], db[UDEV_PATH_MAX];
	char names[NODES_MAX][NODES_NAME_MAX], line[NODES_NAME_MAX + 32];
	bool pending[NODES_MAX] = { false };
	dev_t devs[NODES_MAX];
	struct timespec deadline, pause = { 0, UDEV_POLL_MS * 1000000L };
	size_t i, n = 0, left = 0;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT) {
			log_warning("no %s: no dmaheapd serving nodes to mark for udev",
				    path);
			return 0;
		}
		return log_errno(LOG_ERR, -errno, "cannot read %s: %m", path);
	}
	while (n < NODES_MAX && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (nodes_file_parse_line(line, &devs[n], names[n],
					  sizeof(names[n])) < 0) {
			log_warning("%s: line \"%s\" ignored", path, line);
			continue;
		}
		n++;
	}
	fclose(f);

	for (i = 0; i < n; i++) {
		if (!still_ours(devs[i], names[i])) {
			log_warning("%u:%u is not dmaheapd's node dma_heap/%s any more: not marked",
				    major(devs[i]), minor(devs[i]), names[i]);
			continue;
		}
		r = udev_mark(devs[i], uuid[i]);
		if (r < 0) {
			udev_uevent_path(devs[i], db, sizeof(db));
			log_errno(LOG_WARNING, r,
				  "dma_heap/%s: cannot mark it for udev, writing %s: %m; udev's rules leave it root's (docs/udev.md)",
				  names[i], db);
			continue;
		}
		pending[i] = true;
		left++;
	}
	if (!left)
		return 0;
	if (!udev_running()) {
		log_info("udev is not running (no %s): not waiting for it",
			 UDEV_CONTROL);
		return 0;
	}

	deadline_in(&deadline, timeout_ms);
	for (;;) {
		for (i = 0; i < n; i++) {
			if (!pending[i] || !udev_marked(devs[i], uuid[i]))
				continue;
			pending[i] = false;
			left--;
			log_info("dma_heap/%s: udev has applied its rules (mark %s) after %d ms",
				 names[i], uuid[i],
				 timeout_ms - deadline_ms_left(&deadline));
		}
		if (!left || !deadline_ms_left(&deadline))
			break;
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < n; i++) {
		if (!pending[i])
			continue;
		udev_db_path(devs[i], db, sizeof(db));
		log_warning("dma_heap/%s: udev has not applied its rules within %d s (no %s=%s in %s; is 70-dmaheapd.rules installed?): the node stays root's until it does",
			    names[i], timeout_ms / 1000, UDEV_MARK_PROPERTY,
			    uuid[i], db);
	}
	return 0;
}
