// SPDX-License-Identifier: GPL-2.0
/*
 * spoof-heap: a CUSE device named like a heap node, made by a program that
 * is not dmaheapd (checks.sh, issue 15 item 10). What anyone who may open
 * /dev/cuse can do.
 *
 *   spoof-heap NAME
 *	create the CUSE device dma_heap/NAME and serve it (every open
 *	succeeds, nothing else does) until SIGTERM or SIGINT. Its device
 *	info also carries DMAHEAPD_HEAP=1 and SYNTH_ARG_DMAHEAPD=1, which
 *	the kernel ignores (cuse_parse_devinfo() takes DEVNAME only): no
 *	udev property comes from a CUSE daemon.
 *
 * Exit 0 when stopped by a signal, 1 with libfuse's message otherwise.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <stdio.h>
#include <cuse_lowlevel.h>
#include <fuse_lowlevel.h>

static void spoof_open(fuse_req_t req, struct fuse_file_info *fi)
{
	fi->nonseekable = 1;
	fuse_reply_open(req, fi);
}

static void spoof_ioctl(fuse_req_t req, int cmd, void *arg,
			struct fuse_file_info *fi, unsigned int flags,
			const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	fuse_reply_err(req, ENOTTY);
}

static const struct cuse_lowlevel_ops spoof_ops = {
	.open = spoof_open,
	.ioctl = spoof_ioctl,
};

int main(int argc, char **argv)
{
	char devname[256];
	const char *dev_info[] = {
		devname, "DMAHEAPD_HEAP=1", "SYNTH_ARG_DMAHEAPD=1",
	};
	struct cuse_info ci = {
		.dev_info_argc = 3,
		.dev_info_argv = dev_info,
	};
	/* Foreground, single-threaded: the caller's background job. */
	char *fargv[] = { argv[0], "-f", "-s", NULL };

	if (argc != 2) {
		fprintf(stderr, "usage: spoof-heap NAME\n");
		return 2;
	}
	snprintf(devname, sizeof(devname), "DEVNAME=dma_heap/%s", argv[1]);
	return cuse_lowlevel_main(3, fargv, &ci, &spoof_ops, NULL) ? 1 : 0;
}
