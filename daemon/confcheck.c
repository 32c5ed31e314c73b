// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration made ready for this machine before anything is opened
 * or created: the files read (unless --heap), user and group names looked
 * up, legacy node names found, the naming convention and the nodes already
 * in /dev/dma_heap checked, at start and on each reload.
 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cma.h"
#include "confcheck.h"
#include "conffile.h"
#include "kheap.h"
#include "log.h"
#include "macro.h"
#include "names.h"

void confcheck_warn(void *userdata, const char *msg)
{
	log_warning("%s", msg);
}

/* The node names already below DEV_DIR/dma_heap, in @names (freed by caller). */
static size_t existing_nodes(const char *dev_dir, char **names, size_t max)
{
	char path[4096];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/dma_heap", dev_dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max)
		if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)))
			n++;
	closedir(d);
	return n;
}

/* Is DEV_DIR/dma_heap/@name the kernel's node of the heap @name? */
static bool kernel_node_there(const char *dev_dir, const char *name)
{
	struct kheap_seen seen;

	kheap_look(dev_dir, KHEAP_SYSFS_DIR, name, &seen);
	return seen.node == KHEAP_NODE_KERNEL;
}

/*
 * ConditionCMA=yes heaps dropped, with a notice, where this kernel has no
 * default CMA area (@area NULL); an error if no heap is left to serve.
 */
static int drop_conditioned(struct config *c, const char *area,
			    struct config_diag *d)
{
	struct config_origin o = { 0 };
	size_t i = 0;

	if (area)
		return 0;
	while (i < c->n_heaps) {
		if (!c->heaps[i].condition_cma) {
			i++;
			continue;
		}
		o = c->heaps[i].condition_cma_origin;
		log_notice("heap \"%s\" not served: ConditionCMA=yes, and this kernel has no CMA area (no CmaTotal in /proc/meminfo)",
			   c->heaps[i].name);
		config_drop_heap(c, i);
	}
	if (!c->n_heaps)
		return config_fail(d, c, o,
				   "no heap to serve: each has ConditionCMA=yes, and this kernel has no CMA area");
	return 0;
}

/*
 * A LegacyNode=yes heap gets the default CMA area's legacy name @area as
 * alias (@area NULL: the kernel has no CMA area).
 */
static int add_legacy_nodes(struct config *c, const char *area,
			    struct config_diag *d)
{
	struct heap_config *h;
	struct heap_alias *a;
	size_t i;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		if (!h->legacy_node)
			continue;
		if (!area) {
			config_fail(d, c, h->legacy_node_origin,
				    "heap \"%s\": LegacyNode=yes, but this kernel has no CMA area, so there is no legacy name to serve",
				    h->name);
			return -ENOENT;
		}
		if (h->n_aliases == DH_ALIASES_MAX) {
			config_fail(d, c, h->legacy_node_origin,
				    "heap \"%s\": no room for its legacy node, at most %d aliases",
				    h->name, DH_ALIASES_MAX);
			return -E2BIG;
		}
		a = &h->aliases[h->n_aliases++];
		snprintf(a->name, sizeof(a->name), "%s", area);
		a->legacy = true;
		a->origin = h->legacy_node_origin;
	}
	return 0;
}

/*
 * The buffer of getpwnam_r() and getgrnam_r() holds the whole entry, a
 * group's member names too: 4 KiB holds nearly every one, and ERANGE asks
 * for more. A group from LDAP or AD (sssd) can have thousands of members,
 * "Domain Users" a hundred thousand at some 20 bytes each, so the buffer
 * doubles up to 16 MiB: it lives for one lookup, at start and reload, and
 * the bound only stops an NSS module that answers ERANGE for ever.
 */
#define NSS_BUF_FIRST	4096
#define NSS_BUF_MAX	(16 << 20)

/*
 * *@buf (NULL at first) freed and a new one twice *@size (NSS_BUF_FIRST at
 * first) in its place. -ERANGE beyond NSS_BUF_MAX, or -ENOMEM, *@buf freed.
 */
static int nss_buf_grow(char **buf, size_t *size)
{
	size_t next = *size ? *size * 2 : NSS_BUF_FIRST;

	free(*buf);
	*buf = NULL;
	if (next > NSS_BUF_MAX)
		return -ERANGE;
	*buf = malloc(next);
	if (!*buf)
		return -ENOMEM;
	*size = next;
	return 0;
}

