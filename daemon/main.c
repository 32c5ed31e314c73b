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
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <fcntl.h>
#include <inttypes.h>
#include <fuse_log.h>

#include "cma.h"
#include "conffile.h"
#include "config.h"
#include "control.h"
#include "deadline.h"
#include "cuse.h"
#include "heap.h"
#include "helper.h"
#include "kheap.h"
#include "ledger.h"
#include "log.h"
#include "names.h"
#include "notify.h"
#include "report.h"
#include "marknodes.h"

#ifndef DMAHEAPD_VERSION
#define DMAHEAPD_VERSION "unknown"
#endif

/*
 * Worker threads serving requests (--threads): by default one per CPU,
 * at least 2 (so a large allocation never holds up a small one) and at
 * most 8. More workers than CPUs cost throughput: on 2 vCPUs, 2 client
 * threads got 1.89x the allocations of one with 2 workers, 1.53x with 4
 * (docs/performance.md).
 */
#define DH_THREADS_MAX	16
#define DH_THREADS_MIN_DEFAULT	2
#define DH_THREADS_MAX_DEFAULT	8

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
		"      --fault-inject=reply-error|reply-delay\n"
		"                      for tests: after the helper allocated, answer EIO\n"
		"                      or wait 500 ms before answering\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n",
		DH_THREADS_MIN_DEFAULT, DH_THREADS_MAX_DEFAULT,
		DMAHEAP_HELPER_DEVNAME);
}

/* Nodes: a heap's name, its aliases and its legacy node. */
#define DH_NODES_MAX	(DH_HEAPS_MAX * 2)

static const char *arg_config;
static bool arg_heaps;
static bool arg_debug;
static bool arg_restore;
static bool arg_mark;
static unsigned int arg_threads;	/* 0: the default */
static const char *arg_control = DH_CONTROL_PATH;

static int parse_args(int argc, char **argv, struct config *c)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "heap", required_argument, NULL, 'H' },
		{ "debug", no_argument, NULL, 'd' },
		{ "helper", required_argument, NULL, 1 },
		{ "cuse", required_argument, NULL, 2 },
		{ "dev-dir", required_argument, NULL, 3 },
		{ "fault-inject", required_argument, NULL, 4 },
		{ "threads", required_argument, NULL, 5 },
		{ "control", required_argument, NULL, 6 },
		{ "restore-kernel-nodes", no_argument, NULL, 7 },
		{ "mark-nodes", no_argument, NULL, 8 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	char *end;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:H:dhV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			arg_config = optarg;
			break;
		case 'H':
			arg_heaps = true;
			r = config_add_heap(c, optarg, HEAP_KIND_SYSTEM);
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
			arg_debug = true;
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
		case 5:
			arg_threads = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !arg_threads || arg_threads > DH_THREADS_MAX)
				return log_errno(LOG_ERR, -EINVAL,
						 "--threads wants 1 to %d, not \"%s\"",
						 DH_THREADS_MAX, optarg);
			break;
		case 6:
			arg_control = optarg;
			break;
		case 7:
			arg_restore = true;
			break;
		case 8:
			arg_mark = true;
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
	if (arg_config && arg_heaps) {
		log_error("--config and --heap exclude each other");
		return -EINVAL;
	}
	return 0;
}

static void config_warning(void *userdata, const char *msg)
{
	log_warning("%s", msg);
}

/* The node names already below DEV_DIR/dma_heap, in @names (freed by caller). */
static size_t existing_nodes(const char *dev_dir, char **names, size_t max)
{
	char path[4096];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/dma_heap", dev_dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)))
			n++;
	closedir(d);
	return n;
}

/* Is DEV_DIR/dma_heap/@name the kernel's node of the heap @name? */
static bool kernel_node_there(const char *dev_dir, const char *name)
{
	struct kheap_seen seen;

	kheap_look(dev_dir, KHEAP_SYSFS_DIR, name, &seen);
	return seen.node == KHEAP_NODE_KERNEL;
}

/* A LegacyNode=yes heap gets the default CMA area's legacy name as alias. */
static int add_legacy_nodes(struct config *c, struct config_diag *d)
{
	char area[DH_HEAP_NAME_MAX + 1];
	struct heap_config *h;
	struct heap_alias *a;
	uint64_t bytes;
	size_t i;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		if (!h->legacy_node)
			continue;
		if (cma_default_area("/", area, sizeof(area), &bytes) < 0) {
			config_fail(d, c, h->legacy_node_origin,
				    "heap \"%s\": LegacyNode=yes, but this kernel has no CMA area, so there is no legacy name to serve",
				    h->name);
			return -ENOENT;
		}
		if (h->n_aliases == DH_ALIASES_MAX) {
			config_fail(d, c, h->legacy_node_origin,
				    "heap \"%s\": no room for its legacy node, at most %d aliases",
				    h->name, DH_ALIASES_MAX);
			return -E2BIG;
		}
		a = &h->aliases[h->n_aliases++];
		snprintf(a->name, sizeof(a->name), "%s", area);
		a->legacy = true;
		a->origin = h->legacy_node_origin;
	}
	return 0;
}

static int lookup_user(const char *name, uint32_t *ret_id)
{
	struct passwd pw, *res;
	char buf[4096];
	int r;

	r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	*ret_id = pw.pw_uid;
	return 0;
}

static int lookup_group(const char *name, uint32_t *ret_id)
{
	struct group gr, *res;
	char buf[16384];
	int r;

	r = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	*ret_id = gr.gr_gid;
	return 0;
}

static bool is_own(const char *name, const char *const *own, size_t n_own)
{
	size_t i;

	for (i = 0; i < n_own; i++)
		if (!strcmp(name, own[i]))
			return true;
	return false;
}

