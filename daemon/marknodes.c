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
		     const char *const *names, const bool *seats, size_t n)
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
		fprintf(f, "%u:%u %s%s\n", major(devs[i]), minor(devs[i]),
			names[i], seats && seats[i] ? " " NODES_SEAT : "");
	if (fclose(f) != 0)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int nodes_file_parse_line(const char *line, dev_t *ret_dev, char *ret_name,
			  size_t size, bool *ret_seat)
{
	const char *name, *sp;
	unsigned int ma, mi;
	bool seat = false;
	size_t len;
	int used = 0;

	if (sscanf(line, "%u:%u %n", &ma, &mi, &used) != 2 || !used ||
	    !line[used])
		return -EINVAL;
	name = line + used;
	sp = strchr(name, ' ');
	len = sp ? (size_t)(sp - name) : strlen(name);
	if (sp) {
		if (strcmp(sp + 1, NODES_SEAT))
			return -EINVAL;
		seat = true;
	}
	if (!len || len >= size || memchr(name, '/', len) ||
	    memchr(name, '\n', len))
		return -EINVAL;
	*ret_dev = makedev(ma, mi);
	memcpy(ret_name, name, len);
	ret_name[len] = '\0';
	*ret_seat = seat;
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

/* A node of the list: marked, and then waited for. */
struct mark {
	dev_t dev;
	char name[NODES_NAME_MAX];
	char uuid[UDEV_UUID_LEN + 1];
	bool seat;		/* SeatAccess=yes: the seat argument too */
	bool pending;		/* marked, udev has not applied its rules yet */
};

/* The nodes listed in @path into @m: how many, or a negative errno. */
static int read_list(const char *path, struct mark *m)
{
	char line[NODES_NAME_MAX + 32];
	int n = 0;
	FILE *f;

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
		if (nodes_file_parse_line(line, &m[n].dev, m[n].name,
					  sizeof(m[n].name), &m[n].seat) < 0) {
			log_warning("%s: line \"%s\" ignored", path, line);
			continue;
		}
		n++;
	}
	fclose(f);
	return n;
}

/* Each node that is still dmaheapd's marked: how many are. */
static size_t mark_all(struct mark *m, size_t n)
{
	char db[UDEV_PATH_MAX];
	size_t i, marked = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (!still_ours(m[i].dev, m[i].name)) {
			log_warning("%u:%u is not dmaheapd's node dma_heap/%s any more: not marked",
				    major(m[i].dev), minor(m[i].dev), m[i].name);
			continue;
		}
		r = udev_mark(m[i].dev, m[i].seat, m[i].uuid);
		if (r < 0) {
			udev_uevent_path(m[i].dev, db, sizeof(db));
			log_errno(LOG_WARNING, r,
				  "dma_heap/%s: cannot mark it for udev, writing %s: %m; udev's rules leave it root's (docs/udev.md)",
				  m[i].name, db);
			continue;
		}
		m[i].pending = true;
		marked++;
	}
	return marked;
}

/* Until udev has applied its rules to the @left marked nodes, or timeout. */
static void wait_marked(struct mark *m, size_t n, size_t left, int timeout_ms)
{
	struct timespec deadline, pause = { 0, UDEV_POLL_MS * 1000000L };
	char db[UDEV_PATH_MAX];
	size_t i;

	deadline_in(&deadline, timeout_ms);
	for (;;) {
		for (i = 0; i < n; i++) {
			if (!m[i].pending || !udev_marked(m[i].dev, m[i].uuid))
				continue;
			m[i].pending = false;
			left--;
			log_info("dma_heap/%s: udev has applied its rules (mark %s%s) after %d ms",
				 m[i].name, m[i].uuid,
				 m[i].seat ? ", seat access" : "",
				 timeout_ms - deadline_ms_left(&deadline));
		}
		if (!left || !deadline_ms_left(&deadline))
			break;
		nanosleep(&pause, NULL);
	}
	for (i = 0; i < n; i++) {
		if (!m[i].pending)
			continue;
		udev_db_path(m[i].dev, db, sizeof(db));
		log_warning("dma_heap/%s: udev has not applied its rules within %d s (no %s=%s in %s; is 70-dmaheapd.rules installed?): the node stays root's until it does",
			    m[i].name, timeout_ms / 1000, UDEV_MARK_PROPERTY,
			    m[i].uuid, db);
	}
}

int mark_nodes(const char *path, int timeout_ms)
{
	struct mark m[NODES_MAX] = { 0 };
	size_t marked;
	int n;

	n = read_list(path, m);
	if (n <= 0)
		return n;
	marked = mark_all(m, (size_t)n);
	if (!marked)
		return 0;
	if (!udev_running()) {
		log_info("udev is not running (no %s): not waiting for it",
			 UDEV_CONTROL);
		return 0;
	}
	wait_marked(m, (size_t)n, marked, timeout_ms);
	return 0;
}
