// SPDX-License-Identifier: GPL-2.0
/*
 * 2 threads x 10000 allocations of random sizes on one heap fd (or
 * $DMAHEAPD_THREAD_ALLOCS each): every fd a thread gets is a fresh dma-buf
 * of the size that thread asked for, none is lost or shared, and nothing is
 * left when they are closed.
 */
#include <pthread.h>

#include "common.h"

#define PER_THREAD	10000
#define KEEP		16

static int heap;
static int per_thread = PER_THREAD;

struct worker {
	int id;
	int failures;
	char msg[256];
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned int seed = (unsigned int)w->id * 7919 + 1;
	int kept[KEEP], i, j;

	for (i = 0; i < KEEP; i++)
		kept[i] = -1;
	for (i = 0; i < per_thread; i++) {
		/* thread 0: 1-16 pages, thread 1: 17-32: a wrong fd shows */
		uint64_t len = 4096 * (1 + 16 * w->id + rand_r(&seed) % 16);
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

	if (getenv("DMAHEAPD_THREAD_ALLOCS"))
		per_thread = atoi(getenv("DMAHEAPD_THREAD_ALLOCS"));
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
	      helper_counter("fds_installed") - installed0 == 2 * per_thread,
	      "fds installed %lld", helper_counter("fds_installed") - installed0);
	close(heap);
	printf("2 threads x %d allocations of 1-32 pages: every fd right, none lost\n",
	       per_thread);
	return 0;
}
