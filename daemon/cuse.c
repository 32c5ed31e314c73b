// SPDX-License-Identifier: GPL-2.0
/*
 * The CUSE side of a node: the session behind /dev/dma_heap/NAME and its
 * operations table (cuse_*), which hands open and ioctl to heap.c. Every
 * operation replies exactly once.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include "cuse.h"
#include "log.h"
#include "policy.h"

/* Supplementary groups read at open; NGROUPS_MAX is 65536. */
#define DH_GROUPS_MAX	256

static const char zeroes[DH_IOC_SIZE_MAX];

/* The kernel created the device; devtmpfs has the node by now. */
static void cuse_init_done(void *userdata)
{
	struct node *h = userdata;
	struct stat st;

	h->ready = true;
	if (stat(h->node_path, &st) < 0)
		h->node_errno = errno;
	else
		h->node = st.st_rdev;
}

/* AllowUsers=/AllowGroups= are checked at open, as file permissions are. */
static void cuse_open(fuse_req_t req, struct fuse_file_info *fi)
{
	const struct node *h = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[DH_GROUPS_MAX];
	struct caller caller = {
		.tid = ctx->pid, .uid = ctx->uid, .gid = ctx->gid,
		.groups = groups,
	};
	int n;

	if (policy_has_access_rules(&h->cfg)) {
		/* From /proc/PID/task/TID/status; none if it is gone. */
		n = fuse_req_getgroups(req, DH_GROUPS_MAX, groups);
		caller.n_groups = n < 0 ? 0 : n > DH_GROUPS_MAX ? DH_GROUPS_MAX : n;
		if (heap_open(h, &caller) < 0) {
			fuse_reply_err(req, EACCES);
			return;
		}
	}
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

/* The kernel's heap nodes have no read or write: vfs answers -EINVAL. */
static void cuse_read(fuse_req_t req, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	fuse_reply_err(req, EINVAL);
}

static void cuse_write(fuse_req_t req, const char *buf, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EINVAL);
}

static void cuse_ioctl(fuse_req_t req, int cmd, void *arg,
		       struct fuse_file_info *fi, unsigned int flags,
		       const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	struct node *h = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct caller caller = {
		.tid = ctx->pid, .uid = ctx->uid, .gid = ctx->gid,
	};
	struct heap_ioctl io = {
		.cmd = (unsigned int)cmd,
		.user_addr = (uintptr_t)arg,
		.compat = flags & FUSE_IOCTL_COMPAT,
		.in = in_buf,
		.in_size = in_bufsz,
		.out_size = out_bufsz,
	};
	struct dh_alloc_request rq;
	struct iovec iov[2];
	int r;

	r = heap_alloc(h, &caller, &io, &rq);
	if (r == 0 && h->fault == FAULT_REPLY_ERROR)
		r = -EIO;
	if (r == 0 && h->fault == FAULT_REPLY_DELAY)
		usleep(500 * 1000);
	if (r < 0) {
		fuse_reply_err(req, -r);
	} else if (in_bufsz >= out_bufsz) {
		/* Echoed, as the kernel copies the struct back out. */
		fuse_reply_ioctl(req, 0, in_buf, out_bufsz);
	} else {
		/* The caller's bytes, then zeroes, as the kernel does. */
		iov[0].iov_base = (void *)in_buf;
		iov[0].iov_len = in_bufsz;
		iov[1].iov_base = (void *)zeroes;
		iov[1].iov_len = out_bufsz - in_bufsz;
		fuse_reply_ioctl_iov(req, 0, iov, 2);
	}
	heap_replied(h);
}

static const struct cuse_lowlevel_ops cuse_ops = {
	.init_done = cuse_init_done,
	.open = cuse_open,
	.read = cuse_read,
	.write = cuse_write,
	.ioctl = cuse_ioctl,
};

int cuse_node_start(struct node *h, const char *cuse_path)
{
	char devname[sizeof("DEVNAME=dma_heap/") + DH_HEAP_NAME_MAX];
	char mountpoint[32];
	const char *dev_info[] = { devname };
	char *argv[] = { "dmaheapd", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct cuse_info ci = {
		.dev_info_argc = 1,
		.dev_info_argv = dev_info,
		.flags = 0,	/* restricted ioctls: the kernel copies */
	};
	int fd, r;

	snprintf(devname, sizeof(devname), "DEVNAME=dma_heap/%s", h->node_name);

	/* Non-blocking: a request withdrawn between poll() and read() (its
	 * caller was killed) must not leave the daemon asleep in read(). */
	fd = open(cuse_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;

	h->se = cuse_lowlevel_new(&args, &ci, &cuse_ops, h);
	if (!h->se) {
		close(fd);
		return -ENOMEM;
	}

	/* libfuse takes an open device fd as the "/dev/fd/N" mountpoint. */
	snprintf(mountpoint, sizeof(mountpoint), "/dev/fd/%d", fd);
	r = fuse_session_mount(h->se, mountpoint);
	if (r != 0) {
		fuse_session_destroy(h->se);
		h->se = NULL;
		close(fd);
		return -EIO;
	}
	return 0;
}

int cuse_node_fd(const struct node *h)
{
	return fuse_session_fd(h->se);
}

int cuse_node_process(struct node *h, void **buf_mem)
{
	struct fuse_buf buf = { .mem = *buf_mem };
	int r;

	r = fuse_session_receive_buf(h->se, &buf);
	/* libfuse allocates it once; keep it, no allocation per request. */
	*buf_mem = buf.mem;
	if (r == -EINTR || r == -EAGAIN)
		return 0;
	if (r <= 0)
		return r < 0 ? r : -ENODEV;

	fuse_session_process_buf(h->se, &buf);
	if (fuse_session_exited(h->se))
		return -ENODEV;
	return 0;
}

void cuse_node_stop(struct node *h)
{
	if (h->se)
		fuse_session_destroy(h->se);	/* closes the fd: node goes */
	h->se = NULL;
	free(h->buf_mem);
	h->buf_mem = NULL;
}
