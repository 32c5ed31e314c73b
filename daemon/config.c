// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration defaults, the heap list and the rules between its keys.
 * Pure: conffile.c reads the files, names.c checks the names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "macro.h"

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->pool_size = DH_POOL_SIZE_DEFAULT;
	c->charge_clients = true;
	c->kernel_heaps = KERNEL_HEAPS_MOVE;
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

const char *heap_node_name(const struct heap_config *hc, size_t alias)
{
	return alias ? hc->aliases[alias - 1].name : hc->name;
}

struct heap_config *config_find_heap(struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_heaps; i++)
		if (!strcmp(c->heaps[i].name, name))
			return &c->heaps[i];
	return NULL;
}

void config_drop_heap(struct config *c, size_t i)
{
	if (i >= c->n_heaps)
		return;
	memmove(&c->heaps[i], &c->heaps[i + 1],
		(c->n_heaps - i - 1) * sizeof(c->heaps[0]));
	c->n_heaps--;
}

void heap_config_init(struct heap_config *h, const char *name)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->kind = HEAP_KIND_SYSTEM;
	for (i = 0; i < _LIMIT_MAX; i++)
		h->limits[i] = DH_NO_LIMIT;
}

/* Short: dmaheapctl reload prints it after the file, line and prefix. */
#define SEAT_ACCESS_WHY \
	"heap memory is not accounted in cgroup limits otherwise (why systemd gives heaps no uaccess)"

static const char *const limit_keys[] = {
	[LIMIT_BUFFER_SIZE] = "MaxBufferSize",
	[LIMIT_BYTES_PER_USER] = "MaxBytesPerUser",
	[LIMIT_BYTES_PER_PROCESS] = "MaxBytesPerProcess",
	[LIMIT_BYTES] = "MaxBytes",
};

const char *heap_limit_key(enum heap_limit l)
{
	return (size_t)l < _LIMIT_MAX ? limit_keys[l] : "unknown";
}

static int resolve_one(const struct config *c, struct config_id *id,
		       config_lookup_t lookup, const char *what,
		       struct config_diag *d)
{
	int r;

	if (id->resolved)
		return 0;
	r = lookup(id->name, &id->id);
	if (r == -ENOENT)
		return config_fail(d, c, id->origin, "no %s \"%s\" on this system",
				   what, id->name);
	if (r < 0)
		return config_fail(d, c, id->origin, "cannot look up %s \"%s\": %s",
				   what, id->name, strerror(-r));
	id->resolved = true;
	return 0;
}

int config_resolve_ids(struct config *c, config_lookup_t lookup_user,
		       config_lookup_t lookup_group, struct config_diag *d)
{
	struct heap_config *h;
	size_t i, j;
	int r;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		for (j = 0; j < h->n_allow_users; j++) {
			r = resolve_one(c, &h->allow_users[j], lookup_user,
					"user", d);
			if (r < 0)
				return r;
		}
		for (j = 0; j < h->n_allow_groups; j++) {
			r = resolve_one(c, &h->allow_groups[j], lookup_group,
					"group", d);
			if (r < 0)
				return r;
		}
	}
	if (c->control_group.origin.line)
		return resolve_one(c, &c->control_group, lookup_group, "group",
				   d);
	return 0;
}

int config_add_heap(struct config *c, const char *name, int kind)
{
	struct heap_config *h;

	if (heap_name_check(name) < 0)
		return -EINVAL;
	if (config_find_heap(c, name))
		return -EEXIST;
	if (c->n_heaps == DH_HEAPS_MAX)
		return -E2BIG;

	h = &c->heaps[c->n_heaps++];
	heap_config_init(h, name);
	h->kind = (enum heap_kind)kind;
	return 0;
}

void config_finish(struct config *c)
{
	if (c->n_heaps)
		return;
	config_add_heap(c, DH_DEFAULT_HEAP, HEAP_KIND_SYSTEM);
	c->heaps[0].origin.file = CONFIG_ORIGIN_DEFAULT;
}

static const char *const kind_names[] = {
	[HEAP_KIND_SYSTEM] = "system",
	[HEAP_KIND_CONTIGUOUS] = "contiguous",
	[HEAP_KIND_REGION] = "region",
};

const char *heap_kind_name(enum heap_kind kind)
{
	if ((size_t)kind < ARRAY_SIZE(kind_names))
		return kind_names[kind];
	return "unknown";
}

int heap_kind_from_string(const char *s, enum heap_kind *ret_kind)
{
	int i = name_index(kind_names, ARRAY_SIZE(kind_names), s);

	if (i < 0)
		return i;
	*ret_kind = (enum heap_kind)i;
	return 0;
}

static const char *const kernel_heaps_names[] = {
	[KERNEL_HEAPS_MOVE] = "move",
	[KERNEL_HEAPS_KEEP] = "keep",
};

const char *kernel_heaps_name(enum kernel_heaps k)
{
	if ((size_t)k < ARRAY_SIZE(kernel_heaps_names))
		return kernel_heaps_names[k];
	return "unknown";
}

