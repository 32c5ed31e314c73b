/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The worker threads serving requests once the nodes are ready. The main
 * thread keeps the signals and the control socket; release events are read
 * where the ledger is consulted and after every 64th reply
 * (heap_drain_releases(), heap_replied()). A reload stops the
 * workers, changes the nodes, and starts them again.
 */
#ifndef DMAHEAPD_WORKERS_H
#define DMAHEAPD_WORKERS_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "node.h"

/*
 * --threads: by default one per CPU, at least 2 (so a large allocation
 * never holds up a small one) and at most 8. More workers than CPUs cost
 * throughput: on 2 vCPUs, 2 client threads got 1.89x the allocations of
 * one with 2 workers, 1.53x with 4 (docs/performance.md).
 */
#define DH_THREADS_MAX	16
#define DH_THREADS_MIN_DEFAULT	2
#define DH_THREADS_MAX_DEFAULT	8

struct workers {
	struct node **nodes;
	size_t n;
	int stop_fd;		/* eventfd: written once to stop every worker */
	int done_fd;		/* eventfd: a worker saw its session end */
	int error;		/* the first session error, under lock */
	size_t error_node;	/* its node; SIZE_MAX: no node's */
	pthread_mutex_t lock;	/* error, status_time */
	time_t status_time;
	pthread_t threads[DH_THREADS_MAX];
	unsigned int n_threads;
};

#define WORKERS_INIT { .stop_fd = -1, .done_fd = -1, \
		       .lock = PTHREAD_MUTEX_INITIALIZER }

/* One per CPU, within DH_THREADS_MIN_DEFAULT and DH_THREADS_MAX_DEFAULT. */
unsigned int workers_default(void);

/*
 * workers_start() - @threads workers serving @nodes (@n of them)
 *
 * Return: 0, or a negative errno, logged; workers_stop() stops those that
 * started.
 */
int workers_start(struct workers *w, struct node **nodes, size_t n,
		  unsigned int threads);

/* Each worker finishes the request it is serving, then stops. */
void workers_stop(struct workers *w);

/*
 * The first session that ended under a worker (done_fd became readable):
 * its error, and the index of its node in @ret_node (SIZE_MAX when the
 * error is no node's: the worker could not make its epoll set); 0 if none
 * did.
 */
int workers_error(struct workers *w, size_t *ret_node);

#endif