/*
 * The kernel's nodes of the names of @c, under KernelHeaps=: one left aside
 * by a killed dmaheapd refused with keep, one that cannot be moved aside
 * with move. The rest (a node of another program, the kernel's under keep)
 * is for names_check_existing(), which suggests a name.
 */
static int check_kernel_nodes(const struct config *c, const char *const *own,
			      size_t n_own, struct config_diag *d)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	const struct heap_config *h;
	struct config_origin o;
	struct kheap_seen seen;
	const char *name;
	size_t i, a;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		for (a = 0; a <= h->n_aliases; a++) {
			name = a ? h->aliases[a - 1].name : h->name;
			o = a ? h->aliases[a - 1].origin : h->origin;
			if (is_own(name, own, n_own))
				continue;
			kheap_look(c->dev_dir, KHEAP_SYSFS_DIR, name, &seen);
			kheap_paths(c->dev_dir, name, node, aside, sizeof(node));
			switch (kheap_decide(c->kernel_heaps, &seen)) {
			case KHEAP_REFUSE_ASIDE:
				return config_fail(d, c, o,
						   "\"%s\": the kernel's node of that heap is at %s, left by a dmaheapd that was killed, and KernelHeaps=keep; put it back with dmaheapd --restore-kernel-nodes",
						   name, aside);
			case KHEAP_REFUSE_BLOCKED:
				return config_fail(d, c, o,
						   "\"%s\": the kernel's node %s cannot be moved aside: %s is there and is not the kernel's node; remove it",
						   name, node, aside);
			default:
				break;
			}
		}
	}
	return 0;
}

/*
 * The configuration files (unless --heap), then user and group names, then
 * the naming convention, checked before anything is opened or created.
 * @own: the nodes this daemon serves already (on reload), which are not in
 * the way of the new configuration, nor are the kernel's nodes under
 * KernelHeaps=move. Logs nothing: the reason is in @d.
 */
static int load_config(struct config *c, const char *const *own, size_t n_own,
		       struct config_diag *d)
{
	char *existing[256];
	size_t n, i, j;
	int r;

	if (!arg_heaps) {
		r = config_load(c, arg_config, d);
		if (r < 0)
			return r;
	}
	config_finish(c);
	/* -d wins over Debug=no in a file. */
	c->debug |= arg_debug;

	r = config_resolve_ids(c, lookup_user, lookup_group, d);
	if (r < 0)
		return r;
	r = add_legacy_nodes(c, d);
	if (r < 0)
		return r;
	r = names_check_config(c, d);
	if (r < 0)
		return r;

	r = check_kernel_nodes(c, own, n_own, d);
	if (r < 0)
		return r;

	n = existing_nodes(c->dev_dir, existing,
			   sizeof(existing) / sizeof(existing[0]));
	for (i = j = 0; i < n; i++) {
		if (is_own(existing[i], own, n_own) ||
		    (c->kernel_heaps == KERNEL_HEAPS_MOVE &&
		     kernel_node_there(c->dev_dir, existing[i])))
			free(existing[i]);
		else
			existing[j++] = existing[i];
	}
	r = names_check_existing(c, (const char *const *)existing, j, d);
	for (i = 0; i < j; i++)
		free(existing[i]);
	return r;
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

static int open_helper(const struct config *c,
		       struct dmaheap_helper_info *ret_info)
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
	*ret_info = info;
	return fd;
}

/*
 * PoolSize=, or its default: the helper keeps that many bytes of zeroed
 * pages for system heaps. A helper without a pool is only worth a warning.
 */
static int set_pool(const struct config *c, int helper_fd)
{
	char where[DH_PATH_MAX + 32] = "default";
	int r;

	if (c->pool_size_origin.line)
		config_origin_str(c, c->pool_size_origin, where,
				  sizeof(where));
	r = helper_pool(helper_fd, c->pool_size);
	if (r == -ENOTTY) {
		log_warning("the %s module has no pool of zeroed pages; PoolSize= ignored",
			    DH_HELPER_MODULE);
		return 0;
	}
	if (r == -EINVAL)
		return log_errno(LOG_ERR, r,
				 "%s: PoolSize=%" PRIu64 " is more than half of this machine's memory",
				 where, c->pool_size);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot size the pool: %m");
	log_debug("pool of zeroed pages: %" PRIu64 " bytes (%s)",
		  c->pool_size, where);
	return 0;
}

static int claim_region(const struct config *c, const struct heap_config *hc,
			int helper_fd, uint32_t *ret_id)
{
	char where[DH_PATH_MAX + 16];
	int r;

	config_origin_str(c, hc->base_origin, where, sizeof(where));
	r = helper_region_add(helper_fd, hc->base, hc->size, ret_id);
	switch (r) {
	case 0:
		log_info("heap \"%s\": region 0x%" PRIx64 "-0x%" PRIx64
			 " (%" PRIu64 " MiB)", hc->name, hc->base,
			 hc->base + hc->size - 1, hc->size >> 20);
		return 0;
	case -EADDRNOTAVAIL:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M is ordinary RAM or was not reserved at boot; keep it from the kernel with memmap=%" PRIu64 "M$0x%" PRIx64,
				 where, hc->name, hc->base, hc->size >> 20,
				 hc->size >> 20, hc->base);
	case -ENXIO:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M is not RAM in the firmware's memory map (/sys/firmware/memmap): device or firmware memory is never a region; set aside RAM with memmap=SIZE$BASE",
				 where, hc->name, hc->base, hc->size >> 20);
	case -EBUSY:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M overlaps a range another region or driver already claimed",
				 where, hc->name, hc->base, hc->size >> 20);
	case -EPERM:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": the kernel is locked down (/sys/kernel/security/lockdown): no region can be claimed, as /dev/mem cannot be opened",
				 where, hc->name);
	case -EINVAL:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": the helper refuses 0x%" PRIx64 "+%" PRIu64 "M: a region is 2 MiB aligned and smaller than 16 TiB",
				 where, hc->name, hc->base, hc->size >> 20);
	case -EOPNOTSUPP:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": this helper has no region kind: the kernel has no ZONE_DEVICE memory or does not let modules read the firmware's memory map (7.2 and later, and every kernel but x86's: docs/heap-kinds.md)",
				 where, hc->name);
	default:
		return log_errno(LOG_ERR, r, "%s: heap \"%s\": cannot claim the region: %m",
				 where, hc->name);
	}
}

