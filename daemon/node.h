/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A node: one /dev/dma_heap/NAME served, a heap's name or one of its
 * aliases. What it serves (its heap's configuration and helper kind) and its
 * CUSE session. node.c starts and stops it; heap.c serves its requests.
 */
#ifndef DMAHEAPD_NODE_H
#define DMAHEAPD_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "backing.h"
#include "config.h"

/* Nodes: a heap's name, its aliases and its legacy node. */
#define DH_NODES_MAX	(DH_HEAPS_MAX * 2)

struct fuse_session;
struct ledger;

struct node {
	struct heap_config cfg;
	const char *node_name;	/* cfg.name or one of its aliases */
	char *node_path;	/* /dev/dma_heap/NODE_NAME */
	int helper_fd;
	uint32_t helper_kind;	/* enum dmaheap_helper_kind serving cfg.kind */
	uint32_t region_id;	/* kind REGION: the helper's region */
	uint64_t max_len;	/* largest buffer the kind can give; 0: RAM */
	uint64_t page_size;
	enum fault fault;
	struct ledger *ledger;	/* shared by every node */
	bool charge;		/* ChargeClients=: charge the caller's memcg */
	/* KernelHeaps=move: the dev dir whose dma_heap-kernel/ holds the
	 * kernel's node of this name, to put back when the node goes; or NULL */
	const char *kernel_aside;
	/* CUSE side, owned by cuse.c */
	struct fuse_session *se;
	void *buf_mem;		/* the main thread's request buffer */
	bool ready;		/* CUSE initialised, node created */
	int node_errno;		/* stat() of the node once ready */
	dev_t node;		/* its device number */
};

/* A node of no heap yet, allocating through @helper_fd into ledger @l. */
struct node *node_new(int helper_fd, struct ledger *l);

/*
 * node_set() - point @h at heap @hc of @c, as its name (@alias 0) or its
 * alias @alias, served by @b. On a reload, a node that stays takes its
 * heap's new rules this way, in place.
 */
void node_set(struct node *h, const struct config *c,
	      const struct heap_config *hc, size_t alias,
	      const struct backing *b);

/*
 * node_start() - register the CUSE device dma_heap/NAME of @h
 *
 * Under KernelHeaps=move, the kernel's node of that name is moved aside
 * first. The node appears once the CUSE handshake is served (h->ready).
 * Return: 0, or a negative errno, logged with the fix.
 */
int node_start(struct node *h, const struct config *c);

/* Stop @h's session, put the kernel's node back, free @h (NULL: no-op). */
void node_free(struct node *h);

#endif
