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
#include <inttypes.h>
#include <fuse_log.h>

#include "cma.h"
#include "conffile.h"
#include "config.h"
#include "cuse.h"
#include "heap.h"
#include "helper.h"
#include "log.h"
#include "names.h"
#include "notify.h"

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
static unsigned int arg_threads;	/* 0: the default */

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

/* A LegacyNode=yes heap gets the default CMA area's legacy name as alias. */
static int add_legacy_nodes(struct config *c)
{
	char area[DH_HEAP_NAME_MAX + 1], where[DH_PATH_MAX + 16];
	struct heap_config *h;
	struct heap_alias *a;
	uint64_t bytes;
	size_t i;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		if (!h->legacy_node)
			continue;
		config_origin_str(c, h->legacy_node_origin, where, sizeof(where));
		if (cma_default_area("/", area, sizeof(area), &bytes) < 0)
			return log_errno(LOG_ERR, -ENOENT,
					 "%s: heap \"%s\": LegacyNode=yes, but this kernel has no CMA area, so there is no legacy name to serve",
					 where, h->name);
		if (h->n_aliases == DH_ALIASES_MAX)
			return log_errno(LOG_ERR, -E2BIG,
					 "%s: heap \"%s\": no room for its legacy node, at most %d aliases",
					 where, h->name, DH_ALIASES_MAX);
		a = &h->aliases[h->n_aliases++];
		snprintf(a->name, sizeof(a->name), "%s", area);
		a->legacy = true;
		a->origin = h->legacy_node_origin;
	}
	return 0;
}

/*
 * The configuration files (unless --heap), then the naming convention,
 * checked before anything is opened or created.
 */
