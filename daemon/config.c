// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration defaults and the heap list. The configuration file parser
 * joins this file later; the rules here stay pure and unit tested.
 */
#include <errno.h>
#include <string.h>

#include "config.h"

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->helper_path = "/dev/" DMAHEAP_HELPER_DEVNAME;
	c->cuse_path = "/dev/cuse";
	c->dev_dir = "/dev";
}

int heap_name_check(const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (!len || len > DH_HEAP_NAME_MAX)
		return -EINVAL;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	for (p = name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("@._,+-", *p))
			continue;
		return -EINVAL;
	}
	return 0;
}

int config_add_heap(struct config *c, const char *name,
		    enum dmaheap_helper_kind kind)
{
	struct heap_config *h;
	size_t i;

	if (heap_name_check(name) < 0)
		return -EINVAL;
	for (i = 0; i < c->n_heaps; i++)
		if (!strcmp(c->heaps[i].name, name))
			return -EEXIST;
	if (c->n_heaps == DH_HEAPS_MAX)
		return -E2BIG;

	h = &c->heaps[c->n_heaps++];
	strcpy(h->name, name);
	h->kind = kind;
	return 0;
}

void config_finish(struct config *c)
{
	if (!c->n_heaps)
		config_add_heap(c, DH_DEFAULT_HEAP, DMAHEAP_HELPER_KIND_SYSTEM);
}
