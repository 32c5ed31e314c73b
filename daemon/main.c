// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheapd: serves /dev/dma_heap/NAME nodes from userspace through CUSE,
 * with buffers allocated by the dmaheap_helper module. Arguments, start-up
 * checks that name the fix, the event loop and signals.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fuse_log.h>

#include "config.h"
#include "cuse.h"
#include "heap.h"
#include "helper.h"
#include "log.h"

#ifndef DMAHEAPD_VERSION
#define DMAHEAPD_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dmaheapd [OPTION]...\n"
		"Serve dma-buf heaps at /dev/dma_heap/NAME through CUSE.\n\n"
		"  -H, --heap=NAME     serve a system heap named NAME (repeatable;\n"
		"                      default: one heap named \"" DH_DEFAULT_HEAP "\")\n"
		"  -d, --debug         log every allocation\n"
		"      --helper=PATH   the helper device (default /dev/%s)\n"
		"      --cuse=PATH     the CUSE device (default /dev/cuse)\n"
		"      --dev-dir=DIR   where devtmpfs is mounted (default /dev)\n"
		"      --fault-inject=reply-error|reply-delay\n"
		"                      for tests: after the helper allocated, answer EIO\n"
		"                      or wait 500 ms before answering\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n",
		DMAHEAP_HELPER_DEVNAME);
}