/* The helper kind that serves @hc on this kernel, and its region. */
static int resolve_kind(const struct config *c, const struct heap_config *hc,
			const struct dmaheap_helper_info *info, int helper_fd,
			uint32_t *ret_kind, uint32_t *ret_region,
			uint64_t *ret_max_len)
{
	char area[DH_HEAP_NAME_MAX + 1];
	uint64_t cma_bytes;

	*ret_region = 0;
	*ret_max_len = 0;
	switch (hc->kind) {
	case HEAP_KIND_SYSTEM:
		*ret_kind = DMAHEAP_HELPER_KIND_SYSTEM;
		return 0;
	case HEAP_KIND_CONTIGUOUS:
		if (info->features &
		    DMAHEAP_HELPER_FEATURE(DMAHEAP_HELPER_KIND_CMA) &&
		    cma_default_area("/", area, sizeof(area), &cma_bytes) == 0) {
			*ret_kind = DMAHEAP_HELPER_KIND_CMA;
			*ret_max_len = cma_bytes;
			log_info("heap \"%s\": contiguous, from the default CMA area (%" PRIu64 " MiB)",
				 hc->name, cma_bytes >> 20);
			return 0;
		}
		*ret_kind = DMAHEAP_HELPER_KIND_CONTIGUOUS;
		*ret_max_len = info->contig_max;
		log_info("heap \"%s\": contiguous, from the page allocator (no CMA): at most %" PRIu64 " KiB a buffer",
			 hc->name, (uint64_t)info->contig_max >> 10);
		return 0;
	case HEAP_KIND_REGION:
		*ret_kind = DMAHEAP_HELPER_KIND_REGION;
		*ret_max_len = hc->size;
		return claim_region(c, hc, helper_fd, ret_region);
	}
	return -EINVAL;
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

/*
 * The nodes' list beside the control socket, which dmaheapd --mark-nodes
 * reads to mark them for udev (docs/udev.md), before each READY=1. Not
 * fatal: the nodes are served, and stay root's until marked.
 */
static void list_nodes(struct heap *const *nodes, size_t n)
{
	const char *names[DH_NODES_MAX];
	char path[NODES_PATH_MAX];
	dev_t devs[DH_NODES_MAX];
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		devs[i] = nodes[i]->node;
		names[i] = nodes[i]->node_name;
	}
	nodes_file_path(arg_control, path, sizeof(path));
	r = nodes_file_write(path, devs, names, n);
	if (r < 0)
		log_errno(LOG_WARNING, r,
			  "cannot list the nodes in %s for dmaheapd --mark-nodes: %m; udev's rules leave them root's (docs/udev.md)",
			  path);
}

/*
 * STATUS= for systemctl status: the nodes and what is live. Sent when the
 * nodes are ready and then at most every STATUS_INTERVAL seconds while
 * requests come in: an idle daemon does not wake up to refresh it.
 */
#define STATUS_INTERVAL	5

static void send_status(struct heap *const *nodes, size_t n, const char *prefix)
{
	char names[512] = "", msg[768];
	size_t i, len = 0;

	for (i = 0; i < n && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s",
				i ? " " : "", nodes[i]->node_name);
	snprintf(msg, sizeof(msg),
		 "%sSTATUS=Serving %s; %" PRIu64 " buffers, %" PRIu64 " KiB live",
		 prefix, names, helper_counter("live_buffers"),
		 helper_counter("live_bytes") >> 10);
	notify(msg);
}

/*
 * Once every node is ready, requests are served by arg_threads workers, so
 * that a 64 MiB allocation on one does not hold up a 4 KiB one on another.
 * Each worker waits on every session (the fds are non-blocking: a worker
 * that loses the race for a request reads EAGAIN) and answers each request
 * it reads after the helper call, as a single thread did. The main thread
 * keeps the signals and the control socket (release events are read where
 * the ledger is consulted: heap_drain_releases());
 * a reload stops the workers, changes the nodes, and starts them again.
 */
struct workers {
	struct heap **nodes;
	size_t n;
	int stop_fd;		/* eventfd: written once to stop every worker */
	int done_fd;		/* eventfd: a worker saw its session end */
	int error;		/* the first session error, under lock */
	size_t error_node;
	pthread_mutex_t lock;	/* error, status_time */
	time_t status_time;
	pthread_t threads[DH_THREADS_MAX];
	unsigned int n_threads;
};

static void *worker(void *arg)
{
	struct workers *w = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	void *bufs[DH_NODES_MAX] = { NULL };
	struct timespec now;
	uint64_t one = 1;
	size_t i = 0;
	int ep, r = 0;

	/*
	 * EPOLLEXCLUSIVE: a request wakes one idle worker, not all of them.
	 * The stop eventfd wakes everyone.
	 */
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		r = -errno;
		goto out;
	}
	ev.data.u64 = UINT64_MAX;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, w->stop_fd, &ev) < 0)
		r = -errno;
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	for (i = 0; i < w->n && !r; i++) {
		ev.data.u64 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cuse_heap_fd(w->nodes[i]),
			      &ev) < 0)
			r = -errno;
	}
	i = 0;
	while (!r) {
		if (epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (ev.data.u64 == UINT64_MAX)
			break;
		i = ev.data.u64;
		r = cuse_heap_process(w->nodes[i], &bufs[i]);

		/* Coarse: no clock source read per request. */
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		pthread_mutex_lock(&w->lock);
		if (now.tv_sec - w->status_time >= STATUS_INTERVAL) {
			w->status_time = now.tv_sec;
			send_status(w->nodes, w->n, "");
		}
		pthread_mutex_unlock(&w->lock);
	}
	close(ep);
out:
	if (r < 0) {
		pthread_mutex_lock(&w->lock);
		if (!w->error) {
			w->error = r;
			w->error_node = i;
		}
		pthread_mutex_unlock(&w->lock);
		if (write(w->done_fd, &one, sizeof(one)) < 0)
			abort();	/* an eventfd write cannot fail here */
	}
	for (i = 0; i < w->n; i++)
		free(bufs[i]);
	return NULL;
}

