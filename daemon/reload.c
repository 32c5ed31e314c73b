// SPDX-License-Identifier: GPL-2.0
/*
 * Reloading the configuration: reload() reads the new one, asks
 * reloadplan.c what to keep, add and remove, and does it to the running
 * nodes with the workers stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backing.h"
#include "confcheck.h"
#include "log.h"
#include "manager.h"
#include "notify.h"
#include "reload.h"

/* New nodes get this long for their CUSE handshake. */
#define RELOAD_READY_MS	10000

/*
 * The new configuration read, checked, its heaps' memory set up and the
 * pool sized, into *@ret_nc with its backings in @b and the plan in @p.
 *
 * Whole or not at all: every check comes before the first change to the
 * helper. Its changes are the regions claimed and the pool sized, in that
 * order, and only a region cannot be undone: the helper has no call to
 * release one, it stays claimed until the module is unloaded (region.c).
 * So the pool is checked first (backing_pool_check(), the helper's own
 * bound) and sized last, when it can only fail in ways that check cannot
 * foresee (RAM unplugged in between). What is left: a heap's region
 * refused after an earlier new heap's was claimed in the same reload; what
 * the helper refuses only it can tell, by claiming. That claim stays:
 * claiming the same range again finds it, an overlapping one is refused
 * (docs/heap-kinds.md). Nothing after prepare() rejects the reload: a new
 * node that fails is dropped from a configuration that is in force.
 */
static int prepare(struct manager *m, struct config **ret_nc,
		   struct backing *b, struct reload_plan *p,
		   struct config_diag *d)
{
	struct reload_node nodes[DH_NODES_MAX];
	const char *own[DH_NODES_MAX];
	struct config *nc;
	size_t i;
	int r;

	nc = malloc(sizeof(*nc));
	if (!nc) {
		snprintf(d->error, sizeof(d->error), "out of memory");
		return -ENOMEM;
	}
	config_init(nc);
	nc->helper_path = m->c->helper_path;
	nc->cuse_path = m->c->cuse_path;
	nc->dev_dir = m->c->dev_dir;
	nc->fault = m->c->fault;
	for (i = 0; i < m->n; i++) {
		own[i] = nodes[i].name = m->nodes[i]->node_name;
		nodes[i].heap = m->nodes[i]->cfg.name;
	}
	*ret_nc = nc;
	r = confcheck_load(nc, m->opts, own, m->n, d);
	if (r == 0)
		r = reload_check(m->c, nodes, m->n, nc, d);
	if (r == 0 && (r = backing_pool_check(nc)) < 0)
		snprintf(d->error, sizeof(d->error),
			 "the pool cannot be sized (see above)");
	if (r == 0 && (r = backing_resolve(nc, &m->info, m->helper_fd, b)) < 0)
		snprintf(d->error, sizeof(d->error),
			 "a heap's memory cannot be set up (see above)");
	if (r == 0 && (r = backing_pool(nc, m->helper_fd)) < 0)
		snprintf(d->error, sizeof(d->error),
			 "the pool cannot be sized (see above)");
	if (r == 0)
		reload_plan(nodes, m->n, nc, p);
	return r;
}

/* Nodes that stay take the new rules, in place, into @keep; the rest go. */
static void keep_nodes(struct manager *m, const struct config *nc,
		       const struct backing *b, const struct reload_plan *p,
		       struct node **keep)
{
	const struct reload_place *k;
	size_t i, n = 0;

	for (i = 0; i < m->n; i++) {
		k = &p->keep[i];
		if (k->heap == RELOAD_REMOVE) {
			log_info("%s: removed", m->nodes[i]->node_path);
			node_free(m->nodes[i]);
			continue;
		}
		node_set(m->nodes[i], nc, &nc->heaps[k->heap], k->alias,
			 &b[k->heap]);
		keep[n++] = m->nodes[i];
	}
}

/*
 * New nodes: created now, serving once their handshake is done; those
 * that do not come up are dropped. How many serve; failures in *@failed.
 */
