// SPDX-License-Identifier: GPL-2.0
/*
 * Heap names as exporter names: a dma-buf's exp_name is the name of the
 * heap it came from, as the kernel's heaps give theirs. The dma-buf core
 * keeps the pointer for the buffer's life, so each name is kept once, for
 * as long as the module: it cannot be unloaded while a buffer lives.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dmaheap_helper.h"

/* Far more than the daemon's heaps and aliases, reloads included. */
#define DMAHP_NAMES_MAX	256

struct dmahp_name {
	struct list_head node;
	char name[];
};

static DEFINE_MUTEX(dmahp_names_lock);
static LIST_HEAD(dmahp_names);
static unsigned int dmahp_names_count;

/**
 * dmahp_name_get() - the kept copy of a heap's name
 * @name:	NUL terminated
 *
 * Return: a string equal to @name that lives until dmahp_names_exit(), or
 * NULL when no more names can be kept (the buffer then keeps its kind's).
 */
const char *dmahp_name_get(const char *name)
{
	struct dmahp_name *n;
	size_t len = strlen(name);

	mutex_lock(&dmahp_names_lock);
	list_for_each_entry(n, &dmahp_names, node)
		if (!strcmp(n->name, name))
			goto out_unlock;
	n = NULL;
	if (dmahp_names_count == DMAHP_NAMES_MAX) {
		pr_warn_once("more than %d heap names, later ones export under their kind's name\n",
			     DMAHP_NAMES_MAX);
		goto out_unlock;
	}
	n = kmalloc(struct_size(n, name, len + 1), GFP_KERNEL);
	if (!n)
		goto out_unlock;
	memcpy(n->name, name, len + 1);
	list_add(&n->node, &dmahp_names);
	dmahp_names_count++;
out_unlock:
	mutex_unlock(&dmahp_names_lock);
	return n ? n->name : NULL;
}

/**
 * dmahp_names_exit() - free every kept name
 *
 * Context: module exit: no buffer is left, so no dma-buf points to a name.
 */
void dmahp_names_exit(void)
{
	struct dmahp_name *n, *tmp;

	list_for_each_entry_safe(n, tmp, &dmahp_names, node)
		kfree(n);
	INIT_LIST_HEAD(&dmahp_names);
	dmahp_names_count = 0;
}
