/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deadlines on CLOCK_MONOTONIC, and waiting for an fd until one: shared by
 * the daemon (control socket, reload) and dmaheapctl.
 */
#ifndef DMAHEAPD_DEADLINE_H
#define DMAHEAPD_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* @ms milliseconds from now into @deadline. */
void deadline_in(struct timespec *deadline, int ms);
/* Milliseconds left until @deadline, at least 0. */
int deadline_ms_left(const struct timespec *deadline);
/* Waits for @events on @fd until @deadline: 0, -ETIMEDOUT or -errno. */
int deadline_wait_fd(int fd, short events, const struct timespec *deadline);

/* Fds that can end a wait early, at most: */
#define DEADLINE_WAKE_MAX	8
/*
 * deadline_wait_fd(), unless one of the @n_wake fds of @wake is readable
 * first (or already): then -ECANCELED. -EINVAL past DEADLINE_WAKE_MAX.
 */
int deadline_wait_fd_or(int fd, short events, const int *wake, size_t n_wake,
			const struct timespec *deadline);
/* Is one of the @n_wake fds of @wake readable now? */
bool deadline_woken(const int *wake, size_t n_wake);

#endif