static unsigned int default_threads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < DH_THREADS_MIN_DEFAULT)
		return DH_THREADS_MIN_DEFAULT;
	return cpus > DH_THREADS_MAX_DEFAULT ? DH_THREADS_MAX_DEFAULT :
					       (unsigned int)cpus;
}

static int workers_start(struct workers *w, struct heap **nodes, size_t n)
{
	int r;

	if (!arg_threads)
		arg_threads = default_threads();
	w->nodes = nodes;
	w->n = n;
	w->error = 0;
	w->error_node = 0;
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	w->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0 || w->done_fd < 0)
		return log_errno(LOG_ERR, -errno, "eventfd: %m");
	for (w->n_threads = 0; w->n_threads < arg_threads; w->n_threads++) {
		r = pthread_create(&w->threads[w->n_threads], NULL, worker, w);
		if (r)
			return log_errno(LOG_ERR, -r, "cannot start a worker: %m");
	}
	return 0;
}

/* Each worker finishes the request it is serving, then stops. */
static void workers_stop(struct workers *w)
{
	uint64_t one = 1;
	unsigned int i;

	if (w->n_threads && write(w->stop_fd, &one, sizeof(one)) < 0)
		abort();
	for (i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	w->n_threads = 0;
	if (w->stop_fd >= 0)
		close(w->stop_fd);
	if (w->done_fd >= 0)
		close(w->done_fd);
	w->stop_fd = w->done_fd = -1;
}

/* Everything the main thread owns. */
struct daemon {
	struct config *c;
	struct dmaheap_helper_info info;
	int helper_fd;
	int sig_fd;
	struct heap *nodes[DH_NODES_MAX];
	size_t n;
	struct ledger *ledger;
	struct workers w;
	struct control *ctl;
	time_t loaded_at;		/* CLOCK_REALTIME of the last (re)load */
	unsigned int reloads;
	int fatal;			/* a reload left no way to serve */
	char reload_msg[DH_ERROR_MAX + 256];	/* what the last reload did */
};

static int reload(struct daemon *dm);

/* 1 to stop, 0 to go on. */
static int handle_signal(struct daemon *dm)
{
	struct signalfd_siginfo si;

	if (read(dm->sig_fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP && !dm->loaded_at) {
		log_info("SIGHUP before the nodes are up: ignored");
		return 0;
	}
	if (si.ssi_signo == SIGHUP) {
		log_info("SIGHUP: reloading the configuration");
		reload(dm);
		return 0;
	}
	log_info("%s: stopping", strsignal(si.ssi_signo));
	notify("STOPPING=1");
	return 1;
}

/*
 * Until each of @nodes is ready, this thread serves the CUSE handshakes;
 * at most @timeout_ms (-1: no limit) in all.
 */
static int wait_ready(struct daemon *dm, struct heap **nodes, size_t n,
		      int timeout_ms)
{
	struct pollfd pfd[DH_NODES_MAX + 1];
	struct timespec deadline;
	size_t i, ready = 0;
	int r, left = -1;

	/* During a reload, signals wait for it to finish. */
	pfd[0].fd = dm->loaded_at ? -1 : dm->sig_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < n; i++) {
		pfd[i + 1].fd = cuse_heap_fd(nodes[i]);
		pfd[i + 1].events = POLLIN;
	}

	if (timeout_ms >= 0)
		deadline_in(&deadline, timeout_ms);
	while (ready < n) {
		if (timeout_ms >= 0) {
			left = deadline_ms_left(&deadline);
			if (!left)
				return log_errno(LOG_ERR, -ETIMEDOUT,
						 "new nodes not ready after %d ms", timeout_ms);
		}
		r = poll(pfd, n + 1, left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return log_errno(LOG_ERR, -errno, "poll: %m");
		}
		if (pfd[0].revents && handle_signal(dm))
			return 1;

		for (i = 0; i < n; i++) {
			if (!pfd[i + 1].revents)
				continue;
			r = cuse_heap_process(nodes[i], &nodes[i]->buf_mem);
			if (r == -ENODEV && !nodes[i]->ready)
				return log_errno(LOG_ERR, r,
						 "the kernel refused CUSE device dma_heap/%s: is a CUSE device of that name already registered?",
						 nodes[i]->node_name);
			if (r < 0)
				return log_errno(LOG_ERR, r,
						 "node \"%s\": CUSE session ended: %m",
						 nodes[i]->node_name);
		}
		for (i = 0, ready = 0; i < n; i++)
			ready += nodes[i]->ready;
	}
	for (i = 0; i < n; i++) {
		if (nodes[i]->node_errno)
			return log_errno(LOG_ERR, -nodes[i]->node_errno,
					 "%s did not appear: %m; is another device of that name registered?",
					 nodes[i]->node_path);
		log_info("serving %s", nodes[i]->node_path);
	}
	return 0;
}


/*
 * KernelHeaps=move: the kernel's node of @h's name to DEV/dma_heap-kernel/,
 * or found there already (left by a killed dmaheapd); either way put back
 * by node_free(). Anything else at the path is start_heap()'s to refuse.
 */
static int kernel_node_aside(const struct config *c, struct heap *h)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	struct kheap_seen seen;
	int r;

	if (c->kernel_heaps != KERNEL_HEAPS_MOVE)
		return 0;
	kheap_look(c->dev_dir, KHEAP_SYSFS_DIR, h->node_name, &seen);
	kheap_paths(c->dev_dir, h->node_name, node, aside, sizeof(node));
	switch (kheap_decide(c->kernel_heaps, &seen)) {
	case KHEAP_MOVE:
		r = kheap_move(c->dev_dir, h->node_name);
		if (r < 0)
			return log_errno(LOG_ERR, r,
					 "cannot move the kernel's node %s to %s: %m",
					 node, aside);
		log_notice("moved the kernel's node %s to %s while dmaheapd serves heap \"%s\"",
			   node, aside, h->node_name);
		break;
	case KHEAP_REUSE:
		log_notice("the kernel's node of heap \"%s\" is at %s already (a dmaheapd was killed): it stays there while dmaheapd serves %s",
			   h->node_name, aside, node);
		break;
	case KHEAP_REFUSE_BLOCKED:
		return log_errno(LOG_ERR, -EEXIST,
				 "cannot move the kernel's node %s aside: %s is there and is not the kernel's node",
				 node, aside);
	default:
		return 0;
	}
	h->kernel_aside = c->dev_dir;
	return 0;
}

