// SPDX-License-Identifier: GPL-2.0
/*
 * Reload's decision, pure: may the new configuration replace the running
 * one (reload_check()), and which served nodes stay, go and come
 * (reload_plan()). Unit-tested in tests/unit/test-reload.c.
 */
#include <errno.h>
#include <string.h>

#include "reloadplan.h"

static size_t heap_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_heaps; i++)
		if (!strcmp(c->heaps[i].name, name))
			return i;
	return RELOAD_REMOVE;
}

static const struct reload_node *find_node(const struct reload_node *nodes,
					   size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(nodes[i].name, name))
			return &nodes[i];
	return NULL;
}

/* A heap that stays keeps its kind and its memory. */
static int check_heaps(const struct config *old, const struct config *nc,
		       struct config_diag *d)
{
	const struct heap_config *o, *h;
	size_t i, k;

	for (i = 0; i < nc->n_heaps; i++) {
		h = &nc->heaps[i];
		k = heap_index(old, h->name);
		if (k == RELOAD_REMOVE)
			continue;
		o = &old->heaps[k];
		if (o->kind != h->kind || o->base != h->base ||
		    o->size != h->size || o->legacy_node != h->legacy_node)
			return config_fail(d, nc, h->origin,
					   "heap \"%s\": Kind=, Base=, Size= or LegacyNode= changed; those take a restart of dmaheapd",
					   h->name);
		/*
		 * On is marked by the reload's --mark-nodes; off would not
		 * be: udev's tags are sticky and logind's ACL on the node
		 * stays until the node is gone.
		 */
		if (o->seat_access && !h->seat_access)
			return config_fail(d, nc, h->seat_access_origin.line ?
					   h->seat_access_origin : h->origin,
					   "heap \"%s\": SeatAccess= turned off; that takes a restart of dmaheapd (udev's uaccess tag and logind's ACL stay on a node until it is gone)",
					   h->name);
	}
	return 0;
}

/* A node that moves from one heap to another is stopped first. */
static int check_nodes(const struct reload_node *nodes, size_t n,
		       const struct config *nc, struct config_diag *d)
{
	const struct reload_node *old;
	const struct heap_config *h;
	size_t i, a;

	for (i = 0; i < nc->n_heaps; i++) {
		h = &nc->heaps[i];
		for (a = 0; a <= h->n_aliases; a++) {
			old = find_node(nodes, n, heap_node_name(h, a));
			if (old && strcmp(old->heap, h->name))
				return config_fail(d, nc, h->origin,
						   "node \"%s\" moves from heap \"%s\" to heap \"%s\"; remove it in one reload and add it in the next",
						   old->name, old->heap, h->name);
		}
	}
	/* How many: names_check_config(), in confcheck_load() before. */
	return 0;
}

int reload_check(const struct config *old, const struct reload_node *nodes,
		 size_t n, const struct config *nc, struct config_diag *d)
{
	int r;

	r = check_heaps(old, nc, d);
	if (r < 0)
		return r;
	r = check_nodes(nodes, n, nc, d);
	if (r < 0)
		return r;
	if (nc->kernel_heaps != old->kernel_heaps)
		return config_fail(d, nc, nc->kernel_heaps_origin,
				   "KernelHeaps= changed to %s; that takes a restart of dmaheapd",
				   kernel_heaps_name(nc->kernel_heaps));
	if (nc->control_group.id != old->control_group.id ||
	    !nc->control_group.origin.line != !old->control_group.origin.line)
		return config_fail(d, nc, nc->control_group.origin,
				   "ControlGroup= changed; that takes a restart of dmaheapd");
	return 0;
}

void reload_plan(const struct reload_node *nodes, size_t n,
		 const struct config *nc, struct reload_plan *ret)
{
	const struct heap_config *hc;
	size_t i, h, a;

	ret->n_keep = ret->n_remove = ret->n_add = 0;
	for (i = 0; i < n; i++) {
		ret->keep[i].heap = RELOAD_REMOVE;
		h = heap_index(nc, nodes[i].heap);
		for (a = 0; h != RELOAD_REMOVE && a <= nc->heaps[h].n_aliases; a++)
			if (!strcmp(heap_node_name(&nc->heaps[h], a),
				    nodes[i].name)) {
				ret->keep[i] = (struct reload_place){ h, a };
				break;
			}
		if (ret->keep[i].heap == RELOAD_REMOVE)
			ret->n_remove++;
		else
			ret->n_keep++;
	}
	for (h = 0; h < nc->n_heaps; h++) {
		hc = &nc->heaps[h];
		for (a = 0; a <= hc->n_aliases; a++)
			if (!find_node(nodes, n, heap_node_name(hc, a)) &&
			    ret->n_add < DH_NODES_MAX)
				ret->add[ret->n_add++] = (struct reload_place){ h, a };
	}
}
