/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The service manager's notification protocol (sd_notify(3)): READY=1,
 * STATUS=, STOPPING=1 to $NOTIFY_SOCKET. Nothing happens without one.
 */
#ifndef DMAHEAPD_NOTIFY_H
#define DMAHEAPD_NOTIFY_H

/* Send @state ("READY=1\nSTATUS=..."); 0, or -errno if sending failed. */
int notify(const char *state);

#endif
