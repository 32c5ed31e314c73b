/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The service manager's notification protocol (sd_notify(3)): READY=1,
 * STATUS=, STOPPING=1 to $NOTIFY_SOCKET. Nothing happens without one.
 */
#ifndef DMAHEAPD_NOTIFY_H
#define DMAHEAPD_NOTIFY_H

#include <stddef.h>

struct node;

/* Send @state ("READY=1\nSTATUS=..."); 0, or -errno if sending failed. */
int notify(const char *state);

/*
 * STATUS= for systemctl status: the names of @nodes and what is live, after
 * @prefix ("READY=1\n", or "").
 */
void notify_status(struct node *const *nodes, size_t n, const char *prefix);

#endif
