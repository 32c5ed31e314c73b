// SPDX-License-Identifier: GPL-2.0
/*
 * A node's life: made for a heap name or alias, pointed at its heap's
 * configuration (again on each reload), started as a CUSE device with the
 * kernel's node of that name moved aside under KernelHeaps=move, and
 * stopped with the kernel's node put back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cuse.h"
#include "kheap.h"
#include "log.h"
#include "node.h"

struct node *node_new(int helper_fd, struct ledger *l)
{
	struct node *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->helper_fd = helper_fd;
	h->ledger = l;
	h->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	return h;
}

void node_set(struct node *h, const struct config *c,
	      const struct heap_config *hc, size_t alias,
	      const struct backing *b)
{
	h->cfg = *hc;
	h->node_name = heap_node_name(&h->cfg, alias);
	h->helper_kind = b->kind;
	h->region_id = b->region;
	h->max_len = b->max_len;
	h->fault = c->fault;
	h->charge = c->charge_clients;
}

/*
 * KernelHeaps=move: the kernel's node of @h's name to DEV/dma_heap-kernel/,
 * or found there already (left by a killed dmaheapd); either way put back
 * by node_free(). Anything else at the path is node_start()'s to refuse.
 */
static int kernel_node_aside(const struct config *c, struct node *h)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	struct kheap_seen seen;
	int r;

	if (c->kernel_heaps != KERNEL_HEAPS_MOVE)
		return 0;
	kheap_look(c->dev_dir, KHEAP_SYSFS_DIR, h->node_name, &seen);
	kheap_paths(c->dev_dir, h->node_name, node, aside, sizeof(node));
	switch (kheap_decide(c->kernel_heaps, &seen)) {
	case KHEAP_MOVE:
		r = kheap_move(c->dev_dir, h->node_name);
		if (r < 0)
			return log_errno(LOG_ERR, r,
					 "cannot move the kernel's node %s to %s: %m",
					 node, aside);
		log_notice("moved the kernel's node %s to %s while dmaheapd serves heap \"%s\"",
			   node, aside, h->node_name);
		break;
	case KHEAP_REUSE:
		log_notice("the kernel's node of heap \"%s\" is at %s already (a dmaheapd was killed): it stays there while dmaheapd serves %s",
			   h->node_name, aside, node);
		break;
	case KHEAP_REFUSE_BLOCKED:
		return log_errno(LOG_ERR, -EEXIST,
				 "cannot move the kernel's node %s aside: %s is there and is not the kernel's node",
				 node, aside);
	default:
		return 0;
	}
	h->kernel_aside = c->dev_dir;
	return 0;
}

/* The kernel's node of @h's name, if it is aside, back at its place. */
static void kernel_node_back(struct node *h)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	int r;

	if (!h->kernel_aside)
		return;
	kheap_paths(h->kernel_aside, h->node_name, node, aside, sizeof(node));
	r = kheap_put_back(h->kernel_aside, h->node_name);
	if (r < 0)
		log_errno(LOG_ERR, r,
			  "cannot put the kernel's node back from %s to %s: %m; dmaheapd --restore-kernel-nodes does it",
			  aside, node);
	else
		log_notice("put the kernel's node back: %s to %s", aside, node);
	h->kernel_aside = NULL;
}

int node_start(struct node *h, const struct config *c)
{
	struct stat st;
	int r;

	if (asprintf(&h->node_path, "%s/dma_heap/%s", c->dev_dir,
		     h->node_name) < 0) {
		h->node_path = NULL;
		return log_errno(LOG_ERR, -ENOMEM, "out of memory");
	}
	r = kernel_node_aside(c, h);
	if (r < 0)
		return r;
	if (stat(h->node_path, &st) == 0)
		return log_errno(LOG_ERR, -EEXIST,
				 "%s already exists: the kernel or another program serves heap \"%s\"; choose another name",
				 h->node_path, h->node_name);

	r = cuse_node_start(h, c->cuse_path);
	if (r == -ENOENT || r == -ENODEV || r == -ENXIO)
		return log_errno(LOG_ERR, r,
				 "cannot open %s: %m; load the CUSE module: modprobe cuse",
				 c->cuse_path);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot start CUSE for node \"%s\": %m",
				 h->node_name);
	return 0;
}

void node_free(struct node *h)
{
	if (!h)
		return;
	/*
	 * Over our node while it still exists: the path is never empty, and
	 * devtmpfs leaves the kernel's node alone when our device goes (it
	 * removes only a node with our device's number).
	 */
	kernel_node_back(h);
	cuse_node_stop(h);
	free(h->node_path);
	free(h);
}