static int load_config(struct config *c)
{
	struct config_diag d = { .warn = config_warning };
	char *existing[256];
	size_t n, i;
	int r;

	if (!arg_heaps) {
		r = config_load(c, arg_config, &d);
		if (r < 0)
			return log_errno(LOG_ERR, r, "%s", d.error);
	}
	config_finish(c);
	/* -d wins over Debug=no in a file. */
	c->debug |= arg_debug;

	r = add_legacy_nodes(c);
	if (r < 0)
		return r;
	r = names_check_config(c, &d);
	if (r < 0)
		return log_errno(LOG_ERR, r, "%s", d.error);

	n = existing_nodes(c->dev_dir, existing,
			   sizeof(existing) / sizeof(existing[0]));
	r = names_check_existing(c, (const char *const *)existing, n, &d);
	for (i = 0; i < n; i++)
		free(existing[i]);
	if (r < 0)
		return log_errno(LOG_ERR, r, "%s", d.error);
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
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M is ordinary RAM or was not reserved at boot; keep it from the kernel with memmap=%" PRIu64 "M$0x%" PRIx64 " (x86) or a no-map reserved-memory node",
				 where, hc->name, hc->base, hc->size >> 20,
				 hc->size >> 20, hc->base);
	case -EBUSY:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": 0x%" PRIx64 "+%" PRIu64 "M overlaps a range another region or driver already claimed",
				 where, hc->name, hc->base, hc->size >> 20);
	case -EOPNOTSUPP:
		return log_errno(LOG_ERR, r,
				 "%s: heap \"%s\": this kernel has no ZONE_DEVICE memory, needed for region heaps",
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

static int start_heap(const struct config *c, struct heap *h)
{
	struct stat st;
	int r;

	if (asprintf(&h->node_path, "%s/dma_heap/%s", c->dev_dir,
		     h->node_name) < 0) {
		h->node_path = NULL;
		return log_errno(LOG_ERR, -ENOMEM, "out of memory");
	}
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
	notify("STOPPING=1");
	return 1;
}

/*
 * STATUS= for systemctl status: the nodes and what is live. Sent when the
 * nodes are ready and then at most every STATUS_INTERVAL seconds while
 * requests come in: an idle daemon does not wake up to refresh it.
 */
#define STATUS_INTERVAL	5

static void send_status(const struct heap *heaps, size_t n, const char *prefix)
{
	struct dmaheap_helper_stats st = { 0 };
	char names[512] = "", msg[768];
	size_t i, len = 0;

	for (i = 0; i < n && len < sizeof(names); i++)
		len += snprintf(names + len, sizeof(names) - len, "%s%s",
				i ? " " : "", heaps[i].node_name);
	helper_stats(heaps[0].helper_fd, &st);
	snprintf(msg, sizeof(msg),
		 "%sSTATUS=Serving %s; %" PRIu64 " buffers, %" PRIu64 " KiB live",
		 prefix, names, (uint64_t)st.live_buffers,
		 (uint64_t)st.live_bytes >> 10);
	notify(msg);
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
	send_status(heaps, n, "READY=1\n");
	return 0;
}

/*
 * Once every node is ready, requests are served by arg_threads workers, so
 * that a 64 MiB allocation on one does not hold up a 4 KiB one on another.
 * Each worker waits on every session (the fds are non-blocking: a worker
 * that loses the race for a request reads EAGAIN) and answers each request
 * it reads after the helper call, as a single thread did. The main thread
 * keeps the signals.
 */
struct workers {
	struct heap *heaps;
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
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cuse_heap_fd(&w->heaps[i]),
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
		r = cuse_heap_process(&w->heaps[i], &bufs[i]);

		clock_gettime(CLOCK_MONOTONIC, &now);
		pthread_mutex_lock(&w->lock);
		if (now.tv_sec - w->status_time >= STATUS_INTERVAL) {
			w->status_time = now.tv_sec;
			send_status(w->heaps, w->n, "");
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

static int workers_start(struct workers *w, struct heap *heaps, size_t n)
{
	int r;

	if (!arg_threads)
		arg_threads = default_threads();
	w->heaps = heaps;
	w->n = n;
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
}

/* Until every node is ready, this thread serves the CUSE handshakes. */
static int wait_ready(struct heap *heaps, size_t n, int sig_fd)
{
	struct pollfd pfd[DH_NODES_MAX + 1];
	bool announced = false;
	size_t i;
	int r;

	pfd[0].fd = sig_fd;
	pfd[0].events = POLLIN;
	for (i = 0; i < n; i++) {
		pfd[i + 1].fd = cuse_heap_fd(&heaps[i]);
		pfd[i + 1].events = POLLIN;
	}

	while (!announced) {
		if (poll(pfd, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return log_errno(LOG_ERR, -errno, "poll: %m");
		}
		if (pfd[0].revents && handle_signal(sig_fd))
			return 1;

		for (i = 0; i < n; i++) {
			if (!pfd[i + 1].revents)
				continue;
			r = cuse_heap_process(&heaps[i], &heaps[i].buf_mem);
			if (r == -ENODEV && !heaps[i].ready)
				return log_errno(LOG_ERR, r,
						 "the kernel refused CUSE device dma_heap/%s: is a CUSE device of that name already registered?",
						 heaps[i].node_name);
			if (r < 0)
				return log_errno(LOG_ERR, r,
						 "node \"%s\": CUSE session ended: %m",
						 heaps[i].node_name);
		}
		r = check_ready(heaps, n, &announced);
		if (r < 0)
			return r;
	}
	return 0;
}

static int event_loop(struct heap *heaps, size_t n, int sig_fd)
{
	struct workers w = { .stop_fd = -1, .done_fd = -1,
			     .lock = PTHREAD_MUTEX_INITIALIZER };
	struct pollfd pfd[2];
	int r;

	r = wait_ready(heaps, n, sig_fd);
	if (r)
		return r < 0 ? r : 0;

	r = workers_start(&w, heaps, n);
	pfd[0].fd = sig_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = w.done_fd;
	pfd[1].events = POLLIN;
	while (!r) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = log_errno(LOG_ERR, -errno, "poll: %m");
			break;
		}
		if (pfd[0].revents && handle_signal(sig_fd))
			break;
		if (pfd[1].revents) {
			pthread_mutex_lock(&w.lock);
			r = log_errno(LOG_ERR, w.error,
				      "node \"%s\": CUSE session ended: %m",
				      heaps[w.error_node].node_name);
			pthread_mutex_unlock(&w.lock);
		}
	}
	workers_stop(&w);
	return r;
}

/* One struct heap per node: the heap's name, then each alias. */
static int start_nodes(const struct config *c,
		       const struct dmaheap_helper_info *info, int helper_fd,
		       struct heap *nodes, size_t *ret_n)
{
	long page_size = sysconf(_SC_PAGESIZE);
	uint32_t kind, region;
	size_t i, a, n = 0;
	uint64_t max_len;
	struct heap *h;
	int r;

	for (i = 0; i < c->n_heaps; i++) {
		r = resolve_kind(c, &c->heaps[i], info, helper_fd, &kind,
				 &region, &max_len);
		if (r < 0)
			return r;
		for (a = 0; a <= c->heaps[i].n_aliases; a++) {
			if (n == DH_NODES_MAX)
				return log_errno(LOG_ERR, -E2BIG,
						 "too many nodes: at most %d",
						 DH_NODES_MAX);
			h = &nodes[n++];
			*ret_n = n;
			h->cfg = c->heaps[i];
			h->node_name = a ? h->cfg.aliases[a - 1].name :
					   h->cfg.name;
			h->helper_fd = helper_fd;
			h->helper_kind = kind;
			h->region_id = region;
			h->max_len = max_len;
			h->page_size = page_size;
			h->fault = c->fault;
			r = start_heap(c, h);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct heap nodes[DH_NODES_MAX];
	struct dmaheap_helper_info info = { 0 };
	static struct config c;
	int helper_fd, sig_fd, r;
	size_t i, n = 0;

	config_init(&c);
	log_init(false);
	fuse_set_log_func(fuse_log_to_ours);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * No transparent huge pages: each worker's malloc arena would get a
	 * 2 MiB page for a few kilobytes (t-idle.sh saw 4.2 MB resident
	 * instead of 0.2 MB). Nothing here gains from them.
	 */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);

	r = parse_args(argc, argv, &c);
	if (r < 0)
		return EXIT_FAILURE;
	r = load_config(&c);
	if (r < 0)
		return EXIT_FAILURE;
	log_init(c.debug);

	sig_fd = signals_open();
	if (sig_fd < 0) {
		log_errno(LOG_ERR, sig_fd, "signalfd: %m");
		return EXIT_FAILURE;
	}

	helper_fd = open_helper(&c, &info);
	if (helper_fd < 0) {
		r = helper_fd;
		goto out_close_signals;
	}

	r = set_pool(&c, helper_fd);
	if (r < 0)
		goto out_close_helper;

	r = start_nodes(&c, &info, helper_fd, nodes, &n);
	if (r < 0)
		goto out_stop_nodes;

	r = event_loop(nodes, n, sig_fd);

out_stop_nodes:
	for (i = 0; i < n; i++) {
		cuse_heap_stop(&nodes[i]);
		free(nodes[i].node_path);
	}
out_close_helper:
	close(helper_fd);
out_close_signals:
	close(sig_fd);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
