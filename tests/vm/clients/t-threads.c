// SPDX-License-Identifier: GPL-2.0
/*
 * 2 threads x 1000 allocations on one heap fd: every fd a thread gets is a
 * fresh dma-buf of the size that thread asked for, none is lost or shared,
 * and nothing is left when they are closed.
 */
#include <pthread.h>

#include "common.h"

#define PER_THREAD	1000
#define KEEP		16

static int heap;

struct worker {
	int id;
	int failures;
	char msg[256];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	int kept[KEEP], i, j;

	for (i = 0; i < KEEP; i++)
		kept[i] = -1;
	for (i = 0; i < PER_THREAD; i++) {
		/* thread 0: 1-4 pages, thread 1: 5-8 pages */
		uint64_t len = 4096 * (1 + 4 * w->id + i % 4);
		int fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
		int slot = i % KEEP;

		if (fd < 0 || dmabuf_size(fd) != len) {
			snprintf(w->msg, sizeof(w->msg),
				 "thread %d, allocation %d: fd %d size %llu, want %llu",
				 w->id, i, fd,
				 fd < 0 ? 0ull : (unsigned long long)dmabuf_size(fd),
				 (unsigned long long)len);
			w->failures++;
			break;
		}
		/* The fds held now must all differ. */
		for (j = 0; j < KEEP; j++) {
			if (kept[j] == fd) {
				snprintf(w->msg, sizeof(w->msg),
					 "thread %d: fd %d handed out twice",
					 w->id, fd);
				w->failures++;
			}
		}
		if (kept[slot] >= 0)
			close(kept[slot]);
		kept[slot] = fd;
	}
	for (i = 0; i < KEEP; i++)
		if (kept[i] >= 0)
			close(kept[i]);
	return NULL;
}

int main(void)
{
	struct worker w[2] = { { .id = 0 }, { .id = 1 } };
	long long live0 = helper_counter("live_buffers");
	long long installed0 = helper_counter("fds_installed");
	int fds0, i;
	pthread_t t[2];

	heap = heap_open(O_RDWR);
	fds0 = count_fds();
	for (i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0, "thread");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < 2; i++)
		CHECK(!w[i].failures, "%s", w[i].msg);

	CHECK(count_fds() == fds0, "%d fds open, expected %d", count_fds(),
	      fds0);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	CHECK(!heap_is_ours() ||
	      helper_counter("fds_installed") - installed0 == 2 * PER_THREAD,
	      "fds installed %lld", helper_counter("fds_installed") - installed0);
	close(heap);
	printf("2 threads x %d allocations: every fd right, none lost\n",
	       PER_THREAD);
	return 0;
}
