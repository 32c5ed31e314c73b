// SPDX-License-Identifier: GPL-2.0
/* Deadlines on CLOCK_MONOTONIC, and waiting for an fd until one. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>

#include "deadline.h"

void deadline_in(struct timespec *deadline, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (long)(ms % 1000) * 1000000;
	if (deadline->tv_nsec >= 1000000000) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000;
	}
}

int deadline_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

int deadline_wait_fd_or(int fd, short events, const int *wake, size_t n_wake,
			const struct timespec *deadline)
{
	struct pollfd p[1 + DEADLINE_WAKE_MAX];
	size_t i;
	int r;

	if (n_wake > DEADLINE_WAKE_MAX)
		return -EINVAL;
	p[0] = (struct pollfd){ .fd = fd, .events = events };
	for (i = 0; i < n_wake; i++)
		p[i + 1] = (struct pollfd){ .fd = wake[i], .events = POLLIN };
	for (;;) {
		r = poll(p, 1 + n_wake, deadline_ms_left(deadline));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/*
		 * POLLIN only: a closed wake fd (POLLNVAL) wakes nobody, and
		 * is left out from now on: poll() would count it at once
		 * again. The wait goes on until the deadline.
		 */
		for (i = 1; i <= n_wake; i++) {
			if (p[i].revents & POLLIN)
				return -ECANCELED;
			if (p[i].revents & POLLNVAL)
				p[i].fd = -1;
		}
		if (p[0].revents)
			return 0;
	}
}

int deadline_wait_fd(int fd, short events, const struct timespec *deadline)
{
	return deadline_wait_fd_or(fd, events, NULL, 0, deadline);
}

bool deadline_woken(const int *wake, size_t n_wake)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return deadline_wait_fd_or(-1, 0, wake, n_wake, &now) == -ECANCELED;
}
