/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reload's decision, pure: whether a new configuration may replace the
 * running one, and which nodes it keeps, adds and removes.
 */
#ifndef DMAHEAPD_RELOADPLAN_H
#define DMAHEAPD_RELOADPLAN_H

#include <stddef.h>

#include "config.h"
#include "node.h"

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

#endif
