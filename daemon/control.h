/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: dmaheapctl sends one request line, the daemon answers
 * "OK\n" and a payload, or "ERR <ERRNONAME> <message>\n", and closes
 * (docs/control.md). This module owns the socket, the access check and the
 * framing; what a request means is the handler's business.
 */
#ifndef DMAHEAPD_CONTROL_H
#define DMAHEAPD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define DH_CONTROL_DIR		"/run/dmaheapd"
#define DH_CONTROL_PATH		DH_CONTROL_DIR "/control"

/* A request line, its "\n" included. */
#define DH_CONTROL_LINE_MAX	1024
/* Words of a request line. */
#define DH_CONTROL_ARGS_MAX	16
/* How long a client may take to send its request, and each reply write. */
#define DH_CONTROL_TIMEOUT_MS	1000
/* Connections served by one control_handle() call; the rest wait for the next. */
#define DH_CONTROL_BATCH	32
/* No accept() for this long after one failed for want of fds or memory. */
#define DH_CONTROL_PAUSE_MS	1000

struct control;

/*
 * Called for one request of an allowed peer: writes the payload to @out and
 * returns 0, or returns a negative errno with a one-line message in @err
 * (then @out is discarded). @argc may be 0 for an empty line.
 */
typedef int (*control_handler_t)(void *userdata, int argc, char **argv,
				 FILE *out, char *err, size_t err_size);

/*
 * Creates the directory of @path if missing and binds a listening socket
 * at @path, replacing a stale one. @group may connect: socket 0660
 * root:@group, directory 0750; (gid_t)-1 means root only: 0600 and 0700.
 * Returns 0 or a negative errno, and logs nothing: -EPERM when the socket
 * or the directory must be given to @group and chown() is not allowed
 * (no CAP_CHOWN, or a seccomp filter: docs/systemd-unit.md), -EEXIST when
 * something else than a socket is at @path, -ENAMETOOLONG.
 */
int control_open(const char *path, gid_t group, struct control **ret);

/*
 * The listening socket, to poll for POLLIN; -1 while accepting is paused
 * (control_timeout_ms()).
 */
int control_fd(const struct control *c);

/*
 * -1, or while accepting is paused, the milliseconds until it goes on: a
 * poll() timeout. It pauses for DH_CONTROL_PAUSE_MS when accept() fails
 * for want of fds or memory, which leaves the connection pending and the
 * socket readable: polled at once again, it would spin.
 */
int control_timeout_ms(const struct control *c);

/*
 * Accepts and serves the pending connections, one after the other, at most
 * DH_CONTROL_BATCH of them (the socket stays readable for the rest). Each
 * costs at most about DH_CONTROL_TIMEOUT_MS of waiting on the client, plus
 * the handler's time. As soon as one of the @n_wake fds of @wake is
 * readable (the caller's signalfd, its workers' eventfd), every wait on a
 * client ends: the connection being served is dropped without a reply,
 * and control_handle() returns, the rest left pending for the next call.
 */
void control_handle(struct control *c, const int *wake, size_t n_wake,
		    control_handler_t handler, void *userdata);

/* Closes and unlinks the socket; NULL is fine. */
void control_close(struct control *c);

/*
 * Root may always connect; anyone else when @gid or one of @groups is
 * @control_gid, and @control_gid is not (gid_t)-1.
 */
bool control_peer_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t n,
			  gid_t control_gid);

/*
 * Splits @line (NUL-terminated, no "\n") in place into at most @max words
 * at spaces. Returns the number of words, or -E2BIG if there are more.
 */
int control_split(char *line, char **argv, int max);

#endif
