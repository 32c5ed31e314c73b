// SPDX-License-Identifier: GPL-2.0
/*
 * The dmaheapd.conf(5) parser: one file's text into struct config, systemd
 * style ([Section], Key=Value, # and ; comments). Pure: no I/O, no globals.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conffile.h"
#include "macro.h"

enum section {
	SECTION_NONE,
	SECTION_HEAP,
	SECTION_DAEMON,
	SECTION_UNKNOWN,
};

/* What one [Heap] section says, applied to the heap of its Name= at its end. */
struct heap_patch {
	unsigned int line;	/* of [Heap] */
	struct heap_config h;	/* origins with line 0: key not given */
	bool reset_aliases;	/* an empty Alias= */
	bool reset_legacy;	/* an empty LegacyAlias= */
	bool reset_users;	/* an empty AllowUsers= */
	bool reset_groups;	/* an empty AllowGroups= */
};

struct parser {
	struct config *c;
	struct config_diag *d;
	unsigned int file;
	unsigned int line;
	enum section section;
	struct heap_patch p;
};

#define ALIGN_WHY "region heaps must be page (4 KiB) aligned and in fact 2 MiB aligned, the memory hotplug subsection granularity"

static struct config_origin here(const struct parser *ps)
{
	return (struct config_origin){ .file = ps->file, .line = ps->line };
}

#define fail(ps, ...) config_fail((ps)->d, (ps)->c, here(ps), __VA_ARGS__)
#define warn(ps, ...) config_warn((ps)->d, (ps)->c, here(ps), __VA_ARGS__)

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	       ch == '\v';
}

