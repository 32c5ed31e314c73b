// SPDX-License-Identifier: GPL-2.0
/*
 * The ledger of live buffers: a hash of buffers by cookie and a hash of
 * byte totals by (heap, uid) and (heap, process), under one mutex. A
 * process is a (tgid, start time) pair: a buffer outliving its process
 * stays counted to it, not to the next process given its pid.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "policy.h"

#define BUFFER_BUCKETS	4096
#define TOTAL_BUCKETS	256
/* Records of released buffers kept for the next ones: no malloc per request. */
#define SPARE_MAX	256

enum total_type { TOTAL_HEAP, TOTAL_USER, TOTAL_PROCESS };

struct total {
	char heap[DH_HEAP_NAME_MAX + 1];
	enum total_type type;
	uint32_t id;		/* uid or pid; 0 for the heap */
	uint64_t start;		/* the process's start; 0 for the others */
	uint64_t bytes;
	uint64_t buffers;
	struct total *next;
};

struct ledger {
	pthread_mutex_t lock;
	uint64_t next_cookie;
	struct ledger_buffer *buffers[BUFFER_BUCKETS];
	struct total *totals[TOTAL_BUCKETS];
	struct ledger_buffer *spare;	/* a list through ->next */
	size_t n_spare;
};

struct ledger *ledger_new(void)
{
	struct ledger *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void ledger_free(struct ledger *l)
{
	struct ledger_buffer *b, *bn;
	struct total *t, *tn;
	size_t i;

	if (!l)
		return;
	for (i = 0; i < BUFFER_BUCKETS; i++)
		for (b = l->buffers[i]; b; b = bn) {
			bn = b->next;
			free(b);
		}
	for (i = 0; i < TOTAL_BUCKETS; i++)
		for (t = l->totals[i]; t; t = tn) {
			tn = t->next;
			free(t);
		}
	for (b = l->spare; b; b = bn) {
		bn = b->next;
		free(b);
	}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* FNV-1a over the heap name, then the type, id and start. */
static size_t total_hash(const char *heap, enum total_type type, uint32_t id,
			 uint64_t start)
{
	uint32_t h = 2166136261u;

	for (; *heap; heap++)
		h = (h ^ (unsigned char)*heap) * 16777619u;
	h = (h ^ type) * 16777619u;
	h = (h ^ id) * 16777619u;
	h = (h ^ (uint32_t)start) * 16777619u;
	h = (h ^ (uint32_t)(start >> 32)) * 16777619u;
	return h % TOTAL_BUCKETS;
}

static struct total **total_slot(struct ledger *l, const char *heap,
				 enum total_type type, uint32_t id,
				 uint64_t start)
{
	struct total **p = &l->totals[total_hash(heap, type, id, start)];

	for (; *p; p = &(*p)->next)
		if ((*p)->type == type && (*p)->id == id &&
		    (*p)->start == start && !strcmp((*p)->heap, heap))
			break;
	return p;
}

static struct total *total_find(struct ledger *l, const char *heap,
				enum total_type type, uint32_t id,
				uint64_t start)
{
	return *total_slot(l, heap, type, id, start);
}

/* Add (@sign 1) or take away (-1) one buffer of @len; -ENOMEM only adding. */
static int total_add(struct ledger *l, const char *heap, enum total_type type,
		     uint32_t id, uint64_t start, uint64_t len, int sign)
{
	struct total **p = total_slot(l, heap, type, id, start), *t = *p;

	if (!t) {
		if (sign < 0)
			return 0;
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		strcpy(t->heap, heap);
		t->type = type;
		t->id = id;
		t->start = start;
		*p = t;
	}
	if (sign > 0) {
		t->bytes += len;
		t->buffers++;
		return 0;
	}
	t->bytes -= len;
	if (!--t->buffers) {
		*p = t->next;
		free(t);
	}
	return 0;
}

/* One more buffer of @len on @t, found for its key before; a new total if NULL. */
static int total_add_found(struct ledger *l, struct total *t,
			   const char *heap, enum total_type type, uint32_t id,
			   uint64_t start, uint64_t len)
{
	if (!t)
		return total_add(l, heap, type, id, start, len, 1);
	t->bytes += len;
	t->buffers++;
	return 0;
}

static struct ledger_buffer **buffer_slot(struct ledger *l, uint64_t cookie)
{
	struct ledger_buffer **p = &l->buffers[cookie % BUFFER_BUCKETS];

