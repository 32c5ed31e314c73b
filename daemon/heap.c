// SPDX-License-Identifier: GPL-2.0
/*
 * The requests of a node: open checked against the heap's access rules,
 * and the allocation path: decode the caller's request, check it and the
 * caller, reserve in the ledger, have the helper allocate and deliver, log
 * what failed and why. A 4 KiB buffer the helper defers is asked for
 * first, and checked after the reply (heap_replied()).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/sysmacros.h>

#include "heap.h"

_Static_assert(DH_HEAP_NAME_MAX < DMAHEAP_HELPER_NAME_LEN,
	       "a heap's name fits the helper's exporter name");
#include "filemax.h"
#include "helper.h"
#include "ledger.h"
#include "log.h"
#include "macro.h"
#include "policy.h"
#include "userns.h"

/* The caller's process id and name from /proc, for log records only. */
struct who {
	long tgid;
	char comm[32];
};

_Static_assert(sizeof(((struct who *)0)->comm) >=
	       sizeof(((struct dmaheap_helper_alloc *)0)->comm),
	       "the helper's name of the caller fits a log record's");

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
 * CLIENT_PID, CLIENT_UID, CLIENT_COMM, SIZE, for a failure ERRNO, and for
 * a limit LIMIT. @known: the caller's process, if known already.
 */
static void log_record_full(int level, const struct node *h,
			    const struct caller *c, const struct who *known,
			    uint64_t size, const char *what, int r,
			    const char *limit)
{
	char pid[24], uid[16], sz[24], err[128] = "";
	struct log_field f[7];
	struct who w;
	size_t n = 0;

	if (known)
		w = *known;
	else
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
	if (limit)
		f[n++] = (struct log_field){ "LIMIT", limit };
	log_record(level, f, n,
		   "heap \"%s\": %s, size %" PRIu64 ", for pid %ld tid %d (%s) uid %u%s",
		   h->cfg.name, what, size, w.tgid, (int)c->tid, w.comm,
		   (unsigned int)c->uid, err);
}

/*
 * At most LOG_BURST failure lines per LOG_INTERVAL seconds for each user,
 * so that one looping on a bad request floods neither the log nor hides
 * another's denials and limits; LOG_TOTAL for everyone, for many users at
 * once (a user namespace's range of uids). A window's lines not logged are
 * counted, and said at the first failure of anyone once it is over.
 */
#define LOG_INTERVAL	5
#define LOG_BURST	20
#define LOG_TOTAL	100
/* Users with a window at once; past it, the others share one. */
#define LOG_USERS	32

struct log_window {
	bool used;
	uid_t uid;
	time_t start;
	unsigned int printed, missed;
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
/* [LOG_USERS]: the other users; [LOG_USERS + 1]: everyone. */
static struct log_window log_windows[LOG_USERS + 2];

void heap_log_window_reset(void)
{
	pthread_mutex_lock(&log_lock);
	memset(log_windows, 0, sizeof(log_windows));
	pthread_mutex_unlock(&log_lock);
}

void heap_log_window_expire(void)
{
	size_t i;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < ARRAY_SIZE(log_windows); i++)
		log_windows[i].start -= LOG_INTERVAL;
	pthread_mutex_unlock(&log_lock);
}

/* Every window over: what it did not log said, and the window freed. */
static void log_windows_close(time_t now)
{
	struct log_window *w;
	char whose[48];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(log_windows); i++) {
		w = &log_windows[i];
		if (!w->used || now - w->start < LOG_INTERVAL)
			continue;
		if (w->missed) {
			if (i < LOG_USERS)
				snprintf(whose, sizeof(whose), "of uid %u",
					 (unsigned int)w->uid);
			else if (i == LOG_USERS)
				snprintf(whose, sizeof(whose), "of other users");
			else
				snprintf(whose, sizeof(whose),
					 "past %d lines of all users", LOG_TOTAL);
			log_warning("%u allocation failures %s not logged in a %d s window that began %ld s ago",
				    w->missed, whose, LOG_INTERVAL,
				    (long)(now - w->start));
		}
		memset(w, 0, sizeof(*w));
	}
}

/* @uid's window: its own, a free one, or the other users'. */
static struct log_window *log_window_of(uid_t uid, time_t now)
{
	struct log_window *free = NULL, *w;
	size_t i;