/* The kernel's node of @h's name, if it is aside, back at its place. */
static void kernel_node_back(struct heap *h)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	int r;

	if (!h->kernel_aside)
		return;
	kheap_paths(h->kernel_aside, h->node_name, node, aside, sizeof(node));
	r = kheap_put_back(h->kernel_aside, h->node_name);
	if (r < 0)
		log_errno(LOG_ERR, r,
			  "cannot put the kernel's node back from %s to %s: %m; dmaheapd --restore-kernel-nodes does it",
			  aside, node);
	else
		log_notice("put the kernel's node back: %s to %s", aside, node);
	h->kernel_aside = NULL;
}

static int start_heap(const struct config *c, struct heap *h)
{
	struct stat st;
	int r;

	if (asprintf(&h->node_path, "%s/dma_heap/%s", c->dev_dir,
		     h->node_name) < 0) {
		h->node_path = NULL;
		return log_errno(LOG_ERR, -ENOMEM, "out of memory");
	}
	r = kernel_node_aside(c, h);
	if (r < 0)
		return r;
	if (stat(h->node_path, &st) == 0)
		return log_errno(LOG_ERR, -EEXIST,
				 "%s already exists: the kernel or another program serves heap \"%s\"; choose another name",
				 h->node_path, h->node_name);

	r = cuse_heap_start(h, c->cuse_path);
	if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
		return log_errno(LOG_ERR, r,
				 "cannot open %s: %m; load the CUSE module: modprobe cuse",
				 c->cuse_path);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot start CUSE for node \"%s\": %m",
				 h->node_name);
	return 0;
}

static void node_free(struct heap *h)
{
	if (!h)
		return;
	/*
	 * Over our node while it still exists: the path is never empty, and
	 * devtmpfs leaves the kernel's node alone when our device goes (it
	 * removes only a node with our device's number).
	 */
	kernel_node_back(h);
	cuse_heap_stop(h);
	free(h->node_path);
	free(h);
}

/* What serving heap @hc takes on this kernel: its helper kind and limits. */
struct backing {
	uint32_t kind;
	uint32_t region;
	uint64_t max_len;
};

/* Point @h at heap @hc of @c. */
static void node_set(struct daemon *dm, const struct config *c, struct heap *h,
		     const struct heap_config *hc, const struct backing *b)
{
	h->cfg = *hc;
	h->helper_fd = dm->helper_fd;
	h->helper_kind = b->kind;
	h->region_id = b->region;
	h->max_len = b->max_len;
	h->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	h->fault = c->fault;
	h->ledger = dm->ledger;
	h->charge = c->charge_clients;
}

static const char *node_name_of(const struct heap_config *hc, size_t a)
{
	return a ? hc->aliases[a - 1].name : hc->name;
}

static struct heap *find_node(struct daemon *dm, const char *name)
{
	size_t i;

	for (i = 0; i < dm->n; i++)
		if (!strcmp(dm->nodes[i]->node_name, name))
			return dm->nodes[i];
	return NULL;
}

/*
 * The backing of every heap of @c; regions claimed (claiming a region the
 * helper holds already is a no-op). A failure is a reason in @d.
 */
static int resolve_all(struct daemon *dm, const struct config *c,
		       struct backing *b)
{
	size_t i;
	int r;