	for (; *p; p = &(*p)->next)
		if ((*p)->cookie == cookie)
			break;
	return p;
}

int ledger_open(struct ledger *l, const struct heap_config *h, uint64_t len,
		uint64_t *ret_cookie)
{
	struct ledger_buffer *b;
	struct timespec now;

	/*
	 * Coarse: a buffer's age is shown in seconds, and where the clock
	 * source is not the TSC (hpet under qemu TCG) a precise read is a
	 * trap to the emulator on every allocation.
	 */
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	pthread_mutex_lock(&l->lock);
	b = l->spare;
	if (b) {
		l->spare = b->next;
		l->n_spare--;
	} else {
		b = malloc(sizeof(*b));
		if (!b) {
			pthread_mutex_unlock(&l->lock);
			return -ENOMEM;
		}
	}
	memset(b, 0, sizeof(*b));
	strcpy(b->heap, h->name);
	b->len = len;
	b->time = now;
	b->cookie = ++l->next_cookie;
	*ret_cookie = b->cookie;
	b->next = l->buffers[b->cookie % BUFFER_BUCKETS];
	l->buffers[b->cookie % BUFFER_BUCKETS] = b;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* Back on the spare list, or freed. */
static void buffer_put(struct ledger *l, struct ledger_buffer *b)
{
	if (l->n_spare < SPARE_MAX) {
		b->next = l->spare;
		l->spare = b;
		l->n_spare++;
	} else {
		free(b);
	}
}

/* Unlink *@p and take its bytes off every total. */
static void buffer_remove(struct ledger *l, struct ledger_buffer **p)
{
	struct ledger_buffer *b = *p;

	*p = b->next;
	if (b->counted) {
		total_add(l, b->heap, TOTAL_HEAP, 0, 0, b->len, -1);
		total_add(l, b->heap, TOTAL_USER, b->uid, 0, b->len, -1);
	}
	if (b->pid)
		total_add(l, b->heap, TOTAL_PROCESS, (uint32_t)b->pid,
			  b->start, b->len, -1);
	buffer_put(l, b);
}

int ledger_count(struct ledger *l, const struct heap_config *h,
		 uint64_t cookie, uid_t uid, enum heap_limit *ret_limit)
{
	struct policy_usage u = { 0 };
	struct total *heap_total, *user_total;
	struct ledger_buffer **p, *b;
	int r = -ENOMEM;

	*ret_limit = _LIMIT_MAX;
	pthread_mutex_lock(&l->lock);
	p = buffer_slot(l, cookie);
	b = *p;
	if (!b || b->counted) {
		r = b ? 0 : -ESRCH;
		goto out_unlock;
	}
	if (b->released) {
		buffer_remove(l, p);	/* uncounted: nothing off the totals */
		r = -ESRCH;
		goto out_unlock;
	}
	/* Each total looked up once, for the check and the count. */
	heap_total = total_find(l, b->heap, TOTAL_HEAP, 0, 0);
	user_total = total_find(l, b->heap, TOTAL_USER, uid, 0);
	u.heap = heap_total ? heap_total->bytes : 0;
	u.user = user_total ? user_total->bytes : 0;
	/* u.process: checked by ledger_commit(), when the helper named it */
	*ret_limit = policy_check_alloc(h, b->len, &u);
	if (*ret_limit != _LIMIT_MAX)
		goto out_unlock;
	if (total_add_found(l, heap_total, b->heap, TOTAL_HEAP, 0, 0,
			    b->len) < 0)
		goto out_unlock;
	if (total_add_found(l, user_total, b->heap, TOTAL_USER, uid, 0,
			    b->len) < 0) {
		total_add(l, b->heap, TOTAL_HEAP, 0, 0, b->len, -1);
		goto out_unlock;
	}
	b->uid = uid;
	b->counted = true;
	r = 0;
out_unlock:
	pthread_mutex_unlock(&l->lock);
	return r;
}

int ledger_reserve(struct ledger *l, const struct heap_config *h, uid_t uid,
		   uint64_t len, uint64_t *ret_cookie,
		   enum heap_limit *ret_limit)
{
	int r;

	*ret_limit = _LIMIT_MAX;
	r = ledger_open(l, h, len, ret_cookie);
	if (r < 0)
		return r;
	/* Not released yet: nobody else has its cookie. */
	r = ledger_count(l, h, *ret_cookie, uid, ret_limit);
	if (r < 0)
		ledger_cancel(l, *ret_cookie);
	return r;
}

int ledger_commit(struct ledger *l, const struct heap_config *h,
		  uint64_t cookie, uint64_t id, pid_t pid, uint64_t start,
		  const char *comm)
{
	struct ledger_buffer **p, *b;
	struct total *process;
	int r = 0;

	pthread_mutex_lock(&l->lock);
	p = buffer_slot(l, cookie);
	b = *p;
	if (!b || b->committed || b->refused)
		goto out_unlock;
	if (b->released) {
		buffer_remove(l, p);
		goto out_unlock;
	}
	if (pid) {
		process = total_find(l, b->heap, TOTAL_PROCESS, (uint32_t)pid,
				     start);
		if (policy_process_over(h, b->len,
					process ? process->bytes : 0)) {
			b->refused = true;
			r = -EDQUOT;
			goto out_unlock;
		}
		/* Adding to a total that exists cannot fail; a new one can. */
		r = total_add_found(l, process, b->heap, TOTAL_PROCESS,
				    (uint32_t)pid, start, b->len);
		if (r < 0) {
			/* Uncounted, no later buffer would meet its limit. */
			b->refused = true;
			goto out_unlock;
		}
		b->pid = pid;
		b->start = start;
	}
	b->committed = true;
	b->id = id;
	strncpy(b->comm, comm, sizeof(b->comm) - 1);
out_unlock:
	pthread_mutex_unlock(&l->lock);
	return r;
}

void ledger_cancel(struct ledger *l, uint64_t cookie)
{
	struct ledger_buffer **p;

	pthread_mutex_lock(&l->lock);
	p = buffer_slot(l, cookie);
	if (*p)
		buffer_remove(l, p);
	pthread_mutex_unlock(&l->lock);
}

void ledger_release(struct ledger *l, uint64_t cookie)
{
	struct ledger_buffer **p;

	pthread_mutex_lock(&l->lock);
	p = buffer_slot(l, cookie);
	if (*p && !(*p)->committed && !(*p)->refused)
		(*p)->released = true;	/* ledger_commit() removes it */
	else if (*p)
		buffer_remove(l, p);
	pthread_mutex_unlock(&l->lock);
}

void ledger_heap_usage(struct ledger *l, const char *name, uint64_t *ret_bytes,
		       uint64_t *ret_buffers)
{
	struct total *t;
	size_t i;

	*ret_bytes = *ret_buffers = 0;
	pthread_mutex_lock(&l->lock);
	if (name) {
		t = *total_slot(l, name, TOTAL_HEAP, 0, 0);
		*ret_bytes = t ? t->bytes : 0;
		*ret_buffers = t ? t->buffers : 0;
		goto out_unlock;
	}
	for (i = 0; i < TOTAL_BUCKETS; i++) {
		for (t = l->totals[i]; t; t = t->next) {
			if (t->type != TOTAL_HEAP)
				continue;
			*ret_bytes += t->bytes;
			*ret_buffers += t->buffers;
		}
	}
out_unlock:
	pthread_mutex_unlock(&l->lock);
}

/*
 * Buckets copied under one hold of the lock: a report of many buffers
 * lets allocations in between (64 holds for the 4096 buckets), instead of
 * one hold for the whole copy and its malloc().
 */
#define SNAPSHOT_BUCKETS	64

ssize_t ledger_snapshot(struct ledger *l, struct ledger_buffer **ret)
{
	struct ledger_buffer *b, *out = NULL, *grown;
	size_t n = 0, cap = 0, need, i, end, k;

	for (i = 0; i < BUFFER_BUCKETS; i = end) {
		end = i + SNAPSHOT_BUCKETS;
		pthread_mutex_lock(&l->lock);
		for (need = 0, k = i; k < end; k++)
			for (b = l->buffers[k]; b; b = b->next)
				need += b->committed;
		if (n + need > cap) {
			/* grow without the lock, then count these buckets again */
			pthread_mutex_unlock(&l->lock);
			cap = 2 * (n + need) > 64 ? 2 * (n + need) : 64;
			grown = realloc(out, cap * sizeof(*out));
			if (!grown) {
				free(out);
				return -ENOMEM;
			}
			out = grown;
			end = i;
			continue;
		}
		for (k = i; k < end; k++)
			for (b = l->buffers[k]; b; b = b->next)
				if (b->committed) {
					out[n] = *b;
					out[n++].next = NULL;
				}
		pthread_mutex_unlock(&l->lock);
	}
	if (!n) {
		free(out);
		out = NULL;
	}
	*ret = out;
	return (ssize_t)n;
}