static char *strip(char *s)
{
	char *e;

	while (is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		*--e = '\0';
	return s;
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*ret = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Decimal or 0x hex, no sign, no blanks; the rest of @s in *ret_end. */
static int parse_u64(const char *s, uint64_t *ret, const char **ret_end)
{
	const char *digits = "0123456789", *first = s;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = "0123456789abcdefABCDEF";
		first = s + 2;
	}
	if (!*first || !strchr(digits, *first))
		return -EINVAL;
	/*
	 * All of @s, 0x included: strtoull() of base 16 skips one 0x of its
	 * own, so given the digits alone it would take 0x0x10 for 0x10.
	 */
	errno = 0;
	*ret = strtoull(s, &end, base);
	if (errno)
		return -errno;
	*ret_end = end;
	return 0;
}

static int parse_address(const char *s, uint64_t *ret)
{
	const char *end;
	int r;

	r = parse_u64(s, ret, &end);
	if (r < 0)
		return r;
	return *end ? -EINVAL : 0;
}

/* A number with an optional binary K, M, G or T suffix. */
static int parse_size(const char *s, uint64_t *ret)
{
	static const char suffixes[] = "KMGT";
	const char *end, *suffix;
	unsigned int shift = 0;
	uint64_t v;
	int r;

	r = parse_u64(s, &v, &end);
	if (r < 0)
		return r;
	if (*end) {
		suffix = strchr(suffixes, *end);
		if (!suffix || end[1])
			return -EINVAL;
		shift = 10 * (unsigned int)(suffix - suffixes + 1);
		if (v > UINT64_MAX >> shift)
			return -ERANGE;
	}
	*ret = v << shift;
	return 0;
}

static int add_alias(struct parser *ps, const char *name, bool legacy)
{
	struct heap_config *h = &ps->p.h;
	struct heap_alias *a;

	if (strlen(name) > DH_HEAP_NAME_MAX)
		return fail(ps, "alias \"%s\" is longer than %d characters",
			    name, DH_HEAP_NAME_MAX);
	if (h->n_aliases == DH_ALIASES_MAX) {
		fail(ps, "too many aliases: at most %d per heap",
		     DH_ALIASES_MAX);
		return -E2BIG;
	}
	a = &h->aliases[h->n_aliases++];
	strcpy(a->name, name);
	a->legacy = legacy;
	a->origin = here(ps);
	return 0;
}

static void drop_aliases(struct heap_config *h, bool legacy)
{
	size_t i, n = 0;

	for (i = 0; i < h->n_aliases; i++)
		if (h->aliases[i].legacy != legacy)
			h->aliases[n++] = h->aliases[i];
	h->n_aliases = n;
}

/* Alias=a b c adds, Alias= resets: systemd's list semantics. */
static int heap_aliases(struct parser *ps, char *value, bool legacy)
{
	char *tok, *save;
	int r;

	if (!*value) {
		drop_aliases(&ps->p.h, legacy);
		if (legacy)
			ps->p.reset_legacy = true;
		else
			ps->p.reset_aliases = true;
		return 0;
	}
	for (tok = strtok_r(value, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		r = add_alias(ps, tok, legacy);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Is @word a number as a whole, decimal or 0x hex? Only then is it an id:
 * a user or group name may begin with a digit (3dprint, from LDAP), or
 * even with 0x, and is looked up by name as any other (confcheck.c).
 */
static bool is_number(const char *word)
{
	const char *digits = "0123456789";

	if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
		digits = "0123456789abcdefABCDEF";
		word += 2;
	}
	return *word && !word[strspn(word, digits)];
}

/* A user or group: a name, or a number (then resolved already). */
static int parse_id(struct parser *ps, const char *key, const char *word,
		    struct config_id *id)
{
	const char *end;
	uint64_t v;

	if (strlen(word) > DH_ID_NAME_MAX)
		return fail(ps, "%s=: \"%s\" is longer than %d characters",
			    key, word, DH_ID_NAME_MAX);
	memset(id, 0, sizeof(*id));
	strcpy(id->name, word);
	id->origin = here(ps);
	if (is_number(word)) {
		if (parse_u64(word, &v, &end) < 0 || *end || v >= UINT32_MAX)
			return fail(ps, "%s=: invalid id \"%s\"", key, word);
		id->id = (uint32_t)v;
		id->resolved = true;
	}
	return 0;
}

/* AllowUsers=a b adds, AllowUsers= resets, as Alias=. */
static int heap_ids(struct parser *ps, const char *key, char *value,
		    struct config_id *ids, size_t *n, bool *reset)
{
	char *tok, *save;
	int r;

	if (!*value) {
		*n = 0;
		*reset = true;
		return 0;
	}
	for (tok = strtok_r(value, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (*n == DH_IDS_MAX) {
			fail(ps, "%s=: at most %d entries per heap", key,
			     DH_IDS_MAX);
			return -E2BIG;
		}
		r = parse_id(ps, key, tok, &ids[*n]);
		if (r < 0)
			return r;
		(*n)++;
	}
	return 0;
}

/* A yes/no value of @key. */
static int bool_value(struct parser *ps, const char *key, const char *value,
		      bool *ret)
{
	if (parse_bool(value, ret) < 0)
		return fail(ps, "invalid %s= \"%s\": use yes or no", key, value);
	return 0;
}

/* A size value of @key; @also: what else the key takes, for the message. */
static int size_value(struct parser *ps, const char *key, const char *value,
		      const char *also, uint64_t *ret)
{
	int r = parse_size(value, ret);

	if (r == -ERANGE)
		return fail(ps, "%s= \"%s\" is out of range", key, value);
	if (r < 0)
		return fail(ps, "invalid %s= \"%s\": use a number of bytes with an optional K, M, G or T suffix%s",
			    key, value, also);
	return 0;
}

/*
 * A configuration key: its name, its parser, and an argument for parsers
 * of several keys. The parser sets the value and its origin.
 */
struct key {
	const char *name;
	int (*parse)(struct parser *ps, const char *key, char *value, int arg);
	int arg;
};

/* @key of section [@section], parsed by its entry of @keys. */
static int table_key(struct parser *ps, const char *section,
		     const struct key *keys, size_t n, const char *key,
		     char *value)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(keys[i].name, key))
			return keys[i].parse(ps, key, value, keys[i].arg);
	warn(ps, "unknown key \"%s\" in section [%s], ignored", key, section);
	return 0;
}

static int heap_name(struct parser *ps, const char *key, char *value, int arg)
{
	struct heap_config *h = &ps->p.h;

	if (!*value)
		return fail(ps, "Name= must not be empty");
	if (strlen(value) > DH_HEAP_NAME_MAX)
		return fail(ps, "Name= \"%s\" is longer than %d characters",
			    value, DH_HEAP_NAME_MAX);
	strcpy(h->name, value);
	h->origin = here(ps);
	return 0;
}

static int heap_kind(struct parser *ps, const char *key, char *value, int arg)
{
	struct heap_config *h = &ps->p.h;

	if (heap_kind_from_string(value, &h->kind) < 0)
		return fail(ps, "invalid Kind= \"%s\": use system, contiguous or region",
			    value);
	h->kind_origin = here(ps);
	return 0;
}

/* Alias= (@legacy 0) and LegacyAlias= (1). */
static int heap_alias(struct parser *ps, const char *key, char *value,
		      int legacy)
{
	return heap_aliases(ps, value, legacy);
}

/* AllowUsers= (@groups 0) and AllowGroups= (1). */
static int heap_allow(struct parser *ps, const char *key, char *value,
		      int groups)
{
	struct heap_patch *p = &ps->p;

	if (groups)
		return heap_ids(ps, key, value, p->h.allow_groups,
				&p->h.n_allow_groups, &p->reset_groups);
	return heap_ids(ps, key, value, p->h.allow_users, &p->h.n_allow_users,
			&p->reset_users);
}

/* The yes/no keys of [Heap], by the table's argument. */
enum heap_flag { FLAG_LEGACY_NODE, FLAG_SEAT_ACCESS, FLAG_CONDITION_CMA };

static int heap_flag(struct parser *ps, const char *key, char *value, int arg)
{
	struct heap_config *h = &ps->p.h;
	struct config_origin *o;
	bool *v;
	int r;

	switch (arg) {
	case FLAG_LEGACY_NODE:
		v = &h->legacy_node;
		o = &h->legacy_node_origin;
		break;
	case FLAG_SEAT_ACCESS:
		v = &h->seat_access;
		o = &h->seat_access_origin;
		break;
	default:
		v = &h->condition_cma;
		o = &h->condition_cma_origin;
		break;
	}
	r = bool_value(ps, key, value, v);
	if (r == 0)
		*o = here(ps);
	return r;
}

static int heap_base(struct parser *ps, const char *key, char *value, int arg)
{
	struct heap_config *h = &ps->p.h;
	uint64_t v;
	int r;

	r = parse_address(value, &v);
	if (r == -ERANGE)
		return fail(ps, "Base= \"%s\" is out of range", value);
	if (r < 0)
		return fail(ps, "invalid Base= \"%s\": use a physical address, 0x hex or decimal",
			    value);
	if (v % DMAHEAP_HELPER_REGION_ALIGN)
		return fail(ps, "Base=0x%" PRIx64 " is not 2 MiB aligned: " ALIGN_WHY,
			    v);
	h->base = v;
	h->base_origin = here(ps);
	return 0;
}

static int heap_size(struct parser *ps, const char *key, char *value, int arg)
{
	struct heap_config *h = &ps->p.h;
	uint64_t v;
	int r;

	r = size_value(ps, key, value, "", &v);
	if (r < 0)
		return r;
	if (!v)
		return fail(ps, "Size= must not be 0");
	if (v % DMAHEAP_HELPER_REGION_ALIGN)
		return fail(ps, "Size=%s (0x%" PRIx64 " bytes) is not 2 MiB aligned: " ALIGN_WHY,
			    value, v);
	h->size = v;
	h->size_origin = here(ps);
	return 0;
}

/* MaxBytes= and co (@l): a size, "infinity" or empty for no limit. */
static int heap_limit(struct parser *ps, const char *key, char *value, int l)
{
	uint64_t v = DH_NO_LIMIT;
	int r;

	if (*value && strcmp(value, "infinity")) {
		r = size_value(ps, key, value, ", or infinity", &v);
		if (r < 0)
			return r;
		if (v == DH_NO_LIMIT)
			return fail(ps, "%s= \"%s\" is out of range", key,
				    value);
	}
	ps->p.h.limits[l] = v;
	ps->p.h.limit_origins[l] = here(ps);
	return 0;
}

static const struct key heap_keys[] = {
	{ "Name", heap_name, 0 },
	{ "Kind", heap_kind, 0 },
	{ "Alias", heap_alias, 0 },
	{ "LegacyAlias", heap_alias, 1 },
	{ "AllowUsers", heap_allow, 0 },
	{ "AllowGroups", heap_allow, 1 },
	{ "LegacyNode", heap_flag, FLAG_LEGACY_NODE },
	{ "SeatAccess", heap_flag, FLAG_SEAT_ACCESS },
	{ "ConditionCMA", heap_flag, FLAG_CONDITION_CMA },
	{ "Base", heap_base, 0 },
	{ "Size", heap_size, 0 },
};

static int heap_key(struct parser *ps, const char *key, char *value)
{
	enum heap_limit l;

	/* The limits' keys are named by config.c, with the limits. */
	for (l = 0; l < _LIMIT_MAX; l++)
		if (!strcmp(key, heap_limit_key(l)))
			return heap_limit(ps, key, value, (int)l);
	return table_key(ps, "Heap", heap_keys, ARRAY_SIZE(heap_keys), key,
			 value);
}

static int daemon_debug(struct parser *ps, const char *key, char *value,
			int arg)
{
	return bool_value(ps, key, value, &ps->c->debug);
}

static int daemon_pool_size(struct parser *ps, const char *key, char *value,
			    int arg)
{
	int r = size_value(ps, key, value, "", &ps->c->pool_size);

	if (r == 0)
		ps->c->pool_size_origin = here(ps);
	return r;
}

static int daemon_charge_clients(struct parser *ps, const char *key,
				 char *value, int arg)
{
	int r = bool_value(ps, key, value, &ps->c->charge_clients);

	if (r == 0)
		ps->c->charge_clients_origin = here(ps);
	return r;
}

static int daemon_kernel_heaps(struct parser *ps, const char *key,
			       char *value, int arg)
{
	if (kernel_heaps_from_string(value, &ps->c->kernel_heaps) < 0)
		return fail(ps, "invalid KernelHeaps= \"%s\": use move or keep",
			    value);
	ps->c->kernel_heaps_origin = here(ps);
	return 0;
}

static int daemon_control_group(struct parser *ps, const char *key,
				char *value, int arg)
{
	if (!*value) {
		memset(&ps->c->control_group, 0, sizeof(ps->c->control_group));
		return 0;
	}
	if (strpbrk(value, " \t"))
		return fail(ps, "ControlGroup= takes one group, not \"%s\"",
			    value);
	return parse_id(ps, key, value, &ps->c->control_group);
}

static const struct key daemon_keys[] = {
	{ "Debug", daemon_debug, 0 },
	{ "PoolSize", daemon_pool_size, 0 },
	{ "ChargeClients", daemon_charge_clients, 0 },
	{ "KernelHeaps", daemon_kernel_heaps, 0 },
	{ "ControlGroup", daemon_control_group, 0 },
};

static int daemon_key(struct parser *ps, const char *key, char *value)
{
	return table_key(ps, "Daemon", daemon_keys, ARRAY_SIZE(daemon_keys),
			 key, value);
}

#define take(field)                                      \
	do {                                             \
		if (p->h.field##_origin.line) {          \
			h->field = p->h.field;           \
			h->field##_origin = p->h.field##_origin; \
		}                                        \
	} while (0)

/* A later section's list adds to the heap's, after an empty Key= resets. */
static int merge_ids(struct parser *ps, const char *heap, const char *key,
		     struct config_id *to, size_t *n_to,
		     const struct config_id *from, size_t n_from, bool reset)
{
	size_t i;

	if (reset)
		*n_to = 0;
	for (i = 0; i < n_from; i++) {
		if (*n_to == DH_IDS_MAX) {
			config_fail(ps->d, ps->c, from[i].origin,
				    "too many %s= entries for heap \"%s\": at most %d",
				    key, heap, DH_IDS_MAX);
			return -E2BIG;
		}
		to[(*n_to)++] = from[i];
	}
	return 0;
}

/* The end of a [Heap]: create or merge into the heap it names. */
static int heap_end(struct parser *ps)
{
	struct heap_patch *p = &ps->p;
	struct config *c = ps->c;
	struct heap_config *h;
	enum heap_limit l;
	size_t i;
	int r;

	if (!p->h.origin.line)
		return config_fail(ps->d, c,
				   (struct config_origin){ ps->file, p->line },
				   "[Heap] section without Name=");
	h = config_find_heap(c, p->h.name);
	if (!h) {
		if (c->n_heaps == DH_HEAPS_MAX) {
			config_fail(ps->d, c, p->h.origin,
				    "too many heaps: at most %d", DH_HEAPS_MAX);
			return -E2BIG;
		}
		h = &c->heaps[c->n_heaps++];
		heap_config_init(h, p->h.name);
		h->origin = p->h.origin;
	}
	for (l = 0; l < _LIMIT_MAX; l++) {
		if (p->h.limit_origins[l].line) {
			h->limits[l] = p->h.limits[l];
			h->limit_origins[l] = p->h.limit_origins[l];
		}
	}
	r = merge_ids(ps, h->name, "AllowUsers", h->allow_users,
		      &h->n_allow_users, p->h.allow_users, p->h.n_allow_users,
		      p->reset_users);
	if (r < 0)
		return r;
	r = merge_ids(ps, h->name, "AllowGroups", h->allow_groups,
		      &h->n_allow_groups, p->h.allow_groups,
		      p->h.n_allow_groups, p->reset_groups);
	if (r < 0)
		return r;
	take(kind);
	take(legacy_node);
	take(seat_access);
	take(condition_cma);
	take(base);
	take(size);
	if (p->reset_aliases)
		drop_aliases(h, false);
	if (p->reset_legacy)
		drop_aliases(h, true);
	for (i = 0; i < p->h.n_aliases; i++) {
		if (h->n_aliases == DH_ALIASES_MAX) {
			config_fail(ps->d, c, p->h.aliases[i].origin,
				    "too many aliases for heap \"%s\": at most %d per heap",
				    h->name, DH_ALIASES_MAX);
			return -E2BIG;
		}
		h->aliases[h->n_aliases++] = p->h.aliases[i];
	}
	return 0;
}

static int section_end(struct parser *ps)
{
	int r = 0;

	if (ps->section == SECTION_HEAP)
		r = heap_end(ps);
	ps->section = SECTION_NONE;
	return r;
}

static int section_start(struct parser *ps, char *l)
{
	size_t n = strlen(l);
	char *name;
	int r;

	if (n < 2 || l[n - 1] != ']')
		return fail(ps, "malformed section header \"%s\": use [Heap] or [Daemon]",
			    l);
	l[n - 1] = '\0';
	name = l + 1;
	r = section_end(ps);
	if (r < 0)
		return r;
	if (!strcmp(name, "Heap")) {
		ps->section = SECTION_HEAP;
		memset(&ps->p, 0, sizeof(ps->p));
		ps->p.line = ps->line;
	} else if (!strcmp(name, "Daemon")) {
		ps->section = SECTION_DAEMON;
	} else {
		warn(ps, "unknown section [%s], ignored", name);
		ps->section = SECTION_UNKNOWN;
	}
	return 0;
}

static int parse_line(struct parser *ps, char *l)
{
	char *eq, *key, *value;

	l = strip(l);
	if (!*l || *l == '#' || *l == ';')
		return 0;
	if (*l == '[')
		return section_start(ps, l);

	eq = strchr(l, '=');
	if (!eq)
		return fail(ps, "malformed line \"%s\": use Key=Value or [Section]",
			    l);
	*eq = '\0';
	key = strip(l);
	value = strip(eq + 1);
	if (!*key)
		return fail(ps, "malformed line: no key before \"=\"");

	switch (ps->section) {
	case SECTION_HEAP:
		return heap_key(ps, key, value);
	case SECTION_DAEMON:
		return daemon_key(ps, key, value);
	case SECTION_UNKNOWN:
		return 0;
	case SECTION_NONE:
		break;
	}
	return fail(ps, "%s= outside of any section: put it below [Heap] or [Daemon]",
		    key);
}

int conffile_parse(struct config *c, const char *file, const char *text,
		   struct config_diag *d)
{
	struct parser *ps;
	char *buf, *l, *nl;
	int r;

	ps = calloc(1, sizeof(*ps));
	buf = strdup(text);
	if (!ps || !buf) {
		r = -ENOMEM;
		snprintf(d->error, sizeof(d->error), "%s: out of memory", file);
		goto out;
	}
	ps->c = c;
	ps->d = d;
	r = config_add_file(c, file, &ps->file);
	if (r < 0) {
		snprintf(d->error, sizeof(d->error), "%s: %s", file,
			 r == -E2BIG ? "too many configuration files" :
				       "path too long");
		goto out;
	}

	for (l = buf; l; l = nl) {
		nl = strchr(l, '\n');
		if (nl)
			*nl++ = '\0';
		ps->line++;
		r = parse_line(ps, l);
		if (r < 0)
			goto out;
	}
	r = section_end(ps);
out:
	free(buf);
	free(ps);
	return r;
}