	for (i = 0; i < c->n_heaps; i++) {
		r = resolve_kind(c, &c->heaps[i], &dm->info, dm->helper_fd,
				 &b[i].kind, &b[i].region, &b[i].max_len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Start-up: one node per heap name and alias, all of them new. */
static int start_nodes(struct daemon *dm)
{
	struct backing b[DH_HEAPS_MAX];
	const struct config *c = dm->c;
	struct heap *h;
	size_t i, a;
	int r;

	r = resolve_all(dm, c, b);
	if (r < 0)
		return r;
	for (i = 0; i < c->n_heaps; i++) {
		for (a = 0; a <= c->heaps[i].n_aliases; a++) {
			if (dm->n == DH_NODES_MAX)
				return log_errno(LOG_ERR, -E2BIG,
						 "too many nodes: at most %d",
						 DH_NODES_MAX);
			h = calloc(1, sizeof(*h));
			if (!h)
				return log_errno(LOG_ERR, -ENOMEM, "out of memory");
			dm->nodes[dm->n++] = h;
			node_set(dm, c, h, &c->heaps[i], &b[i]);
			h->node_name = node_name_of(&h->cfg, a);
			r = start_heap(c, h);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Can @nc replace the running configuration? A heap that stays keeps its
 * kind and its memory: changing those needs a restart.
 */
static int reload_check(struct daemon *dm, const struct config *nc,
			struct config_diag *d)
{
	const struct heap_config *o, *h;
	size_t i, j;

	for (i = 0; i < nc->n_heaps; i++) {
		h = &nc->heaps[i];
		o = config_find_heap(dm->c, h->name);
		if (!o)
			continue;
		if (o->kind != h->kind || o->base != h->base ||
		    o->size != h->size || o->legacy_node != h->legacy_node)
			return config_fail(d, nc, h->origin,
					   "heap \"%s\": Kind=, Base=, Size= or LegacyNode= changed; those take a restart of dmaheapd",
					   h->name);
	}
	/* A node that moves from one heap to another: stop it first. */
	for (i = 0; i < nc->n_heaps; i++) {
		h = &nc->heaps[i];
		for (j = 0; j <= h->n_aliases; j++) {
			struct heap *n = find_node(dm, node_name_of(h, j));

			if (n && strcmp(n->cfg.name, h->name))
				return config_fail(d, nc, h->origin,
						   "node \"%s\" moves from heap \"%s\" to heap \"%s\"; remove it in one reload and add it in the next",
						   n->node_name, n->cfg.name,
						   h->name);
		}
	}
	for (i = 0, j = 0; i < nc->n_heaps; i++)
		j += 1 + nc->heaps[i].n_aliases;
	if (j > DH_NODES_MAX)
		return config_fail(d, nc, nc->heaps[0].origin,
				   "%zu nodes: at most %d", j, DH_NODES_MAX);
	if (nc->kernel_heaps != dm->c->kernel_heaps)
		return config_fail(d, nc, nc->kernel_heaps_origin,
				   "KernelHeaps= changed to %s; that takes a restart of dmaheapd",
				   kernel_heaps_name(nc->kernel_heaps));
	if (nc->control_group.id != dm->c->control_group.id ||
	    !nc->control_group.origin.line != !dm->c->control_group.origin.line)
		return config_fail(d, nc, nc->control_group.origin,
				   "ControlGroup= changed; that takes a restart of dmaheapd");
	return 0;
}

/*
 * Re-read the configuration: new rules for new allocations, live buffers
 * untouched, nodes of heaps that stay kept, added ones created, removed
 * ones gone. A configuration that fails any check is rejected whole and
 * the old one stays. The workers stop for the switch: requests wait in the
 * kernel meanwhile, none is lost. Returns 0, or the error; the outcome is
 * logged and kept in dm->reload_msg.
 */
static int reload(struct daemon *dm)
{
	struct config_diag d = { .warn = config_warning };
	const char *own[DH_NODES_MAX];
	struct heap *added[DH_NODES_MAX], *keep[DH_NODES_MAX], *h;
	size_t n_added = 0, n_keep = 0, n_removed = 0, n_failed = 0, i, a;
	struct backing b[DH_HEAPS_MAX];
	struct config *nc;
	int r;

	if (arg_heaps) {
		snprintf(dm->reload_msg, sizeof(dm->reload_msg),
			 "nothing to reload: the heaps come from --heap, not from configuration files");
		log_warning("%s", dm->reload_msg);
		return -EINVAL;
	}
	notify("RELOADING=1");
	nc = malloc(sizeof(*nc));
	if (!nc) {
		r = -ENOMEM;
		snprintf(d.error, sizeof(d.error), "out of memory");
		goto out_reject;
	}
	config_init(nc);
	nc->helper_path = dm->c->helper_path;
	nc->cuse_path = dm->c->cuse_path;
	nc->dev_dir = dm->c->dev_dir;
	nc->fault = dm->c->fault;
	for (i = 0; i < dm->n; i++)
		own[i] = dm->nodes[i]->node_name;
	r = load_config(nc, own, dm->n, &d);
	if (r == 0)
		r = reload_check(dm, nc, &d);
	if (r == 0 && (r = resolve_all(dm, nc, b)) < 0)
		snprintf(d.error, sizeof(d.error),
			 "a heap's memory cannot be set up (see above)");
	if (r == 0 && (r = set_pool(nc, dm->helper_fd)) < 0)
		snprintf(d.error, sizeof(d.error),
			 "the pool cannot be sized (see above)");
	if (r < 0)
		goto out_reject;

	workers_stop(&dm->w);

	/* Nodes that stay take the new rules, in place; the rest go. */
	for (i = 0; i < dm->n; i++) {
		const struct heap_config *hc = config_find_heap(nc,
							dm->nodes[i]->cfg.name);
		h = dm->nodes[i];
		for (a = 0; hc && a <= hc->n_aliases; a++)
			if (!strcmp(node_name_of(hc, a), h->node_name))
				break;
		if (!hc || a > hc->n_aliases) {
			log_info("%s: removed", h->node_path);
			node_free(h);
			n_removed++;
			continue;
		}
		node_set(dm, nc, h, hc, &b[hc - nc->heaps]);
		h->node_name = node_name_of(&h->cfg, a);
		keep[n_keep++] = h;
	}
	/* New nodes: created now, serving once their handshake is done. */
	for (i = 0; i < nc->n_heaps; i++) {
		for (a = 0; a <= nc->heaps[i].n_aliases; a++) {
			bool known = false;
			size_t k;

			for (k = 0; k < n_keep; k++)
				if (!strcmp(keep[k]->node_name,
					    node_name_of(&nc->heaps[i], a)))
					known = true;
			if (known)
				continue;
			h = calloc(1, sizeof(*h));
			if (!h) {
				log_error("node \"%s\": out of memory, not added",
					  node_name_of(&nc->heaps[i], a));
				n_failed++;
				continue;
			}
			node_set(dm, nc, h, &nc->heaps[i], &b[i]);
			h->node_name = node_name_of(&h->cfg, a);
			if (start_heap(nc, h) < 0) {
				node_free(h);
				n_failed++;
				continue;
			}
			added[n_added++] = h;
		}
	}
	/* The workers are stopped: a node that does not come up is dropped. */
	r = wait_ready(dm, added, n_added, 10000);
	if (r < 0) {
		/* Those that did not come up are dropped, the rest serve. */
		for (i = 0; i < n_added; i++) {
			if (added[i]->ready && !added[i]->node_errno)
				continue;
			node_free(added[i]);
			added[i--] = added[--n_added];
			n_failed++;
		}
	}
	memcpy(dm->nodes, keep, n_keep * sizeof(keep[0]));
	memcpy(dm->nodes + n_keep, added, n_added * sizeof(added[0]));
	dm->n = n_keep + n_added;

	free(dm->c);
	dm->c = nc;
	log_init(nc->debug);
	dm->reloads++;
	dm->loaded_at = time(NULL);
	snprintf(dm->reload_msg, sizeof(dm->reload_msg),
		 "configuration reloaded: %zu heaps, %zu nodes (%zu kept, %zu added, %zu removed)%s",
		 nc->n_heaps, dm->n, n_keep, n_added, n_removed,
		 n_failed ? "; some new nodes failed, see the log" : "");
	log_info("%s", dm->reload_msg);
	r = workers_start(&dm->w, dm->nodes, dm->n);
	if (r < 0) {
		/* Without workers nothing is served: stop, and let systemd restart. */
		snprintf(dm->reload_msg, sizeof(dm->reload_msg),
			 "no worker could be started after the reload: stopping");
		dm->fatal = r;
		return r;
	}
	list_nodes(dm->nodes, dm->n);
	send_status(dm->nodes, dm->n, "READY=1\n");
	return 0;

out_reject:
	snprintf(dm->reload_msg, sizeof(dm->reload_msg),
		 "new configuration rejected, the old one stays in force: %s",
		 d.error);
	log_errno(LOG_ERR, r, "%s", dm->reload_msg);
	free(nc);
	notify("READY=1");
	return r;
}

static void status(struct daemon *dm, FILE *out, bool json)
{
	uint64_t bytes, buffers;

	/* Heaps removed by a reload included, while their buffers live. */
	ledger_heap_usage(dm->ledger, NULL, &bytes, &buffers);
	{
		const struct report_counter c[] = {
			{ "heaps", dm->c->n_heaps },
			{ "nodes", dm->n },
			{ "workers", dm->w.n_threads },
			{ "live_buffers", buffers },
			{ "live_bytes", bytes },
			{ "charge_clients", dm->c->charge_clients },
			{ "loaded_at", (uint64_t)dm->loaded_at },
			{ "reloads", dm->reloads },
			{ "helper_live_buffers", helper_counter("live_buffers") },
			{ "helper_live_bytes", helper_counter("live_bytes") },
			{ "helper_allocations", helper_counter("allocations") },
			{ "helper_alloc_failures", helper_counter("alloc_failures") },
			{ "helper_fds_installed", helper_counter("fds_installed") },
			{ "helper_deliveries_dropped",
			  helper_counter("deliveries_dropped") },
			{ "pool_max", dm->c->pool_size },
			{ "pool_bytes", helper_counter("pool_bytes") },
			{ "pool_hits", helper_counter("pool_hits") },
			{ "pool_misses", helper_counter("pool_misses") },
			{ "ready_buffers", helper_counter("ready_buffers") },
			{ "ready_hits", helper_counter("ready_hits") },
		};

		report_status(out, json, c, sizeof(c) / sizeof(c[0]));
	}
}

/*
 * One dmaheapctl request: "heaps", "buffers [--by=WHAT]", "status",
 * "reload", each with an optional "--json".
 */
static int handle_control_request(void *userdata, int argc, char **argv,
				  FILE *out, char *err, size_t err_size)
{
	struct daemon *dm = userdata;
	enum report_by by = BY_PROCESS;
	bool json = false;
	int i, r;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strncmp(argv[i], "--by=", 5) && argc &&
			   !strcmp(argv[0], "buffers")) {
			if (report_by_from_string(argv[i] + 5, &by) < 0) {
				snprintf(err, err_size,
					 "unknown --by=%s: use process, uid, heap or buffer",
					 argv[i] + 5);
				return -EINVAL;
			}
		} else {
			snprintf(err, err_size, "unexpected argument \"%s\"",
				 argv[i]);
			return -EINVAL;
		}
	}
	if (!argc) {
		snprintf(err, err_size, "no command: use heaps, buffers, status or reload");
		return -EINVAL;
	}
	/* What was released since the last allocation. */
	heap_drain_releases(dm->helper_fd, dm->ledger);
	if (!strcmp(argv[0], "heaps")) {
		report_heaps(out, json, dm->nodes, dm->n, dm->ledger,
			     (uint64_t)sysconf(_SC_PHYS_PAGES) *
			     (uint64_t)sysconf(_SC_PAGESIZE));
		return 0;
	}
	if (!strcmp(argv[0], "buffers")) {
		r = report_buffers(out, json, by, dm->ledger);
		if (r < 0)
			snprintf(err, err_size, "out of memory");
		return r;
	}
	if (!strcmp(argv[0], "status")) {
		status(dm, out, json);
		return 0;
	}
	if (!strcmp(argv[0], "reload")) {
		log_info("reload asked for through the control socket");
		r = reload(dm);
		if (r < 0) {
			snprintf(err, err_size, "%s", dm->reload_msg);
			return r;
		}
		if (json) {
			fputs("{\"message\":", out);
			report_json_string(out, dm->reload_msg);
			fputs("}\n", out);
		} else {
			fprintf(out, "%s\n", dm->reload_msg);
		}
		return 0;
	}
	snprintf(err, err_size, "unknown command \"%s\": use heaps, buffers, status or reload",
		 argv[0]);
	return -EINVAL;
}

/* The control socket for dmaheapctl; root and ControlGroup= only. */
static int open_control(struct daemon *dm)
{
	const struct config *c = dm->c;
	gid_t gid = c->control_group.origin.line ? c->control_group.id :
						   (gid_t)-1;
	int r;

	r = control_open(arg_control, gid, &dm->ctl);
	if (r == -EPERM && c->control_group.origin.line)
		return log_errno(LOG_ERR, r,
				 "cannot give %s to ControlGroup=%s: %m; under systemd the unit needs CAP_CHOWN and SystemCallFilter=@chown, or Group=%s (docs/systemd-unit.md)",
				 arg_control, c->control_group.name,
				 c->control_group.name);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create the control socket %s: %m",
				 arg_control);
	return 0;
}

static int event_loop(struct daemon *dm)
{
	struct pollfd pfd[3];
	int r;

	r = wait_ready(dm, dm->nodes, dm->n, -1);
	if (r)
		return r < 0 ? r : 0;
	list_nodes(dm->nodes, dm->n);
	dm->loaded_at = time(NULL);
	send_status(dm->nodes, dm->n, "READY=1\n");

	r = workers_start(&dm->w, dm->nodes, dm->n);
	while (!r) {
		pfd[0] = (struct pollfd){ .fd = dm->sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = dm->w.done_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = dm->ctl ? control_fd(dm->ctl) : -1,
					  .events = POLLIN };
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = log_errno(LOG_ERR, -errno, "poll: %m");
			break;
		}
		if (pfd[0].revents && handle_signal(dm))
			break;
		if (pfd[2].revents) {
			/* A signal or a failed worker ends any wait on a client. */
			const int wake[] = { dm->sig_fd, dm->w.done_fd };

			control_handle(dm->ctl, wake, 2, handle_control_request,
				       dm);
		}
		if (dm->fatal) {
			r = log_errno(LOG_ERR, dm->fatal, "%s", dm->reload_msg);
			break;
		}
		/* A reload above replaced the workers: poll their done_fd again. */
		if (pfd[1].revents && pfd[1].fd == dm->w.done_fd) {
			pthread_mutex_lock(&dm->w.lock);
			if (dm->w.error && dm->w.error_node < dm->n)
				r = log_errno(LOG_ERR, dm->w.error,
					      "node \"%s\": CUSE session ended: %m",
					      dm->nodes[dm->w.error_node]->node_name);
			pthread_mutex_unlock(&dm->w.lock);
		}
	}
	workers_stop(&dm->w);
	return r;
}

/*
 * --restore-kernel-nodes: each kernel node in DEV/dma_heap-kernel/ back to
 * DEV/dma_heap/, over anything there that is not the kernel's node (the
 * unit's ExecStopPost=, after a dmaheapd was killed). 0, or the first error.
 */
static int restore_kernel_nodes(const char *dev_dir)
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

int main(int argc, char **argv)
{
	static struct daemon dm = {
		.helper_fd = -1, .sig_fd = -1,
		.w = { .stop_fd = -1, .done_fd = -1,
		       .lock = PTHREAD_MUTEX_INITIALIZER },
	};
	struct config_diag d = { .warn = config_warning };
	struct config *c;
	size_t i;
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

	c = dm.c = calloc(1, sizeof(*c));
	dm.ledger = ledger_new();
	if (!c || !dm.ledger) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	config_init(c);
	r = parse_args(argc, argv, c);
	if (r < 0)
		return EXIT_FAILURE;
	if (arg_mark) {
		char path[NODES_PATH_MAX];

		nodes_file_path(arg_control, path, sizeof(path));
		r = mark_nodes(path, UDEV_WAIT_MS);
		free(c);
		ledger_free(dm.ledger);
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	if (arg_restore) {
		r = restore_kernel_nodes(c->dev_dir);
		free(c);
		ledger_free(dm.ledger);
		return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	r = load_config(c, NULL, 0, &d);
	if (r < 0) {
		log_errno(LOG_ERR, r, "%s", d.error);
		return EXIT_FAILURE;
	}
	log_init(c->debug);

	dm.sig_fd = signals_open();
	if (dm.sig_fd < 0) {
		log_errno(LOG_ERR, dm.sig_fd, "signalfd: %m");
		return EXIT_FAILURE;
	}

	dm.helper_fd = open_helper(c, &dm.info);
	if (dm.helper_fd < 0) {
		r = dm.helper_fd;
		goto out_close_signals;
	}
	/* Release events are read when the ledger is consulted; never wait. */
	fcntl(dm.helper_fd, F_SETFL, fcntl(dm.helper_fd, F_GETFL) | O_NONBLOCK);

	r = set_pool(c, dm.helper_fd);
	if (r < 0)
		goto out_close_helper;

	r = open_control(&dm);
	if (r < 0)
		goto out_close_helper;

	r = start_nodes(&dm);
	if (r < 0)
		goto out_stop_nodes;

	r = event_loop(&dm);

out_stop_nodes:
	for (i = 0; i < dm.n; i++)
		node_free(dm.nodes[i]);
	if (dm.ctl) {
		char path[NODES_PATH_MAX];

		nodes_file_path(arg_control, path, sizeof(path));
		unlink(path);
		control_close(dm.ctl);
	}
out_close_helper:
	close(dm.helper_fd);
out_close_signals:
	close(dm.sig_fd);
	ledger_free(dm.ledger);
	free(dm.c);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