	for (i = 0; i < LOG_USERS; i++) {
		w = &log_windows[i];
		if (w->used && w->uid == uid)
			return w;
		if (!w->used && !free)
			free = w;
	}
	w = free ? free : &log_windows[LOG_USERS];
	if (!w->used) {
		w->used = true;
		w->uid = uid;
		w->start = now;
	}
	return w;
}

static bool log_failure_allowed(uid_t uid)
{
	struct log_window *w, *all = &log_windows[LOG_USERS + 1];
	struct timespec now;
	bool allowed;

	pthread_mutex_lock(&log_lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	log_windows_close(now.tv_sec);
	w = log_window_of(uid, now.tv_sec);
	if (!all->used) {
		all->used = true;
		all->start = now.tv_sec;
	}
	allowed = w->printed < LOG_BURST && all->printed < LOG_TOTAL;
	if (allowed) {
		w->printed++;
		all->printed++;
	} else if (w->printed < LOG_BURST) {
		all->missed++;	/* the user's own budget was not the cause */
	} else {
		w->missed++;
	}
	pthread_mutex_unlock(&log_lock);
	return allowed;
}

/* A failure, rate-limited; @known: the caller's process, if known. */
static int log_failure_known(const struct node *h, const struct caller *c,
			     const struct who *known, uint64_t size,
			     const char *what, int r)
{
	int level = r == -ENOMEM ? LOG_WARNING : LOG_NOTICE;

	if (log_failure_allowed(c->uid))
		log_record_full(level, h, c, known, size, what, r, NULL);
	return r;
}

static int log_failure(const struct node *h, const struct caller *c,
		       uint64_t size, const char *what, int r)
{
	return log_failure_known(h, c, NULL, size, what, r);
}

/*
 * Denials and limits: notice, with the limit's key in LIMIT=. @user: what
 * MaxBytesPerUser= counted, named when it is not the caller's uid.
 */
static int log_limit(const struct node *h, const struct caller *c,
		     const struct who *known, uint64_t size,
		     enum heap_limit l, uid_t user)
{
	char what[160], key[80] = "";

	if (l == LIMIT_BYTES_PER_USER && user != c->uid)
		snprintf(key, sizeof(key),
			 " (counted to uid %u, its user namespaces' owner)",
			 (unsigned int)user);
	snprintf(what, sizeof(what), "over the heap's %s=%" PRIu64 "%s",
		 heap_limit_key(l), h->cfg.limits[l], key);
	if (log_failure_allowed(c->uid))
		log_record_full(LOG_NOTICE, h, c, known, size, what, -ENOMEM,
				heap_limit_key(l));
	return -ENOMEM;
}

/*
 * A heap with limits reads the releases before each reservation, to count
 * exactly what is live; others after every DRAIN_EVERY-th reply (and before
 * every dmaheapctl report): a read() spared per request, and the one made
 * after the caller has its answer, while what the helper queues stays
 * bounded.
 */
#define DRAIN_EVERY	64
static atomic_uint replies_since_drain;

void heap_drain_releases(int helper_fd, struct ledger *l)
{
	static atomic_bool told;
	struct dmaheap_helper_event ev[64];
	ssize_t n, i;

	do {
		n = helper_events(helper_fd, ev, ARRAY_SIZE(ev));
		/* The helper has no such error; if it ever had, say it once. */
		if (n < 0 && !atomic_exchange(&told, true))
			log_error("cannot read the helper's release events: %s; released buffers still count against the heaps' limits",
				  strerror((int)-n));
		for (i = 0; i < n; i++)
			if (ev[i].type == DMAHEAP_HELPER_EVENT_RELEASED)
				ledger_release(l, ev[i].cookie);
	} while (n == (ssize_t)ARRAY_SIZE(ev));
}

int heap_open(const struct node *h, const struct caller *caller)
{
	const char *denied = "open denied by AllowUsers=/AllowGroups=";
	char what[160];
	int e = -caller->groups_error;

	if (policy_may_open(&h->cfg, caller->uid, caller->gid, caller->groups,
			    caller->n_groups))
		return 0;
	if (!log_failure_allowed(caller->uid))
		return -EACCES;
	/* A group not read might have allowed it: say how many, and why. */
	if (e && caller->n_groups_all > caller->n_groups)
		snprintf(what, sizeof(what),
			 "%s; %zu of its %zu supplementary groups not read: %s",
			 denied, caller->n_groups_all - caller->n_groups,
			 caller->n_groups_all, strerror(e));
	else if (e)
		snprintf(what, sizeof(what),
			 "%s; its supplementary groups not read: %s",
			 denied, strerror(e));
	else
		snprintf(what, sizeof(what), "%s", denied);
	log_record_full(LOG_NOTICE, h, caller, NULL, 0, what, -EACCES, NULL);
	return -EACCES;
}

int heap_read_write(const struct node *h, const struct caller *caller,
		    size_t size, const char *what)
{
	return log_failure(h, caller, size, what, -EINVAL);
}

/*
 * The request decoded and checked as the kernel checks it: 0 to allocate,
 * 1 for a command that returns no fd (nothing to allocate), or the errno.
 */
static int check_request(const struct node *h, const struct caller *caller,
			 const struct heap_ioctl *io,
			 struct dh_alloc_request *rq)
{
	uint64_t raw_len = 0;
	char what[96];
	int r;

	r = dh_request_decode(io->cmd, io->in, io->in_size, io->out_size,
			      h->page_size, rq);
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
	if (!rq->fd_reachable) {
		log_debug("heap \"%s\": cmd 0x%x returns no fd, nothing allocated",
			  h->cfg.name, io->cmd);
		return 1;
	}
	/* Contiguous kinds: a buffer larger than the block or area. */
	if (h->max_len && rq->len > h->max_len) {
		snprintf(what, sizeof(what),
			 "larger than the heap's largest buffer (%" PRIu64 " KiB)",
			 h->max_len >> 10);
		return log_failure(h, caller, rq->len, what, -ENOMEM);
	}
	return 0;
}

/*
 * What the caller is held to besides the heap's rules: fs.file-max, and
 * for MaxBytesPerUser= its login user, in *@user.
 */
static int check_caller(const struct node *h, const struct caller *caller,
			uint64_t len, uid_t *user)
{
	int r;

	*user = caller->uid;
	/*
	 * fs.file-max, as the kernel's heaps meet it: their dma-buf file is
	 * refused with ENFILE past it unless the caller has CAP_SYS_ADMIN.
	 * Ours is made by the daemon, which has it: check for the caller.
	 * file-nr is read with one pread(), unless a recent reading far from
	 * the limit serves (filemax.h); the caller's capabilities only past it.
	 */
	if (filemax_reached()) {
		r = filemax_exempt(caller->tid);
		if (r == -ESRCH)
			return log_failure(h, caller, len,
					   "allocation failed: the caller is gone", r);
		if (r <= 0)
			return log_failure(h, caller, len,
					   "over fs.file-max: the system's file table is full",
					   -ENFILE);
	}
	/*
	 * MaxBytesPerUser= counts a login user whatever uid its user
	 * namespaces give it: looked up only where that limit applies.
	 */
	if (h->cfg.limits[LIMIT_BYTES_PER_USER] == DH_NO_LIMIT)
		return 0;
	r = userns_user_key(caller->tid, caller->uid, user);
	if (r < 0)
		return log_failure(h, caller, len,
				   r == -ESRCH ? "allocation failed: the caller is gone" :
				   r == -EACCES ? "MaxBytesPerUser= cannot tell the user of a caller in another user namespace without CAP_SYS_PTRACE (docs/systemd-unit.md)" :
				   "allocation failed: cannot read the caller's user namespace",
				   r);
	return 0;
}

/* A reservation or count refused: past @limit, or no memory to count it. */
static int log_refused(const struct node *h, const struct caller *caller,
		       const struct who *known, uint64_t len,
		       enum heap_limit limit, uid_t user, int r)
{
	if (limit != _LIMIT_MAX)
		return log_limit(h, caller, known, len, limit, user);
	return log_failure_known(h, caller, known, len, "out of memory", r);
}

/*
 * Reserve the bytes before the helper allocates, so that concurrent
 * requests cannot pass a limit together. The caller's process is not known
 * yet (FUSE gives the thread; /proc costs more than the allocation, and its
 * pid may be reused meanwhile): the helper names it by tgid and start time,
 * and MaxBytesPerProcess= is checked then, under that key, before the reply.
 */
static int reserve(struct node *h, const struct caller *caller, uint64_t len,
		   uid_t user, uint64_t *ret_cookie)
{
	enum heap_limit limit;
	int r;

	if (policy_has_limits(&h->cfg))
		heap_drain_releases(h->helper_fd, h->ledger);
	r = ledger_reserve(h->ledger, &h->cfg, user, len, ret_cookie, &limit);
	if (r < 0)
		return log_refused(h, caller, NULL, len, limit, user, r);
	return 0;
}

/*
 * A request the helper defers (its dmahp_ready_fits()): one page of the
 * system kind, read-write, which a buffer made ahead serves. Its policy is
 * checked after the reply, while the caller wakes up (docs/policy.md).
 */
static bool deferrable(const struct node *h, const struct dh_alloc_request *rq)
{
	return h->helper_kind == DMAHEAP_HELPER_KIND_SYSTEM &&
	       rq->len == h->page_size &&
	       (rq->fd_flags & O_ACCMODE) == O_RDWR;
}

/* The helper allocates and queues the delivery; the caller's name cleaned. */
static int helper_request(struct node *h, const struct caller *caller,
			  const struct heap_ioctl *io,
			  const struct dh_alloc_request *rq, uint64_t cookie,
			  bool defer, struct dmaheap_helper_alloc *req)
{
	char *p;
	int r;

	req->cookie = cookie;
	req->len = rq->len;
	req->user_addr = io->user_addr;
	req->kind = h->helper_kind;
	req->region = h->region_id;
	req->fd_flags = rq->fd_flags;
	req->tid = caller->tid;
	req->cmd = io->cmd;
	/*
	 * DEFER: a buffer made ahead is taken after the reply, while the
	 * caller is being woken up (heap_replied()); others are made now.
	 */
	req->flags = (io->compat ? DMAHEAP_HELPER_ALLOC_COMPAT : 0) |
		     (h->charge ? DMAHEAP_HELPER_ALLOC_CHARGE : 0) |
		     (defer ? DMAHEAP_HELPER_ALLOC_DEFER : 0);
	req->node_major = major(h->node);
	req->node_minor = minor(h->node);
	/*
	 * The exporter name, as the kernel's heaps: the node's name, which
	 * fits (above). Copied, not printed: this runs on every allocation.
	 */
	strcpy(req->name, h->node_name);

	r = helper_alloc(h->helper_fd, req);
	if (r < 0) {
		ledger_cancel(h->ledger, cookie);
		return log_failure(h, caller, rq->len, "allocation failed", r);
	}
	req->comm[sizeof(req->comm) - 1] = '\0';
	/* Any process picks its name: no control bytes in logs and reports. */
	for (p = req->comm; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return 0;
}

static void who_of(const struct heap_fill *f, struct who *w)
{
	_Static_assert(sizeof(w->comm) > sizeof(f->comm), "fits");
	w->tgid = f->tgid;
	memcpy(w->comm, f->comm, sizeof(f->comm));
	w->comm[sizeof(f->comm)] = '\0';
}

/*
 * The helper's buffer @f in the ledger, counted to its process. Past
 * MaxBytesPerProcess=, or no memory to count a new process: refused (the
 * helper drops the buffer, or never makes it, and its release event
 * follows).
 */
static int commit(struct node *h, const struct caller *caller,
		  const struct heap_fill *f, uid_t user)
{
	struct who w;
	int r;

	r = ledger_commit(h->ledger, &h->cfg, f->cookie, f->id,
			  (pid_t)f->tgid, f->start, f->comm);
	if (r == 0)
		return 0;
	who_of(f, &w);
	if (r == -EDQUOT)
		return log_limit(h, caller, &w, f->len,
				 LIMIT_BYTES_PER_PROCESS, user);
	return log_failure_known(h, caller, &w, f->len, "out of memory", r);
}

/*
 * The policy of a buffer the helper was asked for first (a deferrable
 * one, ledger_open()): fs.file-max and the limits, then its commit, as
 * check_caller(), reserve() and commit() do for the others. Refused, it
 * leaves the ledger (or, refused at the commit, leaves it at its release).
 */
static int admit(struct node *h, const struct caller *caller,
		 const struct heap_fill *f)
{
	enum heap_limit limit;
	struct who w;
	uid_t user;
	int r;

	r = check_caller(h, caller, f->len, &user);
	if (r < 0) {
		ledger_cancel(h->ledger, f->cookie);
		return r;
	}
	if (policy_has_limits(&h->cfg))
		heap_drain_releases(h->helper_fd, h->ledger);
	r = ledger_count(h->ledger, &h->cfg, f->cookie, user, &limit);
	if (r == 0)
		return commit(h, caller, f, user);
	who_of(f, &w);
	/* Released already: its delivery ended, and it left the ledger. */
	if (r == -ESRCH)
		return log_failure_known(h, caller, &w, f->len,
					 f->pending ? "allocation dropped: the caller's ioctl ended before its buffer was made" :
					 "allocation dropped: the helper dropped the buffer before it was counted",
					 r);
	ledger_cancel(h->ledger, f->cookie);
	return log_refused(h, caller, &w, f->len, limit, user, r);
}

static void log_allocated(const struct node *h, const struct caller *caller,
			  const struct heap_fill *f)
{
	char what[40];
	struct who w;

	if (!log_debug_enabled())
		return;
	who_of(f, &w);
	snprintf(what, sizeof(what), "buffer %" PRIu64 " allocated", f->id);
	log_record_full(LOG_DEBUG, h, caller, &w, f->len, what, 0, NULL);
}

int heap_alloc(struct node *h, const struct caller *caller,
	       const struct heap_ioctl *io, struct dh_alloc_request *ret_req,
	       struct heap_fill *ret_fill)
{
	struct dmaheap_helper_alloc req = { 0 };
	struct dh_alloc_request rq;
	struct heap_fill f = { 0 };
	uid_t user = caller->uid;
	uint64_t cookie;
	bool defer;
	int r;

	ret_fill->pending = false;
	r = check_request(h, caller, io, &rq);
	if (r < 0)
		return r;
	if (r == 1)	/* a command that returns no fd: echoed */
		goto out;
	/*
	 * A deferrable buffer is asked of the helper first, its policy
	 * checked after the reply (heap_replied()), while the caller is woken
	 * up; any other is reserved before the helper allocates it.
	 */
	defer = deferrable(h, &rq);
	if (defer) {
		r = ledger_open(h->ledger, &h->cfg, rq.len, &cookie);
		if (r < 0)
			return log_failure(h, caller, rq.len, "out of memory",
					   r);
	} else {
		r = check_caller(h, caller, rq.len, &user);
		if (r == 0)
			r = reserve(h, caller, rq.len, user, &cookie);
		if (r < 0)
			return r;
	}
	r = helper_request(h, caller, io, &rq, cookie, defer, &req);
	if (r < 0)
		return r;

	f.id = req.id;
	f.cookie = cookie;
	f.len = rq.len;
	f.tgid = req.tgid;
	f.start = req.start_time;
	memcpy(f.comm, req.comm, sizeof(f.comm));	/* NUL-terminated */
	if (req.flags & DMAHEAP_HELPER_ALLOC_DEFERRED) {
		f.pending = true;
		*ret_fill = f;
		goto out;
	}
	/*
	 * Refused, the error reply makes the helper drop the buffer it
	 * queued for delivery, and its release event follows.
	 */
	r = defer ? admit(h, caller, &f) : commit(h, caller, &f, user);
	if (r < 0)
		return r;
	log_allocated(h, caller, &f);
out:
	*ret_req = rq;
	return 0;
}

void heap_reply_failed(struct node *h, struct heap_fill *fill)
{
	if (fill->pending)
		ledger_cancel(h->ledger, fill->cookie);
	fill->pending = false;
}

/*
 * The deferred buffer of @fill, once its policy passed; else the refusal,
 * which the caller's ioctl returns. Either way its delivery ends, and its
 * release event tells the ledger if it must: only the log is left.
 */
static void heap_fill(struct node *h, const struct caller *caller,
		      const struct heap_fill *fill)
{
	struct who w;
	int refused, r;

	if (h->fault == FAULT_FILL_DELAY)
		usleep(500 * 1000);
	refused = admit(h, caller, fill);
	r = helper_fill(h->helper_fd, fill->id, caller->tid, refused);
	if (r == 0 && !refused)
		log_allocated(h, caller, fill);
	/* A refusal is logged; its caller gone meanwhile changes nothing. */
	if (r == 0 || (refused && r == -ESRCH))
		return;
	who_of(fill, &w);
	if (refused)	/* the helper has no error FILL: the caller waits on */
		log_failure_known(h, caller, &w, fill->len,
				  "the helper did not take the refusal (FILL with an error)",
				  r);
	else
		log_failure_known(h, caller, &w, fill->len,
				  r == -ESRCH ? "allocation dropped: the caller's ioctl ended before its buffer was made" :
				  "allocation failed", r);
}

void heap_replied(struct node *h, const struct caller *caller,
		  const struct heap_fill *fill)
{
	if (fill->pending)
		heap_fill(h, caller, fill);
	if (!policy_has_limits(&h->cfg) &&
	    !(atomic_fetch_add(&replies_since_drain, 1) % DRAIN_EVERY))
		heap_drain_releases(h->helper_fd, h->ledger);
}
