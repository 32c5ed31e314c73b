// SPDX-License-Identifier: GPL-2.0
/*
 * The heap naming convention: what a name may say, the one list of words it
 * must not say, uniqueness, and a better name to suggest. Pure.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "macro.h"
#include "names.h"
#include "node.h"

/* The rules, as dma-buf-heaps.rst words them. */
#define RULE_UNIQUE "The name must describe the memory region the heap will allocate from, and must uniquely identify it in a given platform."
#define RULE_IMPLEMENTATION "The name must not mention implementation details, such as the allocator."
#define RULE_PROPERTIES "The name should describe properties of the buffers that would be allocated."

#define SEPARATORS "-_@.,+"
#define TOKENS_MAX (DH_HEAP_NAME_MAX / 2 + 1)

const char *const name_implementation_words[] = {
	/* allocators */
	"cma", "carveout", "ion", "buddy", "genpool", "pool", "allocator",
	"vmalloc", "kmalloc", "slab", "memremap", "page", "pages", "chunk",
	/* this implementation */
	"helper", "dmaheapd", "cuse", "fuse",
	/* the mechanism rather than the memory */
	"dmabuf", "dma-buf", "udmabuf",
	NULL,
};

/* Names the kernel itself gives its heaps, whatever the list says. */
static const struct {
	const char *name;
	enum heap_kind kind;
} kernel_names[] = {
	{ "system", HEAP_KIND_SYSTEM },
	{ "default_cma_region", HEAP_KIND_CONTIGUOUS },
};

struct token {
	const char *s;
	size_t len;
	char sep;	/* the separator before it, 0 for the first */
};

static size_t tokenize(const char *s, struct token *t, size_t max)
{
	size_t n = 0, len;
	char sep = 0;

	while (*s && n < max) {
		if (strchr(SEPARATORS, *s)) {
			if (!sep && n)
				sep = *s;
			s++;
			continue;
		}
		len = strcspn(s, SEPARATORS);
		t[n++] = (struct token){ .s = s, .len = len, .sep = sep };
		sep = 0;
		s += len;
	}
	return n;
}

static bool token_is(const struct token *t, const char *word, size_t len)
{
	return t->len == len && !strncasecmp(t->s, word, len);
}

/* How many tokens from t[i] spell @word (itself split at separators). */
static size_t word_at(const struct token *t, size_t n, size_t i,
		      const char *word)
{
	struct token w[TOKENS_MAX];
	size_t nw, k;

	nw = tokenize(word, w, TOKENS_MAX);
	if (!nw || i + nw > n)
		return 0;
	for (k = 0; k < nw; k++)
		if (!token_is(&t[i + k], w[k].s, w[k].len))
			return 0;
	return nw;
}

/* The implementation word at t[i], its length in tokens in *ret_n. */
static const char *implementation_at(const struct token *t, size_t n,
				     size_t i, size_t *ret_n)
{
	const char *const *w;
	size_t m;

	for (w = name_implementation_words; *w; w++) {
		m = word_at(t, n, i, *w);
		if (m) {
			*ret_n = m;
			return *w;
		}
	}
	return NULL;
}

static bool is_kernel_name(const char *name, enum heap_kind kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kernel_names); i++)
		if (!strcmp(name, kernel_names[i].name) &&
		    kernel_names[i].kind == kind)
			return true;
	return false;
}

static bool may_say_contiguous(enum heap_kind kind)
{
	return kind == HEAP_KIND_CONTIGUOUS || kind == HEAP_KIND_REGION;
}

static bool is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static void append(char *out, const char *s, size_t len)
{
	size_t n = strlen(out);

	if (n + len > DH_HEAP_NAME_MAX)
		len = DH_HEAP_NAME_MAX - n;
	memcpy(out + n, s, len);
	out[n + len] = '\0';
}

/* One pass of name_suggest(): the words that break a rule dropped. */
static void suggest_once(const char *name, enum heap_kind kind,
			 char out[DH_HEAP_NAME_MAX + 1])
{
	static const char contiguous[] = "contiguous";
	char clean[DH_HEAP_NAME_MAX + 1];
	struct token t[TOKENS_MAX];
	bool has_contiguous = false;
	size_t n, i, m, len;
	char gap = 0;

	out[0] = '\0';
	/* Keep what may be in a node name, the rest becomes separators. */
	snprintf(clean, sizeof(clean), "%s", name);
	for (i = 0; clean[i]; i++)
		if (!is_alnum(clean[i]) && !strchr(SEPARATORS, clean[i]))
			clean[i] = '-';

	n = tokenize(clean, t, TOKENS_MAX);
	for (i = 0; i < n; i++) {
		m = 1;
		if (implementation_at(t, n, i, &m) ||
		    token_is(&t[i], "protected", 9) ||
		    (token_is(&t[i], contiguous, 10) &&
		     !may_say_contiguous(kind))) {
			if (*out && (!gap || t[i].sep == '@'))
				gap = t[i].sep;
			i += m - 1;
			continue;
		}
		/* over a removed word: its separator, "@" if it had one */
		if (gap && t[i].sep == '@')
			gap = '@';
		if (*out)
			append(out, gap ? &gap : &t[i].sep, 1);
		append(out, t[i].s, t[i].len);
		gap = 0;
		if (token_is(&t[i], contiguous, 10))
			has_contiguous = true;
	}
	if (!*out)
		strcpy(out, "memory");
	if (kind == HEAP_KIND_CONTIGUOUS && !has_contiguous) {
		len = strlen(out);
		if (len > DH_HEAP_NAME_MAX - 11)
			len = DH_HEAP_NAME_MAX - 11;
		while (len && strchr(SEPARATORS, out[len - 1]))
			len--;
		out[len] = '\0';
		append(out, "-", 1);
		append(out, contiguous, 10);
	}
}

