// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheapd: serves /dev/dma_heap/NAME nodes from userspace through CUSE,
 * with buffers allocated by the dmaheap_helper module. The command line and
 * main(): the manager (manager.c) does the rest; docs/architecture.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <fuse_log.h>

#include "conffile.h"
#include "control.h"
#include "helper.h"
#include "kheap.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "marknodes.h"
#include "options.h"
#include "workers.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dmaheapd [OPTION]...\n"
		"Serve dma-buf heaps at /dev/dma_heap/NAME through CUSE.\n\n"
		"  -c, --config=FILE   read FILE and FILE.d/*.conf instead of\n"
		"                      " DH_CONFIG_FILE " and its drop-in directories\n"
		"  -H, --heap=NAME     serve a system heap named NAME, ignoring the\n"
		"                      configuration files (repeatable)\n"
		"  -d, --debug         log every allocation\n"
		"      --threads=N     serve requests on N threads (default: one per\n"
		"                      CPU, at least %d, at most %d)\n"
		"      --helper=PATH   the helper device (default /dev/%s)\n"
		"      --cuse=PATH     the CUSE device (default /dev/cuse)\n"
		"      --dev-dir=DIR   where devtmpfs is mounted (default /dev)\n"
		"      --control=PATH  the socket for dmaheapctl (default\n"
		"                      " DH_CONTROL_PATH ")\n"
		"      --restore-kernel-nodes\n"
		"                      put the kernel's heap nodes found in\n"
		"                      /dev/" KHEAP_DIR "/ back in /dev/dma_heap/,\n"
		"                      then exit (after a dmaheapd was killed)\n"
		"      --mark-nodes    mark the nodes the running dmaheapd lists\n"
		"                      beside its control socket for udev, wait\n"
		"                      for udev's rules, then exit (the unit's\n"
		"                      ExecStartPost= and ExecReload=)\n"
		"      --fault-inject=reply-error|reply-delay|fill-delay\n"
		"                      for tests: after the helper allocated, answer EIO\n"
		"                      or wait 500 ms before answering; or wait 500 ms\n"
		"                      between the answer and a deferred buffer\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n",
		DH_THREADS_MIN_DEFAULT, DH_THREADS_MAX_DEFAULT,
		DMAHEAP_HELPER_DEVNAME);
}

/* --heap NAME: a system heap named NAME, instead of the files' heaps. */
static int add_heap(struct config *c, const char *name)
{
	int r = config_add_heap(c, name, HEAP_KIND_SYSTEM);

	if (r == -EINVAL)
		return log_errno(LOG_ERR, r,
				 "invalid heap name \"%s\": use 1 to %d letters, digits or @._,+-",
				 name, DH_HEAP_NAME_MAX);
	if (r == -EEXIST)
		return log_errno(LOG_ERR, r, "heap \"%s\" given twice", name);
	if (r < 0)
		return log_errno(LOG_ERR, r, "too many heaps: at most %d",
				 DH_HEAPS_MAX);
	return 0;
}

static int set_fault(struct config *c, const char *name)
{
	if (!strcmp(name, "reply-error"))
		c->fault = FAULT_REPLY_ERROR;
	else if (!strcmp(name, "reply-delay"))
		c->fault = FAULT_REPLY_DELAY;
	else if (!strcmp(name, "fill-delay"))
		c->fault = FAULT_FILL_DELAY;
	else
		return log_errno(LOG_ERR, -EINVAL,
				 "unknown fault \"%s\": use reply-error, reply-delay or fill-delay",
				 name);
	log_warning("fault injection \"%s\": for tests only", name);
	return 0;
}

static int set_threads(struct options *o, const char *arg)
{
	char *end;

	o->threads = (unsigned int)strtoul(arg, &end, 10);
	if (*end || !o->threads || o->threads > DH_THREADS_MAX)
		return log_errno(LOG_ERR, -EINVAL,
				 "--threads wants 1 to %d, not \"%s\"",
				 DH_THREADS_MAX, arg);
	return 0;
}

enum {
	OPT_HELPER = 1, OPT_CUSE, OPT_DEV_DIR, OPT_FAULT, OPT_THREADS,
	OPT_CONTROL, OPT_RESTORE, OPT_MARK,
};