static size_t add_nodes(struct manager *m, const struct config *nc,
			const struct backing *b, const struct reload_plan *p,
			struct node **added, size_t *failed)
{
	const struct reload_place *a;
	size_t i, n = 0;
	struct node *h;

	for (i = 0; i < p->n_add; i++) {
		a = &p->add[i];
		h = node_new(m->helper_fd, m->ledger);
		if (!h) {
			log_error("node \"%s\": out of memory, not added",
				  heap_node_name(&nc->heaps[a->heap], a->alias));
			(*failed)++;
			continue;
		}
		node_set(h, nc, &nc->heaps[a->heap], a->alias, &b[a->heap]);
		if (node_start(h, nc) < 0) {
			node_free(h);
			(*failed)++;
			continue;
		}
		added[n++] = h;
	}
	/* The workers are stopped: this thread serves the handshakes. */
	if (manager_wait_ready(m, added, n, RELOAD_READY_MS) >= 0)
		return n;
	for (i = 0; i < n; i++) {
		if (added[i]->ready && !added[i]->node_errno)
			continue;
		node_free(added[i]);
		added[i--] = added[--n];
		(*failed)++;
	}
	return n;
}

/* The plan carried out, @nc in force; the workers start again. */
static int apply(struct manager *m, struct config *nc,
		 const struct backing *b, const struct reload_plan *p)
{
	struct node *keep[DH_NODES_MAX], *added[DH_NODES_MAX];
	size_t n_added, failed = 0;
	int r;

	workers_stop(&m->w);
	keep_nodes(m, nc, b, p, keep);
	n_added = add_nodes(m, nc, b, p, added, &failed);
	memcpy(m->nodes, keep, p->n_keep * sizeof(keep[0]));
	memcpy(m->nodes + p->n_keep, added, n_added * sizeof(added[0]));
	m->n = p->n_keep + n_added;

	free(m->c);
	m->c = nc;
	log_init(nc->debug);
	m->reloads++;
	m->loaded_at = time(NULL);
	snprintf(m->reload_msg, sizeof(m->reload_msg),
		 "configuration reloaded: %zu heaps, %zu nodes (%zu kept, %zu added, %zu removed)%s",
		 nc->n_heaps, m->n, p->n_keep, n_added, p->n_remove,
		 failed ? "; some new nodes failed, see the log" : "");
	log_info("%s", m->reload_msg);
	r = workers_start(&m->w, m->nodes, m->n, m->opts->threads);
	/* A control request that asked for this reload waits on these. */
	m->wake[1] = m->w.done_fd;
	if (r < 0) {
		/* Without workers nothing is served: stop, and let systemd restart. */
		snprintf(m->reload_msg, sizeof(m->reload_msg),
			 "no worker could be started after the reload: stopping");
		m->fatal = r;
		return r;
	}
	manager_list_nodes(m);
	notify_status(m->nodes, m->n, "READY=1\n");
	return 0;
}

int reload(struct manager *m)
{
	struct config_diag d = { .warn = confcheck_warn };
	struct backing b[DH_HEAPS_MAX];
	struct config *nc = NULL;
	struct reload_plan *p;
	int r;

	if (m->opts->heaps) {
		snprintf(m->reload_msg, sizeof(m->reload_msg),
			 "nothing to reload: the heaps come from --heap, not from configuration files");
		log_warning("%s", m->reload_msg);
		return -EINVAL;
	}
	notify("RELOADING=1");
	p = malloc(sizeof(*p));
	r = p ? prepare(m, &nc, b, p, &d) : -ENOMEM;
	if (!p)
		snprintf(d.error, sizeof(d.error), "out of memory");
	if (r == 0) {
		r = apply(m, nc, b, p);
		free(p);
		return r;
	}
	snprintf(m->reload_msg, sizeof(m->reload_msg),
		 "new configuration rejected, the old one stays in force: %s",
		 d.error);
	log_errno(LOG_ERR, r, "%s", m->reload_msg);
	free(nc);
	free(p);
	notify("READY=1");
	return r;
}
