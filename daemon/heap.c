// SPDX-License-Identifier: GPL-2.0
/*
 * The allocation path of one heap: decode the caller's request, have the
 * helper allocate and deliver, log what failed and why.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>

#include "heap.h"
#include "helper.h"
#include "log.h"

/* The caller's process id and name from /proc, for log records only. */
struct who {
	long tgid;
	char comm[32];
};

static void caller_who(const struct caller *c, struct who *w)
{
	char path[64], line[256];
	FILE *f;

	w->tgid = -1;
	strcpy(w->comm, "?");
	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->tid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Name:\t%31[^\n]", w->comm) == 1)
			continue;
		if (sscanf(line, "Tgid:\t%ld", &w->tgid) == 1)
			break;
	}
	fclose(f);
}

/*
 * One allocation record: a line "heap "NAME": WHAT, size N, for pid P tid T
 * (COMM) uid U[: errno=E (text)]" and, in the journal, the fields DMA_HEAP,
 * CLIENT_PID, CLIENT_UID, CLIENT_COMM, SIZE and, for a failure, ERRNO.
 */
static void log_alloc_record(int level, const struct heap *h,
			     const struct caller *c, uint64_t size,
			     const char *what, int r)
{
	char pid[24], uid[16], sz[24], err[128] = "";
	struct log_field f[6];
	struct who w;
	size_t n = 0;

	caller_who(c, &w);
	snprintf(pid, sizeof(pid), "%ld", w.tgid);
	snprintf(uid, sizeof(uid), "%u", (unsigned int)c->uid);
	snprintf(sz, sizeof(sz), "%" PRIu64, size);
	f[n++] = (struct log_field){ "DMA_HEAP", h->cfg.name };
	f[n++] = (struct log_field){ "CLIENT_PID", pid };
	f[n++] = (struct log_field){ "CLIENT_UID", uid };
	f[n++] = (struct log_field){ "CLIENT_COMM", w.comm };
	f[n++] = (struct log_field){ "SIZE", sz };
	if (r) {
		f[n++] = (struct log_field){ "ERRNO", strerrorname_np(-r) };
		snprintf(err, sizeof(err), ": errno=%s (%s)",
			 strerrorname_np(-r), strerror(-r));
	}
	log_record(level, f, n,
		   "heap \"%s\": %s, size %" PRIu64 ", for pid %ld tid %d (%s) uid %u%s",
		   h->cfg.name, what, size, w.tgid, (int)c->tid, w.comm,
		   (unsigned int)c->uid, err);
}

/*
 * At most LOG_BURST failure lines per LOG_INTERVAL seconds, so a client
 * looping on a bad request cannot flood the log; then one line that says
 * how many were suppressed.
 */
#define LOG_INTERVAL	5
#define LOG_BURST	20

static bool log_failure_allowed(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static time_t start;
	static unsigned int printed, missed;
	struct timespec now;
	bool allowed;

	pthread_mutex_lock(&lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - start >= LOG_INTERVAL) {
		if (missed)
			log_warning("%u allocation failures not logged in the last %d s",
				    missed, LOG_INTERVAL);
		start = now.tv_sec;
		printed = missed = 0;
	}
	allowed = printed < LOG_BURST;
	if (allowed)
		printed++;
	else
		missed++;
	pthread_mutex_unlock(&lock);
	return allowed;
}

static int log_failure(const struct heap *h, const struct caller *c,
		       uint64_t size, const char *what, int r)
{
	int level = r == -ENOMEM ? LOG_WARNING : LOG_NOTICE;

	if (log_failure_allowed())
		log_alloc_record(level, h, c, size, what, r);
	return r;
}

int heap_alloc(struct heap *h, const struct caller *caller,
	       const struct heap_ioctl *io, struct dh_alloc_request *ret_req)
{
	struct dh_alloc_request rq;
	struct dmaheap_helper_alloc req = { 0 };
	uint64_t raw_len = 0;
	int r;

	r = dh_request_decode(io->cmd, io->in, io->in_size, io->out_size,
			      h->page_size, &rq);
	if (r < 0) {
		if (io->in_size >= sizeof(raw_len))
			memcpy(&raw_len, io->in, sizeof(raw_len));
		return log_failure(h, caller, raw_len,
				   "invalid allocation request", r);
	}

	/*
	 * A command that copies out less than the fd field: the kernel would
	 * install an fd the caller can never learn. Answer as it does, but
	 * allocate nothing (docs/ioctl-contract.md).
	 */
	if (!rq.fd_reachable) {
		log_debug("heap \"%s\": cmd 0x%x returns no fd, nothing allocated",
			  h->cfg.name, io->cmd);
		*ret_req = rq;
		return 0;
	}

	/* Contiguous kinds: a buffer larger than the block or area. */
	if (h->max_len && rq.len > h->max_len) {
		char what[96];

		snprintf(what, sizeof(what),
			 "larger than the heap's largest buffer (%" PRIu64 " KiB)",
			 h->max_len >> 10);
		return log_failure(h, caller, rq.len, what, -ENOMEM);
	}

	req.len = rq.len;
	req.user_addr = io->user_addr;
	req.kind = h->helper_kind;
	req.region = h->region_id;
	req.fd_flags = rq.fd_flags;
	req.tid = caller->tid;
	req.cmd = io->cmd;
	req.flags = (io->compat ? DMAHEAP_HELPER_ALLOC_COMPAT : 0) | DMAHEAP_HELPER_ALLOC_CHARGE;
	req.node_major = major(h->node);
	req.node_minor = minor(h->node);

	r = helper_alloc(h->helper_fd, &req);
	if (r < 0)
		return log_failure(h, caller, rq.len, "allocation failed", r);

	if (log_debug_enabled()) {
		char what[40];

		snprintf(what, sizeof(what), "buffer %" PRIu64 " allocated",
			 (uint64_t)req.id);
		log_alloc_record(LOG_DEBUG, h, caller, rq.len, what, 0);
	}
	*ret_req = rq;
	return 0;
}
