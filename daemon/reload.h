/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reloading the configuration (SIGHUP, dmaheapctl reload): whether the new
 * configuration may replace the running one and which nodes it keeps, adds
 * and removes, decided by pure functions; reload() does it.
 */
#ifndef DMAHEAPD_RELOAD_H
#define DMAHEAPD_RELOAD_H

#include <stddef.h>

#include "config.h"
#include "node.h"

struct manager;

/* A served node, as the decision sees it: its name and its heap's. */
struct reload_node {
	const char *name;
	const char *heap;
};

/* A node of the new configuration: heap @heap's name @alias (0: its name). */
struct reload_place {
	size_t heap;
	size_t alias;
};

#define RELOAD_REMOVE	((size_t)-1)

struct reload_plan {
	/* Per served node, in order: its place now, or heap RELOAD_REMOVE. */
	struct reload_place keep[DH_NODES_MAX];
	size_t n_keep;		/* how many stay */
	size_t n_remove;	/* how many go */
	/* The new configuration's nodes that are not served yet, in order. */
	struct reload_place add[DH_NODES_MAX];
	size_t n_add;
};

/*
 * reload_check() - may @nc replace @old, whose @n nodes are @nodes?
 *
 * A heap that stays keeps its kind and its memory, a node does not move
 * from one heap to another, KernelHeaps= and ControlGroup= stay: changing
 * those needs a restart. Pure.
 *
 * Return: 0, or -EINVAL with the reason in @d.
 */
int reload_check(const struct config *old, const struct reload_node *nodes,
		 size_t n, const struct config *nc, struct config_diag *d);

/*
 * reload_plan() - which of @nodes stay (with their place in @nc), which
 * go, and which nodes of @nc are new. Pure; @nc passed reload_check().
 */
void reload_plan(const struct reload_node *nodes, size_t n,
		 const struct config *nc, struct reload_plan *ret);

/*
 * reload() - re-read the configuration and apply it
 *
 * New rules for new allocations, live buffers untouched, nodes of heaps
 * that stay kept, added ones created, removed ones gone. A configuration
 * that fails any check is rejected whole and the old one stays. The
 * workers stop for the switch: requests wait in the kernel meanwhile, none
 * is lost.
 *
 * Return: 0, or the error; the outcome is logged and kept in
 * m->reload_msg; m->fatal is set when nothing can be served any more.
 */
int reload(struct manager *m);

#endif