int kernel_heaps_from_string(const char *s, enum kernel_heaps *ret)
{
	int i = name_index(kernel_heaps_names, ARRAY_SIZE(kernel_heaps_names),
			   s);

	if (i < 0)
		return i;
	*ret = (enum kernel_heaps)i;
	return 0;
}

/*
 * SeatAccess=yes gives the heap to whoever sits at the seat, as uaccess
 * does. systemd declined that for the kernel's heaps because their memory
 * is not accounted in cgroup limits (systemd PR 33738, issue 32662): here
 * it is, but only with ChargeClients=yes and a cap per user.
 */
static int seat_access_check(const struct config *c,
			     const struct heap_config *h,
			     struct config_diag *d)
{
	if (!h->seat_access)
		return 0;
	if (!c->charge_clients)
		return config_fail(d, c, h->seat_access_origin,
				   "SeatAccess=yes on heap \"%s\" needs ChargeClients=yes: " SEAT_ACCESS_WHY,
				   h->name);
	if (h->limits[LIMIT_BYTES_PER_USER] == DH_NO_LIMIT)
		return config_fail(d, c, h->seat_access_origin,
				   "SeatAccess=yes on heap \"%s\" needs a finite MaxBytesPerUser=: " SEAT_ACCESS_WHY,
				   h->name);
	return 0;
}

int config_check(const struct config *c, struct config_diag *d)
{
	const struct heap_config *h;
	size_t i;
	int r;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		r = seat_access_check(c, h, d);
		if (r < 0)
			return r;
		if (h->kind != HEAP_KIND_REGION && h->base_origin.line)
			return config_fail(d, c, h->base_origin,
					   "Base= is only for Kind=region heaps, heap \"%s\" is Kind=%s",
					   h->name, heap_kind_name(h->kind));
		if (h->kind != HEAP_KIND_REGION && h->size_origin.line)
			return config_fail(d, c, h->size_origin,
					   "Size= is only for Kind=region heaps, heap \"%s\" is Kind=%s",
					   h->name, heap_kind_name(h->kind));
		if (h->kind != HEAP_KIND_CONTIGUOUS &&
		    h->legacy_node_origin.line)
			return config_fail(d, c, h->legacy_node_origin,
					   "LegacyNode= is only for Kind=contiguous heaps, heap \"%s\" is Kind=%s",
					   h->name, heap_kind_name(h->kind));
		if (h->kind != HEAP_KIND_CONTIGUOUS &&
		    h->condition_cma_origin.line)
			return config_fail(d, c, h->condition_cma_origin,
					   "ConditionCMA= is only for Kind=contiguous heaps, heap \"%s\" is Kind=%s",
					   h->name, heap_kind_name(h->kind));
		if (h->kind != HEAP_KIND_REGION)
			continue;
		if (!h->base_origin.line || !h->size_origin.line)
			return config_fail(d, c, h->origin,
					   "Kind=region heap \"%s\" needs both Base= and Size=",
					   h->name);
		if (h->base + h->size < h->base)
			return config_fail(d, c, h->size_origin,
					   "heap \"%s\": Base=0x%" PRIx64 " plus Size=0x%" PRIx64 " is beyond the end of the address space",
					   h->name, h->base, h->size);
	}
	return 0;
}

int config_add_file(struct config *c, const char *path,
		    unsigned int *ret_file)
{
	if (strlen(path) >= DH_PATH_MAX)
		return -ENAMETOOLONG;
	if (c->n_files == DH_FILES_MAX)
		return -E2BIG;
	strcpy(c->files[c->n_files++], path);
	*ret_file = c->n_files;
	return 0;
}

const char *config_origin_file(const struct config *c, struct config_origin o)
{
	if (o.file == CONFIG_ORIGIN_DEFAULT)
		return "built-in default";
	if (!o.file || o.file > c->n_files)
		return "command line";
	return c->files[o.file - 1];
}

const char *config_origin_str(const struct config *c, struct config_origin o,
			      char *buf, size_t size)
{
	if (!o.file || o.file > c->n_files)
		snprintf(buf, size, "%s", config_origin_file(c, o));
	else
		snprintf(buf, size, "%s:%u", c->files[o.file - 1], o.line);
	return buf;
}

static __attribute__((format(printf, 5, 0))) void
diag_format(char *buf, size_t size, const struct config *c,
	    struct config_origin o, const char *fmt, va_list ap)
{
	char where[DH_PATH_MAX + 16];
	int n;

	n = snprintf(buf, size, "%s: ",
		     config_origin_str(c, o, where, sizeof(where)));
	if (n >= 0 && (size_t)n < size)
		vsnprintf(buf + n, size - n, fmt, ap);
}

int config_fail(struct config_diag *d, const struct config *c,
		struct config_origin o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_format(d->error, sizeof(d->error), c, o, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void config_warn(struct config_diag *d, const struct config *c,
		 struct config_origin o, const char *fmt, ...)
{
	char msg[DH_ERROR_MAX];
	va_list ap;

	d->n_warnings++;
	if (!d->warn)
		return;
	va_start(ap, fmt);
	diag_format(msg, sizeof(msg), c, o, fmt, ap);
	va_end(ap);
	d->warn(d->userdata, msg);
}
