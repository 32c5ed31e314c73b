// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own heap nodes, moved aside while dmaheapd serves their
 * names and put back after: the decisions (pure), the renames, and
 * --restore-kernel-nodes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kheap.h"
#include "log.h"

enum kheap_action kheap_decide(enum kernel_heaps mode,
			       const struct kheap_seen *s)
{
	if (s->node == KHEAP_NODE_OTHER)
		return KHEAP_REFUSE_OTHER;
	if (mode == KERNEL_HEAPS_KEEP) {
		if (s->node == KHEAP_NODE_KERNEL)
			return KHEAP_REFUSE_KERNEL;
		if (s->aside == KHEAP_NODE_KERNEL)
			return KHEAP_REFUSE_ASIDE;
		return KHEAP_SERVE;
	}
	if (s->node == KHEAP_NODE_KERNEL)
		/* Over a copy of itself aside (one inode is kept), not over another file. */
		return s->aside == KHEAP_NODE_OTHER ? KHEAP_REFUSE_BLOCKED :
						      KHEAP_MOVE;
	if (s->aside == KHEAP_NODE_KERNEL)
		return KHEAP_REUSE;
	return KHEAP_SERVE;
}

bool kheap_restorable(const struct kheap_seen *s)
{
	return s->aside == KHEAP_NODE_KERNEL && s->node != KHEAP_NODE_KERNEL;
}

int kheap_parse_dev(const char *s, dev_t *ret)
{
	unsigned long maj, min;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	maj = strtoul(s, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	min = strtoul(end + 1, &end, 10);
	if (*end == '\n')
		end++;
	if (*end || maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	*ret = makedev((unsigned int)maj, (unsigned int)min);
	return 0;
}

/* The device number of the kernel's heap @name, from sysfs. */
static int kernel_dev(const char *sysfs_dir, const char *name, dev_t *ret)
{
	char path[DH_PATH_MAX + DH_HEAP_NAME_MAX + 8], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/dev", sysfs_dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return kheap_parse_dev(buf, ret);
}

enum kheap_node kheap_node_at(const char *path, const char *sysfs_dir,
			      const char *name)
{
	struct stat st;
	dev_t dev;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? KHEAP_NODE_NONE : KHEAP_NODE_OTHER;
	if (!S_ISCHR(st.st_mode) || kernel_dev(sysfs_dir, name, &dev) < 0 ||
	    st.st_rdev != dev)
		return KHEAP_NODE_OTHER;
	return KHEAP_NODE_KERNEL;
}

void kheap_paths(const char *dev_dir, const char *name, char *node,
		 char *aside, size_t size)
{
	snprintf(node, size, "%s/dma_heap/%s", dev_dir, name);
	snprintf(aside, size, "%s/" KHEAP_DIR "/%s", dev_dir, name);
}

void kheap_look(const char *dev_dir, const char *sysfs_dir, const char *name,
		struct kheap_seen *ret)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];

	kheap_paths(dev_dir, name, node, aside, sizeof(node));
	ret->node = kheap_node_at(node, sysfs_dir, name);
	ret->aside = kheap_node_at(aside, sysfs_dir, name);
}

/* @dev_dir/@sub, 0755 whatever the umask (the unit's is 0077). */
static int make_dir(const char *dev_dir, const char *sub)
{
	char dir[DH_PATH_MAX * 2];

	snprintf(dir, sizeof(dir), "%s/%s", dev_dir, sub);
	if (mkdir(dir, 0755) == 0)
		return chmod(dir, 0755) < 0 ? -errno : 0;
	return errno == EEXIST ? 0 : -errno;
}

int kheap_move(const char *dev_dir, const char *name)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	int r;

	/* Root's tools and benchmarks look there. */
	r = make_dir(dev_dir, KHEAP_DIR);
	if (r < 0)
		return r;
	kheap_paths(dev_dir, name, node, aside, sizeof(node));
	if (rename(node, aside) < 0)
		return -errno;
	return 0;
}

int kheap_put_back(const char *dev_dir, const char *name)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	struct stat st;
	int r;

	kheap_paths(dev_dir, name, node, aside, sizeof(node));
	/* Over our CUSE node if it is still there: no moment without a node. */
	if (rename(aside, node) < 0) {
		/*
		 * After a SIGKILL devtmpfs removed our nodes, and with the last
		 * one DEV/dma_heap/, which it had made for them. lstat(), not
		 * access(): access() asks the device cgroup about the node, and
		 * the unit's DevicePolicy=closed answers EPERM for the kernel's
		 * heap (also for ExecStopPost=+..., same cgroup).
		 */
		if (errno != ENOENT || lstat(aside, &st) < 0)
			return -errno;
		r = make_dir(dev_dir, "dma_heap");
		if (r < 0)
			return r;
		if (rename(aside, node) < 0)
			return -errno;
	}
	snprintf(aside, sizeof(aside), "%s/" KHEAP_DIR, dev_dir);
	rmdir(aside);	/* ENOTEMPTY: another name's node is still aside */
	return 0;
}

/*
 * --restore-kernel-nodes: each kernel node in DEV/dma_heap-kernel/ back to
 * DEV/dma_heap/, over anything there that is not the kernel's node (the
 * unit's ExecStopPost=, after a dmaheapd was killed). 0, or the first error.
 */
int kheap_restore_all(const char *dev_dir)
{
	char dir[DH_PATH_MAX + 32], node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	struct kheap_seen seen;
	struct dirent *e;
	int r = 0, k;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/" KHEAP_DIR, dev_dir);
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return log_errno(LOG_ERR, -errno, "cannot read %s: %m", dir);
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || heap_name_check(e->d_name) < 0)
			continue;
		kheap_look(dev_dir, KHEAP_SYSFS_DIR, e->d_name, &seen);
		kheap_paths(dev_dir, e->d_name, node, aside, sizeof(node));
		if (!kheap_restorable(&seen)) {
			log_warning("%s left where it is: %s", aside,
				    seen.aside != KHEAP_NODE_KERNEL ?
				    "it is not the kernel's node of that heap" :
				    "the kernel's node is in place already");
			continue;
		}
		k = kheap_put_back(dev_dir, e->d_name);
		if (k < 0) {
			log_errno(LOG_ERR, k, "cannot put the kernel's node back from %s to %s: %m",
				  aside, node);
			if (!r)
				r = k;
			continue;
		}
		log_notice("put the kernel's node back: %s to %s", aside, node);
	}
	closedir(d);
	return r;
}