static int lookup_user(const char *name, uint32_t *ret_id)
{
	struct passwd pw, *res;
	char *buf = NULL;
	size_t size = 0;
	int r;

	do {
		r = nss_buf_grow(&buf, &size);
		if (r < 0)
			return r;
		r = getpwnam_r(name, &pw, buf, size, &res);
	} while (r == ERANGE);
	free(buf);
	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	*ret_id = pw.pw_uid;
	return 0;
}

static int lookup_group(const char *name, uint32_t *ret_id)
{
	struct group gr, *res;
	char *buf = NULL;
	size_t size = 0;
	int r;

	do {
		r = nss_buf_grow(&buf, &size);
		if (r < 0)
			return r;
		r = getgrnam_r(name, &gr, buf, size, &res);
	} while (r == ERANGE);
	free(buf);
	if (r)
		return -r;
	if (!res)
		return -ENOENT;
	*ret_id = gr.gr_gid;
	return 0;
}

static bool is_own(const char *name, const char *const *own, size_t n_own)
{
	size_t i;

	for (i = 0; i < n_own; i++)
		if (!strcmp(name, own[i]))
			return true;
	return false;
}

/*
 * The kernel's nodes of the names of @c, under KernelHeaps=: one left aside
 * by a killed dmaheapd refused with keep, one that cannot be moved aside
 * with move. The rest (a node of another program, the kernel's under keep)
 * is for names_check_existing(), which suggests a name.
 */
static int check_kernel_nodes(const struct config *c, const char *const *own,
			      size_t n_own, struct config_diag *d)
{
	char node[DH_PATH_MAX * 2], aside[DH_PATH_MAX * 2];
	const struct heap_config *h;
	struct config_origin o;
	struct kheap_seen seen;
	const char *name;
	size_t i, a;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		for (a = 0; a <= h->n_aliases; a++) {
			name = a ? h->aliases[a - 1].name : h->name;
			o = a ? h->aliases[a - 1].origin : h->origin;
			if (is_own(name, own, n_own))
				continue;
			kheap_look(c->dev_dir, KHEAP_SYSFS_DIR, name, &seen);
			kheap_paths(c->dev_dir, name, node, aside, sizeof(node));
			switch (kheap_decide(c->kernel_heaps, &seen)) {
			case KHEAP_REFUSE_ASIDE:
				return config_fail(d, c, o,
						   "\"%s\": the kernel's node of that heap is at %s, left by a dmaheapd that was killed, and KernelHeaps=keep; put it back with dmaheapd --restore-kernel-nodes",
						   name, aside);
			case KHEAP_REFUSE_BLOCKED:
				return config_fail(d, c, o,
						   "\"%s\": the kernel's node %s cannot be moved aside: %s is there and is not the kernel's node; remove it",
						   name, node, aside);
			default:
				break;
			}
		}
	}
	return 0;
}

int confcheck_load(struct config *c, const struct options *o,
		   const char *const *own, size_t n_own, struct config_diag *d)
{
	char area[DH_HEAP_NAME_MAX + 1], *existing[256];
	uint64_t bytes;
	bool have_cma;
	size_t n, i, j;
	int r;

	if (!o->heaps) {
		r = config_load(c, o->config, d);
		if (r < 0)
			return r;
	}
	config_finish(c);
	/* -d wins over Debug=no in a file. */
	c->debug |= o->debug;

	r = config_resolve_ids(c, lookup_user, lookup_group, d);
	if (r < 0)
		return r;
	/* The default CMA area, read once for both. */
	have_cma = cma_default_area("/", area, sizeof(area), &bytes) == 0;
	r = drop_conditioned(c, have_cma ? area : NULL, d);
	if (r < 0)
		return r;
	r = add_legacy_nodes(c, have_cma ? area : NULL, d);
	if (r < 0)
		return r;
	r = names_check_config(c, d);
	if (r < 0)
		return r;

	r = check_kernel_nodes(c, own, n_own, d);
	if (r < 0)
		return r;

	n = existing_nodes(c->dev_dir, existing,
			   ARRAY_SIZE(existing));
	for (i = j = 0; i < n; i++) {
		if (is_own(existing[i], own, n_own) ||
		    (c->kernel_heaps == KERNEL_HEAPS_MOVE &&
		     kernel_node_there(c->dev_dir, existing[i])))
			free(existing[i]);
		else
			existing[j++] = existing[i];
	}
	r = names_check_existing(c, (const char *const *)existing, j, d);
	for (i = 0; i < j; i++)
		free(existing[i]);
	return r;
}
