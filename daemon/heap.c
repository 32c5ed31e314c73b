// SPDX-License-Identifier: GPL-2.0
/*
 * The allocation path of one heap: decode the caller's request, have the
 * helper allocate and deliver, log what failed and why.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>

#include "heap.h"
#include "helper.h"
#include "log.h"

/* "pid 12 tid 13 (comm) uid 1000" from /proc, for log lines only. */
static void caller_describe(const struct caller *c, char *buf, size_t size)
{
	char path[64], line[256], comm[32] = "?";
	long tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->tid);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "Name:\t%31[^\n]", comm) == 1)
				continue;
			if (sscanf(line, "Tgid:\t%ld", &tgid) == 1)
				break;
		}
		fclose(f);
	}
	snprintf(buf, size, "pid %ld tid %d (%s) uid %u", tgid, (int)c->tid,
		 comm, (unsigned int)c->uid);
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
	static time_t start;
	static unsigned int printed, missed;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - start >= LOG_INTERVAL) {
		if (missed)
			log_warning("%u allocation failures not logged in the last %d s",
				    missed, LOG_INTERVAL);
		start = now.tv_sec;
		printed = missed = 0;
	}
	if (printed < LOG_BURST) {
		printed++;
		return true;
	}
	missed++;
	return false;
}

static int log_failure(const struct heap *h, const struct caller *c,
		       uint64_t size, const char *what, int r)
{
	char who[128];
	int level = r == -ENOMEM ? LOG_WARNING : LOG_NOTICE;

	if (!log_failure_allowed())
		return r;
	caller_describe(c, who, sizeof(who));
	log_msg(level,
		"heap \"%s\": %s, size %" PRIu64 ", for %s: errno=%s (%s)",
		h->cfg.name, what, size, who, strerrorname_np(-r),
		strerror(-r));
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
	req.flags = io->compat ? DMAHEAP_HELPER_ALLOC_COMPAT : 0;
	req.node_major = major(h->node);
	req.node_minor = minor(h->node);

	r = helper_alloc(h->helper_fd, &req);
	if (r < 0)
		return log_failure(h, caller, rq.len, "allocation failed", r);

	log_debug("heap \"%s\": buffer %" PRIu64 ", size %" PRIu64
		  ", for tid %d uid %u", h->cfg.name, (uint64_t)req.id, rq.len,
		  (int)caller->tid, (unsigned int)caller->uid);
	*ret_req = rq;
	return 0;
}
