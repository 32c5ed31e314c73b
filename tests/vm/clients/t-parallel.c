// SPDX-License-Identifier: GPL-2.0
/*
 * A large allocation does not hold up a small one: while one thread
 * allocates 64 MiB buffers back to back, another allocates 4 KiB ones; the
 * small ones' median latency must stay well under the large ones' (a daemon
 * serving one request at a time makes them wait for a whole 64 MiB).
 */
#include <pthread.h>

#include "common.h"

#define SMALL_N	40

static int heap;
static volatile int stop;
static double big_total;
static int big_n;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *big(void *arg)
{
	while (!stop) {
		double t = now();
		int fd = heap_alloc(heap, 64 * MiB, O_RDWR | O_CLOEXEC);

		CHECK(fd >= 0, "64 MiB");
		big_total += now() - t;
		big_n++;
		close(fd);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	double small[SMALL_N], big_avg;
	pthread_t t;
	int i;

	heap = heap_open(O_RDWR);
	CHECK(pthread_create(&t, NULL, big, NULL) == 0, "thread");
	sleep_ms(50);
	for (i = 0; i < SMALL_N; i++) {
		double t0 = now();
		int fd = heap_alloc(heap, 4 * KiB, O_RDWR | O_CLOEXEC);

		CHECK(fd >= 0, "4 KiB");
		small[i] = now() - t0;
		close(fd);
		sleep_ms(5);
	}
	stop = 1;
	pthread_join(t, NULL);
	qsort(small, SMALL_N, sizeof(small[0]), cmp);
	big_avg = big_total / big_n;
	printf("4 KiB median %.2f ms, max %.2f ms, while 64 MiB took %.2f ms each (%d)\n",
	       small[SMALL_N / 2] * 1e3, small[SMALL_N - 1] * 1e3,
	       big_avg * 1e3, big_n);
	CHECK(small[SMALL_N / 2] < big_avg / 4,
	      "4 KiB allocations waited for the 64 MiB ones");
	return 0;
}
