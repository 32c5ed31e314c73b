/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ledger: every live buffer the daemon handed out (heap, size, owner,
 * time) and the bytes per heap, per uid and per process that the limits
 * are checked against. A buffer is reserved before the helper allocates
 * it, so concurrent allocations cannot pass a limit together, and leaves
 * when the helper reports its release. A process is its tgid and start
 * time, as the helper names it: a reused pid is another process. Thread
 * safe.
 */
#ifndef DMAHEAPD_LEDGER_H
#define DMAHEAPD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "config.h"

struct ledger_buffer {
	uint64_t cookie;	/* the daemon's name, given to the helper */
	uint64_t id;		/* the helper's, 0 until committed */
	uint64_t len;
	char heap[DH_HEAP_NAME_MAX + 1];
	uid_t uid;
	pid_t pid;		/* the process: 0 until known, */
	uint64_t start;		/* and its start (dmaheap_helper_alloc) */
	char comm[16];
	struct timespec time;	/* CLOCK_REALTIME of the reservation (open) */
	bool counted;		/* on its heap's and user's totals */
	bool committed;		/* the helper allocated it */
	bool released;		/* its release came before its count or commit */
	bool refused;		/* by ledger_commit(): counted until released */
	struct ledger_buffer *next;
};

struct ledger;

struct ledger *ledger_new(void);
void ledger_free(struct ledger *l);

/*
 * Reserve @len bytes on heap @h for @uid: 0 and the buffer's cookie, or
 * -ENOMEM and the limit it would pass in *@ret_limit. Every limit; of
 * MaxBytesPerProcess= only that one buffer is no larger: the process it
 * counts against is the one the helper names (ledger_commit()). The same
 * as ledger_open() and ledger_count().
 */
int ledger_reserve(struct ledger *l, const struct heap_config *h, uid_t uid,
		   uint64_t len, uint64_t *ret_cookie,
		   enum heap_limit *ret_limit);
/*
 * A buffer of @len on heap @h that the helper makes before the limits are
 * checked (one it defers): 0 and its cookie, on no total yet, or -ENOMEM.
 * Its release may come before ledger_count(): it is then kept, marked.
 */
int ledger_open(struct ledger *l, const struct heap_config *h, uint64_t len,
		uint64_t *ret_cookie);
/*
 * Check and count the bytes of @cookie, from ledger_open(), for @uid: 0;
 * -ENOMEM and the limit it would pass in *@ret_limit (_LIMIT_MAX: no
 * memory), the buffer still uncounted, for ledger_cancel(); -ESRCH if it
 * was released already (its delivery ended): it is gone from the ledger.
 */
int ledger_count(struct ledger *l, const struct heap_config *h,
		 uint64_t cookie, uid_t uid, enum heap_limit *ret_limit);
/*
 * The helper allocated it: its id, and the process as the helper saw it,
 * tgid @pid (0: none) started at @start (&dmaheap_helper_alloc.start_time),
 * whose MaxBytesPerProcess= of @h is checked now: -EDQUOT when this
 * buffer takes the process past it (the caller then answers ENOMEM, and
 * the helper drops the undelivered buffer); -ENOMEM when the process is
 * new and the daemon has no memory to count it. A refused buffer is in
 * no report and counts to no process, but stays on its heap's and user's
 * totals until ledger_release(): its pages exist until the helper drops
 * it. Else 0. Checked and counted under the same key, in one hold of the
 * lock.
 */
int ledger_commit(struct ledger *l, const struct heap_config *h,
		  uint64_t cookie, uint64_t id, pid_t pid, uint64_t start,
		  const char *comm);
/* The helper did not allocate it, or its caller was refused before counting. */
void ledger_cancel(struct ledger *l, uint64_t cookie);
/* The helper reports it released (possibly before ledger_commit()). */
void ledger_release(struct ledger *l, uint64_t cookie);

/* Live buffers and bytes of heap @name; of every heap if @name is NULL. */
void ledger_heap_usage(struct ledger *l, const char *name, uint64_t *ret_bytes,
		       uint64_t *ret_buffers);
/*
 * A copy of every live (committed, not released) buffer, for reports: the
 * count, and the array in *@ret (free() it), or -ENOMEM. Taken a slice of
 * the table at a time, so allocations are not held up for the whole copy:
 * a buffer allocated or released meanwhile may or may not be in it (no
 * buffer is in it twice).
 */
ssize_t ledger_snapshot(struct ledger *l, struct ledger_buffer **ret);

#endif
