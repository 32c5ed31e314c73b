// SPDX-License-Identifier: GPL-2.0
/*
 * fs.file-max from /proc/sys/fs/file-nr, read afresh unless a recent
 * reading was far from it; CAP_SYS_ADMIN from /proc/TID/status.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "filemax.h"
#include "userns.h"

/*
 * Three decimal numbers, blank-separated. strtoull(), not sscanf(): this
 * runs on every allocation, and under qemu TCG sscanf() cost half as much
 * as the pread() of file-nr itself (docs/performance.md).
 */
int filemax_parse_nr(const char *text, uint64_t *ret_nr, uint64_t *ret_max)
{
	const char *p = text;
	uint64_t v[3];
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno)
			return -EINVAL;
		p = end;
	}
	*ret_nr = v[0];
	*ret_max = v[2];
	return 0;
}

int filemax_parse_capeff(const char *status, uint64_t *ret_caps)
{
	const char *p = status;
	char *end;
	uint64_t caps;

	for (;;) {
		if (!strncmp(p, "CapEff:", 7))
			break;
		p = strchr(p, '\n');
		if (!p)
			return -EINVAL;
		p++;
	}
	p += 7;
	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	caps = strtoull(p, &end, 16);
	if (end == p || errno || (*end && *end != '\n'))
		return -EINVAL;
	*ret_caps = caps;
	return 0;
}

bool filemax_fresh(const struct filemax_reading *r, uint64_t now)
{
	return r->valid && r->uses < FILEMAX_READ_EVERY &&
	       now >= r->at_ns && now - r->at_ns < FILEMAX_READ_AGE_NS &&
	       r->nr < r->max && r->max - r->nr > FILEMAX_MARGIN;
}

/*
 * file-nr, opened once and re-read with pread(): the kernel fills it anew.
 * The last reading is shared by the workers, under the lock, which a read
 * holds: workers that find it stale together wait for one read and use it,
 * rather than each reading.
 */
static int nr_fd = -1;
static pthread_once_t nr_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t reading_lock = PTHREAD_MUTEX_INITIALIZER;
static struct filemax_reading reading;
static unsigned long reads;

static void nr_open(void)
{
	nr_fd = open("/proc/sys/fs/file-nr", O_RDONLY | O_CLOEXEC);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts = { 0 };

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A new reading of file-nr into @r: valid, or not when it cannot be read. */
static void read_file_nr(struct filemax_reading *r, uint64_t now)
{
	char buf[96];
	ssize_t n;

	r->valid = false;
	pthread_once(&nr_once, nr_open);
	if (nr_fd < 0)
		return;
	n = pread(nr_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (filemax_parse_nr(buf, &r->nr, &r->max) < 0)
		return;
	r->at_ns = now;
	r->uses = 0;
	r->valid = true;
}

int filemax_reached(void)
{
	uint64_t now;
	int reached;

	pthread_mutex_lock(&reading_lock);
	now = monotonic_ns();
	if (!filemax_fresh(&reading, now)) {
		read_file_nr(&reading, now);
		reads++;
	}
	reading.uses++;
	reached = reading.valid && reading.nr >= reading.max;
	pthread_mutex_unlock(&reading_lock);
	return reached;
}

unsigned long filemax_reads(void)
{
	unsigned long n;

	pthread_mutex_lock(&reading_lock);
	n = reads;
	pthread_mutex_unlock(&reading_lock);
	return n;
}

/* Read a piece at a time: Groups: is skipped as it goes (filemax.h). */
int filemax_read_capeff(int fd, uint64_t *ret_caps)
{
	char buf[4096], *line, *nl;
	bool skip = false;	/* in the rest of a line too long to keep */
	size_t have = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0)
			return errno == ESRCH ? -ESRCH : -EIO;
		if (n == 0) {
			if (!have)
				return -EIO;
			/* A last line without its newline: given one. */
			buf[have] = '\n';
			n = 1;
		}
		have += n;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (!skip && !strncmp(line, "CapEff:", 7))
				return filemax_parse_capeff(line, ret_caps) < 0 ?
				       -EIO : 0;
			skip = false;
			line = nl + 1;
		}
		/* The line begun is kept, unless it fills the buffer. */
		have = buf + have - line;
		if (have == sizeof(buf) - 1) {
			skip = true;
			have = 0;
		} else {
			memmove(buf, line, have);
		}
	}
}

int filemax_exempt(pid_t tid)
{
	char path[48];
	uint64_t caps;
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	r = filemax_read_capeff(fd, &caps);
	close(fd);
	if (r < 0)
		return r;
	if (!(caps & (UINT64_C(1) << FILEMAX_CAP_SYS_ADMIN)))
		return 0;
	return userns_is_ours(tid);
}