void name_suggest(const char *name, enum heap_kind kind, uint64_t base,
		  char *buf, size_t size)
{
	char out[DH_HEAP_NAME_MAX + 1], prev[DH_HEAP_NAME_MAX + 1];
	unsigned int i;

	if (kind == HEAP_KIND_REGION) {
		snprintf(buf, size, "memory@%" PRIx64 "-contiguous", base);
		return;
	}
	/*
	 * A pass can make a word it would drop: dropping one joins two
	 * ("dma-cma-buf" to "dma-buf"), the cut to length shortens one
	 * ("pageant" to "page"). Again until nothing changes.
	 */
	suggest_once(name, kind, out);
	for (i = 0; i < DH_HEAP_NAME_MAX; i++) {
		memcpy(prev, out, sizeof(prev));
		suggest_once(prev, kind, out);
		if (!strcmp(out, prev))
			break;
	}
	if (i == DH_HEAP_NAME_MAX)	/* not seen; a name that passes */
		snprintf(out, sizeof(out), "%s", kind == HEAP_KIND_CONTIGUOUS ?
			 "memory-contiguous" : "memory");
	snprintf(buf, size, "%s", out);
}

int name_check(const char *name, enum heap_kind kind, uint64_t base,
	       bool legacy, char *ret_msg, size_t size)
{
	char better[DH_HEAP_NAME_MAX + 1];
	struct token t[TOKENS_MAX];
	const char *word;
	size_t n, i, m;

	name_suggest(name, kind, base, better, sizeof(better));
	if (heap_name_check(name) < 0) {
		snprintf(ret_msg, size,
			 "\"%.80s\" is not a valid node name: use 1 to %d letters, digits or @._,+- (not \".\" or \"..\"); try \"%s\"",
			 name, DH_HEAP_NAME_MAX, better);
		return -EINVAL;
	}
	n = tokenize(name, t, TOKENS_MAX);

	if (!strcmp(name, "default_cma_region") &&
	    kind != HEAP_KIND_CONTIGUOUS && !legacy) {
		snprintf(ret_msg, size,
			 "\"%s\" is the kernel's name for its heap of physically contiguous buffers, for a Kind=contiguous heap only, not Kind=%s: \"%s\"; try \"%s\"",
			 name, heap_kind_name(kind), RULE_UNIQUE, better);
		return -EINVAL;
	}
	if (!legacy && !is_kernel_name(name, kind)) {
		for (i = 0; i < n; i++) {
			word = implementation_at(t, n, i, &m);
			if (!word)
				continue;
			snprintf(ret_msg, size,
				 "\"%s\" mentions the allocator or the implementation (\"%s\"): \"%s\"; try \"%s\"",
				 name, word, RULE_IMPLEMENTATION, better);
			return -EINVAL;
		}
	}
	for (i = 0; i < n; i++) {
		if (token_is(&t[i], "protected", 9)) {
			snprintf(ret_msg, size,
				 "\"%s\" says \"protected\", for encrypted buffers not accessible to the OS, which no dmaheapd heap allocates: \"%s\"; try \"%s\"",
				 name, RULE_PROPERTIES, better);
			return -EINVAL;
		}
		if (token_is(&t[i], "contiguous", 10) &&
		    !may_say_contiguous(kind)) {
			snprintf(ret_msg, size,
				 "\"%s\" says \"contiguous\" but a Kind=%s heap is not physically contiguous: \"%s\"; try \"%s\"",
				 name, heap_kind_name(kind), RULE_PROPERTIES,
				 better);
			return -EINVAL;
		}
	}
	return 0;
}

struct named {
	const char *name;
	const char *key;	/* Name=, Alias=, LegacyAlias=, --heap */
	struct config_origin origin;
	const struct heap_config *heap;
};

/* How the heap got its name, for messages. */
static const char *name_key(const struct heap_config *h)
{
	if (h->origin.file == CONFIG_ORIGIN_DEFAULT)
		return "heap";
	return h->origin.file ? "Name=" : "--heap";
}

