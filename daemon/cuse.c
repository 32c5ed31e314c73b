// SPDX-License-Identifier: GPL-2.0
/*
 * The CUSE side of a node: the session behind /dev/dma_heap/NAME and its
 * operations table (cuse_*), which hands open and ioctl to heap.c. Every
 * operation replies exactly once.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

#include "cuse.h"
#include "log.h"
#include "macro.h"
#include "policy.h"

/*
 * Supplementary groups a caller's open reads into the stack; one with more
 * is read again into an array of its count, up to the kernel's NGROUPS_MAX
 * (65536, 256 KiB).
 */
#define DH_GROUPS_STACK	256

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

/*
 * Every supplementary group of @c, from /proc/PID/task/TID/status: into
 * @stack when they fit, else into an array of their count that
 * *ret_alloc holds for the caller to free. fuse_req_getgroups() returns
 * how many the caller has but fills no more than it is given, and the
 * kernel lists them ascending: a list cut at the stack's size loses the
 * highest gids, an allowed group among them. Groups that cannot be read
 * are left out, with the reason in c->groups_error: AllowGroups= only
 * allows, so a check without them can refuse but never wrongly admit.
 */
static void caller_groups(fuse_req_t req, struct caller *c, gid_t *stack,
			  size_t n_stack, gid_t **ret_alloc)
{
	gid_t *all;
	int n, m;

	*ret_alloc = NULL;
	c->groups = stack;
	n = fuse_req_getgroups(req, n_stack, stack);
	if (n < 0) {
		/* The caller gone (-EIO), or libfuse out of memory. */
		c->groups_error = n;
		return;
	}
	c->n_groups = c->n_groups_all = n;
	if ((size_t)n <= n_stack)
		return;

	c->n_groups = n_stack;
	/* No more than the kernel holds: an array of 256 KiB at most. */
	if (n > NGROUPS_MAX) {
		c->groups_error = -E2BIG;
		return;
	}
	all = calloc(n, sizeof(*all));
	if (!all) {
		c->groups_error = -ENOMEM;
		return;
	}
	/*
	 * Read again. A thread changes only its own groups, and the caller's
	 * waits in open(2) for this reply, so the count holds; more now means
	 * another thread with the pid, and its groups are not the caller's.
	 */
	m = fuse_req_getgroups(req, n, all);
	if (m < 0 || m > n) {
		free(all);
		c->groups_error = m < 0 ? m : -ESRCH;
		return;
	}
	c->groups = all;
	c->n_groups = c->n_groups_all = m;
	*ret_alloc = all;
}

/* AllowUsers=/AllowGroups= are checked at open, as file permissions are. */
static void cuse_open(fuse_req_t req, struct fuse_file_info *fi)
{
	const struct node *h = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	gid_t groups[DH_GROUPS_STACK], *all;
	struct caller caller = {
		.tid = ctx->pid, .uid = ctx->uid, .gid = ctx->gid,
	};
	int r;

	if (policy_has_access_rules(&h->cfg)) {
		caller_groups(req, &caller, groups, ARRAY_SIZE(groups), &all);
		r = heap_open(h, &caller);
		free(all);
		if (r < 0) {
			fuse_reply_err(req, EACCES);
			return;
		}
	}
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

/*
 * The kernel's heap nodes have no read or write: vfs answers -EINVAL. Of
 * 0 bytes CUSE answers 0 itself, and a position reaches us as 0 where the
 * kernel says -ESPIPE (docs/ioctl-contract.md).
 */
static void cuse_read_write(fuse_req_t req, size_t size, const char *what)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct caller caller = {
		.tid = ctx->pid, .uid = ctx->uid, .gid = ctx->gid,
	};

	fuse_reply_err(req, -heap_read_write(fuse_req_userdata(req), &caller,
					     size, what));
}

static void cuse_read(fuse_req_t req, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	cuse_read_write(req, size, "read() refused: a heap node has none");
}

static void cuse_write(fuse_req_t req, const char *buf, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	cuse_read_write(req, size, "write() refused: a heap node has none");
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
	struct heap_fill fill;
	struct iovec iov[2];
	int r;

	r = heap_alloc(h, &caller, &io, &rq, &fill);
	if (r == 0 && h->fault == FAULT_REPLY_ERROR)
		r = -EIO;
	if (r == 0 && h->fault == FAULT_REPLY_DELAY)
		usleep(500 * 1000);
	if (r < 0) {
		/* A deferred delivery then ends by itself, its caller failed. */
		heap_reply_failed(h, &fill);
		fuse_reply_err(req, -r);
	} else if (fill.pending && in_bufsz >= out_bufsz) {
		/*
		 * Deferred: the helper writes the fd, or the policy's errno
		 * is the ioctl's. An echo would give a read-only struct
		 * EFAULT instead.
		 */
		fuse_reply_ioctl(req, 0, NULL, 0);
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
	heap_replied(h, &caller, &fill);
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