/* 0 to go on, 1 to exit successfully (--help, --version), or -EINVAL. */
static int parse_option(int opt, struct options *o, struct config *c)
{
	switch (opt) {
	case 'c':
		o->config = optarg;
		return 0;
	case 'H':
		o->heaps = true;
		return add_heap(c, optarg);
	case 'd':
		o->debug = true;
		return 0;
	case OPT_HELPER:
		c->helper_path = optarg;
		return 0;
	case OPT_CUSE:
		c->cuse_path = optarg;
		return 0;
	case OPT_DEV_DIR:
		/* Its paths are cut past that: two nodes' could be one. */
		if (strlen(optarg) >= DH_PATH_MAX)
			return log_errno(LOG_ERR, -EINVAL,
					 "--dev-dir: %zu bytes, at most %d",
					 strlen(optarg), DH_PATH_MAX - 1);
		c->dev_dir = optarg;
		return 0;
	case OPT_FAULT:
		return set_fault(c, optarg);
	case OPT_THREADS:
		return set_threads(o, optarg);
	case OPT_CONTROL:
		o->control = optarg;
		return 0;
	case OPT_RESTORE:
		o->restore = true;
		return 0;
	case OPT_MARK:
		o->mark = true;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		printf("dmaheapd %s (helper UAPI %d)\n", DMAHEAPD_VERSION,
		       DMAHEAP_HELPER_VERSION);
		return 1;
	default:
		usage(stderr);
		return -EINVAL;
	}
}

static int parse_args(int argc, char **argv, struct options *o,
		      struct config *c)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "heap", required_argument, NULL, 'H' },
		{ "debug", no_argument, NULL, 'd' },
		{ "helper", required_argument, NULL, OPT_HELPER },
		{ "cuse", required_argument, NULL, OPT_CUSE },
		{ "dev-dir", required_argument, NULL, OPT_DEV_DIR },
		{ "fault-inject", required_argument, NULL, OPT_FAULT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "restore-kernel-nodes", no_argument, NULL, OPT_RESTORE },
		{ "mark-nodes", no_argument, NULL, OPT_MARK },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:H:dhV", options, NULL)) != -1) {
		r = parse_option(opt, o, c);
		if (r)
			return r;
	}
	if (optind < argc)
		return log_errno(LOG_ERR, -EINVAL, "unexpected argument \"%s\"",
				 argv[optind]);
	if (o->config && o->heaps)
		return log_errno(LOG_ERR, -EINVAL,
				 "--config and --heap exclude each other");
	if (!o->threads)
		o->threads = workers_default();
	return 0;
}

static __attribute__((format(printf, 2, 0))) void
fuse_log_to_ours(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	log_msg((int)level, "libfuse: %s", line);
}

/* Serve until stopped: the manager's life. */
static int run(const struct options *o, struct config *c)
{
	struct manager *m;
	int r;

	m = manager_new(o, c);
	if (!m)
		return log_errno(LOG_ERR, -ENOMEM, "out of memory");
	r = manager_start(m);
	if (r == 0)
		r = manager_run(m);
	manager_free(m);
	return r;
}

int main(int argc, char **argv)
{
	struct options o = { .control = DH_CONTROL_PATH };
	char path[NODES_PATH_MAX];
	struct config *c;
	int r;

	log_init(false);
	fuse_set_log_func(fuse_log_to_ours);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * No transparent huge pages: each worker's malloc arena would get a
	 * 2 MiB page for a few kilobytes (t-idle.sh saw 4.2 MB resident
	 * instead of 0.2 MB). Nothing here gains from them.
	 */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);

	c = calloc(1, sizeof(*c));
	if (!c) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	config_init(c);
	r = parse_args(argc, argv, &o, c);
	if (r || o.mark || o.restore) {
		if (o.mark && !r) {
			nodes_file_path(o.control, path, sizeof(path));
			r = mark_nodes(path, UDEV_WAIT_MS);
		} else if (o.restore && !r) {
			r = kheap_restore_all(c->dev_dir);
		}
		free(c);
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	r = run(&o, c);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
