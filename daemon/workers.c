// SPDX-License-Identifier: GPL-2.0
/*
 * The worker threads that serve the nodes' requests once every node is
 * ready, so that a 64 MiB allocation on one does not hold up a 4 KiB one
 * on another. Each worker waits on every session (the fds are non-blocking:
 * a worker that loses the race for a request reads EAGAIN) and answers each
 * request it reads after the helper call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "cuse.h"
#include "log.h"
#include "notify.h"
#include "workers.h"

/*
 * STATUS= is sent when the nodes are ready and then at most every
 * STATUS_INTERVAL seconds while requests come in: an idle daemon does not
 * wake up to refresh it.
 */
#define STATUS_INTERVAL	5

static void *worker(void *arg)
{
	struct workers *w = arg;
	struct epoll_event ev = { .events = EPOLLIN };
	void *bufs[DH_NODES_MAX] = { NULL };
	struct timespec now;
	uint64_t one = 1;
	size_t i = SIZE_MAX;	/* the node an error is blamed on: none */
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
	if (epoll_ctl(ep, EPOLL_CTL_ADD, w->stop_fd, &ev) < 0) {
		r = -errno;
		goto out_close;
	}
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	for (i = 0; i < w->n; i++) {
		ev.data.u64 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cuse_node_fd(w->nodes[i]),
			      &ev) < 0) {
			r = -errno;
			break;	/* the error is node i's */
		}
	}
	while (!r) {
		if (epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			i = SIZE_MAX;	/* no node's */
			break;
		}
		if (ev.data.u64 == UINT64_MAX)
			break;
		i = ev.data.u64;
		r = cuse_node_process(w->nodes[i], &bufs[i]);

		/* Coarse: no clock source read per request. */
		clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
		pthread_mutex_lock(&w->lock);
		if (now.tv_sec - w->status_time >= STATUS_INTERVAL) {
			w->status_time = now.tv_sec;
			notify_status(w->nodes, w->n, "");
		}
		pthread_mutex_unlock(&w->lock);
	}
out_close:
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

unsigned int workers_default(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < DH_THREADS_MIN_DEFAULT)
		return DH_THREADS_MIN_DEFAULT;
	return cpus > DH_THREADS_MAX_DEFAULT ? DH_THREADS_MAX_DEFAULT :
					       (unsigned int)cpus;
}

int workers_start(struct workers *w, struct node **nodes, size_t n,
		  unsigned int threads)
{
	int r;

	w->nodes = nodes;
	w->n = n;
	w->error = 0;
	w->error_node = SIZE_MAX;
	w->stop_fd = eventfd(0, EFD_CLOEXEC);
	w->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop_fd < 0 || w->done_fd < 0)
		return log_errno(LOG_ERR, -errno, "eventfd: %m");
	for (w->n_threads = 0; w->n_threads < threads; w->n_threads++) {
		r = pthread_create(&w->threads[w->n_threads], NULL, worker, w);
		if (r)
			return log_errno(LOG_ERR, -r, "cannot start a worker: %m");
	}
	return 0;
}

void workers_stop(struct workers *w)
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

int workers_error(struct workers *w, size_t *ret_node)
{
	int r;

	pthread_mutex_lock(&w->lock);
	r = w->error;
	*ret_node = w->error_node;
	pthread_mutex_unlock(&w->lock);
	return r;
}
