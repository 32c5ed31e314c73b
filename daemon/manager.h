/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager: everything the main thread owns. It starts the helper, the
 * control socket and the nodes, runs the event loop (signals, control
 * requests, the workers' end) and stops it all.
 */
#ifndef DMAHEAPD_MANAGER_H
#define DMAHEAPD_MANAGER_H

#include <stddef.h>
#include <time.h>

#include "config.h"
#include "dmaheap-helper.h"
#include "node.h"
#include "options.h"
#include "workers.h"

struct control;
struct ledger;

struct manager {
	const struct options *opts;
	struct config *c;
	struct dmaheap_helper_info info;
	int helper_fd;
	int sig_fd;
	struct node *nodes[DH_NODES_MAX];
	size_t n;
	struct ledger *ledger;
	struct workers w;
	struct control *ctl;
	/*
	 * What ends any wait on a control client: a signal, a failed worker.
	 * Read through this array, so a reload during a request (new
	 * workers, a new done_fd) updates it for the rest of the batch.
	 */
	int wake[2];
	time_t loaded_at;		/* CLOCK_REALTIME of the last (re)load */
	unsigned int reloads;
	int fatal;			/* a reload left no way to serve */
	char reload_msg[DH_ERROR_MAX + 256];	/* what the last reload did */
};

/*
 * manager_new() - a manager for @o, taking @c: the configuration the
 * command line began (--heap, paths), to be completed by manager_start().
 * NULL when out of memory (@c is freed).
 */
struct manager *manager_new(const struct options *o, struct config *c);

/*
 * manager_start() - the configuration loaded and checked, then the
 * signals, the helper, its pool, the control socket and the nodes
 * Return: 0, or a negative errno, logged; manager_free() undoes the rest.
 */
int manager_start(struct manager *m);

/*
 * manager_run() - serve until SIGTERM or SIGINT, or until a session ends
 * Return: 0 after a signal, or the negative errno that ended it, logged.
 */
int manager_run(struct manager *m);

/* Nodes stopped, the kernel's nodes put back, everything closed. */
void manager_free(struct manager *m);

/*
 * manager_wait_ready() - until each of @nodes is ready, this thread
 * serves the CUSE handshakes, at most @timeout_ms (-1: no limit) in all
 * Return: 0, 1 for a signal that stops the daemon (before the first
 * READY=1 only), or a negative errno, logged.
 */
int manager_wait_ready(struct manager *m, struct node **nodes, size_t n,
		       int timeout_ms);

/*
 * manager_list_nodes() - the nodes' list beside the control socket, which
 * dmaheapd --mark-nodes reads to mark them for udev (docs/udev.md), before
 * each READY=1. Not fatal: the nodes are served, and stay root's until
 * marked.
 */
void manager_list_nodes(struct manager *m);

#endif