/* How an alias got there: LegacyNode=yes adds the CMA area's name. */
static const char *alias_key(const struct heap_config *h,
			     const struct heap_alias *a)
{
	if (!a->legacy)
		return "Alias=";
	if (h->legacy_node && a->origin.file == h->legacy_node_origin.file &&
	    a->origin.line == h->legacy_node_origin.line)
		return "LegacyNode=";
	return "LegacyAlias=";
}

static size_t collect(const struct config *c, struct named *all)
{
	const struct heap_config *h;
	const struct heap_alias *a;
	size_t i, j, n = 0;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		all[n++] = (struct named){ h->name, name_key(h), h->origin, h };
		for (j = 0; j < h->n_aliases; j++) {
			a = &h->aliases[j];
			all[n++] = (struct named){ a->name, alias_key(h, a),
						   a->origin, h };
		}
	}
	return n;
}

static bool taken(const struct named *all, size_t n,
		  const char *const *existing, size_t n_existing,
		  const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(all[i].name, name))
			return true;
	for (i = 0; i < n_existing; i++)
		if (!strcmp(existing[i], name))
			return true;
	return false;
}

/* For a name that is taken: a suggestion, numbered until it is free. */
static void suggest_unique(const struct named *all, size_t n,
			   const char *const *existing, size_t n_existing,
			   const struct named *which, char *buf, size_t size)
{
	char base[DH_HEAP_NAME_MAX + 1];
	unsigned int i;

	name_suggest(which->name, which->heap->kind, which->heap->base, base,
		     sizeof(base));
	snprintf(buf, size, "%s", base);
	for (i = 2; taken(all, n, existing, n_existing, buf) && i < 1000; i++)
		snprintf(buf, size, "%.*s-%u", DH_HEAP_NAME_MAX - 4, base, i);
}

/*
 * A node for each heap and alias, DH_NODES_MAX at most: blamed on the heap
 * that passes the bound.
 */
static int check_nodes(const struct config *c, struct config_diag *d)
{
	size_t i, n = 0, total = 0;

	for (i = 0; i < c->n_heaps; i++)
		total += 1 + c->heaps[i].n_aliases;
	for (i = 0; total > DH_NODES_MAX; i++) {
		n += 1 + c->heaps[i].n_aliases;
		if (n > DH_NODES_MAX)
			return config_fail(d, c, c->heaps[i].origin,
					   "%zu nodes with heap \"%s\", a heap and each of its aliases one: at most %d",
					   total, c->heaps[i].name,
					   DH_NODES_MAX);
	}
	return 0;
}

int names_check_config(const struct config *c, struct config_diag *d)
{
	struct named all[DH_HEAPS_MAX * (DH_ALIASES_MAX + 1)];
	char msg[DH_ERROR_MAX], where[DH_PATH_MAX + 16];
	char better[DH_HEAP_NAME_MAX + 1];
	const struct heap_config *h;
	const struct heap_alias *a;
	size_t i, j, n;
	int r;

	for (i = 0; i < c->n_heaps; i++) {
		h = &c->heaps[i];
		if (name_check(h->name, h->kind, h->base, false, msg,
			       sizeof(msg)) < 0)
			return config_fail(d, c, h->origin, "%s %s",
					   name_key(h), msg);
		for (j = 0; j < h->n_aliases; j++) {
			a = &h->aliases[j];
			if (name_check(a->name, h->kind, h->base, a->legacy,
				       msg, sizeof(msg)) < 0)
				return config_fail(d, c, a->origin, "%s %s",
						   alias_key(h, a), msg);
		}
	}

	/* Counted before anything is claimed or made, at start and reload. */
	r = check_nodes(c, d);
	if (r < 0)
		return r;

	n = collect(c, all);
	for (i = 1; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(all[i].name, all[j].name))
				continue;
			suggest_unique(all, n, NULL, 0, &all[i], better,
				       sizeof(better));
			return config_fail(d, c, all[i].origin,
					   "%s \"%s\" repeats %s \"%s\" of %s: \"%s\"; try \"%s\"",
					   all[i].key, all[i].name, all[j].key,
					   all[j].name,
					   config_origin_str(c, all[j].origin,
							     where,
							     sizeof(where)),
					   RULE_UNIQUE, better);
		}
	}
	return 0;
}

int names_check_existing(const struct config *c, const char *const *existing,
			 size_t n_existing, struct config_diag *d)
{
	struct named all[DH_HEAPS_MAX * (DH_ALIASES_MAX + 1)];
	char better[DH_HEAP_NAME_MAX + 1];
	size_t i, j, n;

	n = collect(c, all);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n_existing; j++) {
			if (strcmp(all[i].name, existing[j]))
				continue;
			suggest_unique(all, n, existing, n_existing, &all[i],
				       better, sizeof(better));
			config_fail(d, c, all[i].origin,
				    "%s \"%s\": %s/dma_heap/%s already exists: the kernel or another program serves a heap of that name: \"%s\"; try \"%s\"",
				    all[i].key, all[i].name, c->dev_dir,
				    all[i].name, RULE_UNIQUE, better);
			return -EEXIST;
		}
	}
	return 0;
}
