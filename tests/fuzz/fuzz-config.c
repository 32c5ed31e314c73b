// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for dmaheapd.conf(5): daemon/conffile.c's parser with
 * drop-in merging, config.c's checks and names.c's naming rules, in the
 * daemon's order, without file I/O. Any broken promise abort()s.
 *
 * Input: the main file's text, then up to two drop-ins, separated by NUL
 * bytes (which a real file may not contain: confload.c refuses them).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "conffile.h"
#include "config.h"
#include "names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {
	"/etc/dmaheapd.conf",
	"/etc/dmaheapd.conf.d/10-first.conf",
	"/run/dmaheapd.conf.d/20-second.conf",
};

/* Node names a kernel may already have, for names_check_existing(). */
static const char *const existing[] = { "system", "reserved" };

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_msg(const char *msg)
{
	size_t n = strnlen(msg, DH_ERROR_MAX);

	check(n > 0 && n < DH_ERROR_MAX);
}

static void on_warning(void *userdata, const char *msg)
{
	check_msg(msg);
}

static void check_heap(const struct heap_config *h)
{
	size_t i;

	check(strnlen(h->name, sizeof(h->name)) < sizeof(h->name));
	check(h->name[0]);
	check(h->kind == HEAP_KIND_SYSTEM || h->kind == HEAP_KIND_CONTIGUOUS ||
	      h->kind == HEAP_KIND_REGION);
	check(h->n_aliases <= DH_ALIASES_MAX);
	for (i = 0; i < h->n_aliases; i++)
		check(strnlen(h->aliases[i].name, sizeof(h->aliases[i].name)) <
		      sizeof(h->aliases[i].name));
	if (h->kind == HEAP_KIND_REGION)
		check(h->size && !(h->base % DMAHEAP_HELPER_REGION_ALIGN) &&
		      !(h->size % DMAHEAP_HELPER_REGION_ALIGN) &&
		      h->base + h->size > h->base);
}

/* name_check() on @name, and name_suggest() gives a name that passes it. */
static void check_name(const char *name, const struct heap_config *h,
		       bool legacy)
{
	char msg[DH_ERROR_MAX], better[DH_HEAP_NAME_MAX + 1];
	int r;

	r = name_check(name, h->kind, h->base, legacy, msg, sizeof(msg));
	check(r == 0 || r == -EINVAL);
	if (r < 0)
		check_msg(msg);
	name_suggest(name, h->kind, h->base, better, sizeof(better));
	check(better[0]);
	check(heap_name_check(better) == 0);
	check(name_check(better, h->kind, h->base, false, msg,
			 sizeof(msg)) == 0);
}

/*
 * An error that ends in 'try "NAME"' offers a name that some heap of @c
 * may carry (the message does not say which heap it is for).
 */
static void check_error_suggestion(const struct config *c, const char *error)
{
	static const char try[] = "; try \"";
	char msg[DH_ERROR_MAX], better[DH_ERROR_MAX];
	size_t i, len = strlen(error), n;
	const char *p = NULL, *q;

	/* The last one: names quoted before it may contain anything. */
	for (q = strstr(error, try); q; q = strstr(q + 1, try))
		p = q;
	if (!p || len == DH_ERROR_MAX - 1)
		return;		/* no suggestion, or cut short */
	p += strlen(try);
	check(error + len > p && error[len - 1] == '"');
	n = error + len - 1 - p;
	memcpy(better, p, n);
	better[n] = '\0';
	check(heap_name_check(better) == 0);
	for (i = 0; i < c->n_heaps; i++)
		if (name_check(better, c->heaps[i].kind, c->heaps[i].base,
			       false, msg, sizeof(msg)) == 0)
			return;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_diag d = { .warn = on_warning };
	struct config *c;
	char *text, *part, *next;
	size_t i, j, n_files = 0;
	int r = 0;

	/* One NUL more than the input: every part is a C string. */
	text = malloc(size + 1);
	c = malloc(sizeof(*c));
	if (!text || !c)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	config_init(c);

	/* Like config_load_files(): each file in order, stop at an error. */
	for (part = text; part && n_files < 3; part = next) {
		next = memchr(part, '\0', text + size - part);
		next = next ? next + 1 : NULL;
		r = conffile_parse(c, files[n_files++], part, &d);
		check(r == 0 || r == -EINVAL || r == -E2BIG);
		if (r < 0)
			break;
	}
	if (r == 0) {
		r = config_check(c, &d);
		check(r == 0 || r == -EINVAL);
	}
	check(c->n_heaps <= DH_HEAPS_MAX);
	check(c->n_files == n_files);
	if (r < 0) {
		check_msg(d.error);
		goto out;
	}
	for (i = 0; i < c->n_heaps; i++)
		check_heap(&c->heaps[i]);

	/* Then as the daemon's confcheck_load(). */
	config_finish(c);
	check(c->n_heaps >= 1);
	for (i = 0; i < c->n_heaps; i++) {
		check_name(c->heaps[i].name, &c->heaps[i], false);
		for (j = 0; j < c->heaps[i].n_aliases; j++)
			check_name(c->heaps[i].aliases[j].name, &c->heaps[i],
				   c->heaps[i].aliases[j].legacy);
	}
	r = names_check_config(c, &d);
	check(r == 0 || r == -EINVAL);
	if (r < 0) {
		check_msg(d.error);
		check_error_suggestion(c, d.error);
		goto out;
	}
	r = names_check_existing(c, existing,
				 ARRAY_SIZE(existing), &d);
	check(r == 0 || r == -EEXIST);
	if (r < 0) {
		check_msg(d.error);
		check_error_suggestion(c, d.error);
	}
out:
	free(c);
	free(text);
	return 0;
}
