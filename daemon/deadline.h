/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deadlines on CLOCK_MONOTONIC, and waiting for an fd until one: shared by
 * the daemon (control socket, reload) and dmaheapctl.
 */
#ifndef DMAHEAPD_DEADLINE_H
#define DMAHEAPD_DEADLINE_H

#include <time.h>

/* @ms milliseconds from now into @deadline. */
void deadline_in(struct timespec *deadline, int ms);
/* Milliseconds left until @deadline, at least 0. */
int deadline_ms_left(const struct timespec *deadline);
/* Waits for @events on @fd until @deadline: 0, -ETIMEDOUT or -errno. */
int deadline_wait_fd(int fd, short events, const struct timespec *deadline);

#endif
