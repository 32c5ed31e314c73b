// SPDX-License-Identifier: GPL-2.0
/*
 * Allocations under a storm of handled signals: SIGALRM every 500 us
 * (SA_RESTART, a handler that only counts), as a profiler, a Go runtime
 * or a timer-driven application has. Many ioctls then return with a
 * signal pending, and the helper installs the fd while the kernel is
 * about to deliver it (on arm64 after the syscall was "forgotten" for
 * restarting). Each ioctl that returns 0 must have put a dma-buf of the
 * asked size in the struct; an error may only be EINTR. Nothing may be
 * left behind.
 */
#include <sys/time.h>

#include "common.h"

/* At least ROUNDS allocations and SIGNALS signals, at most LIMIT_S seconds. */
#define ROUNDS	400
#define SIGNALS	200
#define LIMIT_S	30
#define LEN	(16 * KiB)

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 500 }, { 0, 500 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	long long live0 = heap_is_ours() ? helper_counter("live_buffers") : 0;
	int heap = heap_open(O_RDONLY);
	time_t deadline = time(NULL) + LIMIT_S;
	int i, ok = 0, eintr = 0;

	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction");
	CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
	/* A fast heap (the kernel's) may do ROUNDS before SIGNALS arrive. */
	for (i = 0; (i < ROUNDS || alarms < SIGNALS) && time(NULL) < deadline; i++) {
		struct dma_heap_allocation_data d = {
			.len = LEN, .fd_flags = O_RDWR | O_CLOEXEC,
		};

		if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0) {
			CHECK(errno == EINTR, "allocation %d failed", i);
			eintr++;
			continue;
		}
		/* fd 0 as it went in would be stdin: a buffer we do not have. */
		CHECK(d.fd > 2, "allocation %d returned 0 with fd %u", i, d.fd);
		CHECK(dmabuf_size((int)d.fd) == LEN, "allocation %d: fd %u is not a %llu-byte dma-buf",
		      i, d.fd, LEN);
		check_exp_name((int)d.fd);
		close((int)d.fd);
		ok++;
	}
	CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0, "setitimer off");
	close(heap);
	printf("t-signal: %d allocations, %d EINTR, under %d SIGALRMs\n", ok, eintr,
	       (int)alarms);
	CHECK(alarms >= SIGNALS && i >= ROUNDS, "%d allocations and %d signals in %d s: the storm did not happen",
	      i, (int)alarms, LIMIT_S);
	if (heap_is_ours())
		CHECK(wait_live_buffers(live0, 5000) == live0, "live_buffers not back to %lld", live0);
	return 0;
}