static int parse_args(int argc, char **argv, struct config *c)
{
	static const struct option options[] = {
		{ "heap", required_argument, NULL, 'H' },
		{ "debug", no_argument, NULL, 'd' },
		{ "helper", required_argument, NULL, 1 },
		{ "cuse", required_argument, NULL, 2 },
		{ "dev-dir", required_argument, NULL, 3 },
		{ "fault-inject", required_argument, NULL, 4 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int opt, r;

	while ((opt = getopt_long(argc, argv, "H:dhV", options, NULL)) != -1) {
		switch (opt) {
		case 'H':
			r = config_add_heap(c, optarg, DMAHEAP_HELPER_KIND_SYSTEM);
			if (r == -EINVAL)
				return log_errno(LOG_ERR, r,
						 "invalid heap name \"%s\": use 1 to %d letters, digits or @._,+-",
						 optarg, DH_HEAP_NAME_MAX);
			if (r == -EEXIST)
				return log_errno(LOG_ERR, r,
						 "heap \"%s\" given twice", optarg);
			if (r < 0)
				return log_errno(LOG_ERR, r,
						 "too many heaps: at most %d",
						 DH_HEAPS_MAX);
			break;
		case 'd':
			c->debug = true;
			break;
		case 1:
			c->helper_path = optarg;
			break;
		case 2:
			c->cuse_path = optarg;
			break;
		case 3:
			c->dev_dir = optarg;
			break;
		case 4:
			if (!strcmp(optarg, "reply-error"))
				c->fault = FAULT_REPLY_ERROR;
			else if (!strcmp(optarg, "reply-delay"))
				c->fault = FAULT_REPLY_DELAY;
			else
				return log_errno(LOG_ERR, -EINVAL,
						 "unknown fault \"%s\": use reply-error or reply-delay",
						 optarg);
			log_warning("fault injection \"%s\": for tests only", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf("dmaheapd %s (helper UAPI %d)\n", DMAHEAPD_VERSION,
			       DMAHEAP_HELPER_VERSION);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	config_finish(c);
	return 0;
}

static void fuse_log_to_ours(enum fuse_log_level level, const char *fmt,
			     va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	log_msg((int)level, "libfuse: %s", line);
}

static int open_helper(const struct config *c)
{
	struct dmaheap_helper_info info;
	int fd;

	fd = helper_open(c->helper_path, &info);
	switch (fd) {
	case -ENOENT:
	case -ENXIO:
	case -ENODEV:
		return log_errno(LOG_ERR, fd,
				 "cannot open %s: %m; load the helper module: modprobe %s",
				 c->helper_path, DH_HELPER_MODULE);
	case -EBUSY:
		return log_errno(LOG_ERR, fd,
				 "cannot open %s: %m; another dmaheapd is running",
				 c->helper_path);
	case -EPERM:
	case -EACCES:
		return log_errno(LOG_ERR, fd,
				 "cannot open %s: %m; dmaheapd needs root (CAP_SYS_ADMIN)",
				 c->helper_path);
	case -EPROTO:
		return log_errno(LOG_ERR, fd,
				 "%s speaks another helper version than %d; install the %s module built with this dmaheapd",
				 c->helper_path, DMAHEAP_HELPER_VERSION,
				 DH_HELPER_MODULE);
	default:
		if (fd < 0)
			return log_errno(LOG_ERR, fd, "cannot open %s: %m",
					 c->helper_path);
	}
	if (!(info.features & DMAHEAP_HELPER_FEATURE_SYSTEM)) {
		close(fd);
		return log_errno(LOG_ERR, -EOPNOTSUPP,
				 "the %s module cannot allocate system heap buffers",
				 DH_HELPER_MODULE);
	}
	return fd;
}

static int start_heap(const struct config *c, struct heap *h)
{
	struct stat st;
	int r;

	if (asprintf(&h->node_path, "%s/dma_heap/%s", c->dev_dir,
		     h->cfg.name) < 0) {
		h->node_path = NULL;
		return log_errno(LOG_ERR, -ENOMEM, "out of memory");
	}
	if (stat(h->node_path, &st) == 0)
		return log_errno(LOG_ERR, -EEXIST,
				 "%s already exists: the kernel or another program serves heap \"%s\"; choose another name with --heap",
				 h->node_path, h->cfg.name);

	r = cuse_heap_start(h, c->cuse_path);
	if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
		return log_errno(LOG_ERR, r,
				 "cannot open %s: %m; load the CUSE module: modprobe cuse",
				 c->cuse_path);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot start CUSE for heap \"%s\": %m",
				 h->cfg.name);
	return 0;
}

static int signals_open(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* 1 to stop, 0 to go on. */
static int handle_signal(int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP) {
		log_info("SIGHUP: nothing to reload yet");
		return 0;
	}
	log_info("%s: stopping", strsignal(si.ssi_signo));
	return 1;
}

/* Once every session is initialised, check that every node is there. */
static int check_ready(struct heap *heaps, size_t n, bool *announced)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!heaps[i].ready)
			return 0;

	for (i = 0; i < n; i++)
		if (heaps[i].node_errno)
			return log_errno(LOG_ERR, -heaps[i].node_errno,
					 "%s did not appear: %m; is another device of that name registered?",
					 heaps[i].node_path);
	for (i = 0; i < n; i++)
		log_info("serving %s", heaps[i].node_path);
	*announced = true;
	return 0;
}

static int event_loop(struct heap *heaps, size_t n,
		      int sig_fd)
{
	struct pollfd pfd[DH_HEAPS_MAX + 1];
	bool announced = false;
	size_t i;
	int r;

	pfd[0].fd = sig_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < n; i++) {
		pfd[i + 1].fd = cuse_heap_fd(&heaps[i]);
		pfd[i + 1].events = POLLIN;
	}

	for (;;) {
		if (poll(pfd, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return log_errno(LOG_ERR, -errno, "poll: %m");
		}
		if (pfd[0].revents && handle_signal(sig_fd))
			return 0;

		for (i = 0; i < n; i++) {
			if (!pfd[i + 1].revents)
				continue;
			r = cuse_heap_process(&heaps[i]);
			if (r == -ENODEV && !heaps[i].ready)
				return log_errno(LOG_ERR, r,
						 "the kernel refused CUSE device dma_heap/%s: is a CUSE device of that name already registered?",
						 heaps[i].cfg.name);
			if (r < 0)
				return log_errno(LOG_ERR, r,
						 "heap \"%s\": CUSE session ended: %m",
						 heaps[i].cfg.name);
		}

		if (!announced) {
			r = check_ready(heaps, n, &announced);
			if (r < 0)
				return r;
		}
	}
}

int main(int argc, char **argv)
{
	struct heap heaps[DH_HEAPS_MAX] = { 0 };
	struct config c;
	size_t i, n = 0;
	int helper_fd, sig_fd, r;
	long page_size;

	config_init(&c);
	log_init(false);
	fuse_set_log_func(fuse_log_to_ours);
	signal(SIGPIPE, SIG_IGN);

	r = parse_args(argc, argv, &c);
	if (r < 0)
		return EXIT_FAILURE;
	log_init(c.debug);

	page_size = sysconf(_SC_PAGESIZE);

	sig_fd = signals_open();
	if (sig_fd < 0) {
		log_errno(LOG_ERR, sig_fd, "signalfd: %m");
		return EXIT_FAILURE;
	}

	helper_fd = open_helper(&c);
	if (helper_fd < 0) {
		r = helper_fd;
		goto out_close_signals;
	}

	for (n = 0; n < c.n_heaps; n++) {
		heaps[n].cfg = c.heaps[n];
		heaps[n].helper_fd = helper_fd;
		heaps[n].page_size = page_size;
		heaps[n].fault = c.fault;
		r = start_heap(&c, &heaps[n]);
		if (r < 0)
			goto out_stop_heaps;
	}

	r = event_loop(heaps, n, sig_fd);

out_stop_heaps:
	for (i = 0; i < c.n_heaps; i++) {	/* zeroed if never started */
		cuse_heap_stop(&heaps[i]);
		free(heaps[i].node_path);
	}
	close(helper_fd);
out_close_signals:
	close(sig_fd);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
