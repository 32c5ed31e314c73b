// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheapctl's output, formatted by the daemon: heaps, buffers, status.
 * Text is for people (sizes with K/M/G suffixes, exact); --json is for
 * programs (bytes, null for "no limit").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dmaheap-helper.h"
#include "macro.h"
#include "report.h"

const char *report_size(uint64_t bytes, char *buf, size_t size)
{
	static const char suffix[] = "KMGT";
	int i = -1;

	while (bytes && !(bytes & 1023) && i < 3) {
		bytes >>= 10;
		i++;
	}
	if (i < 0)
		snprintf(buf, size, "%" PRIu64, bytes);
	else
		snprintf(buf, size, "%" PRIu64 "%c", bytes, suffix[i]);
	return buf;
}

static const char *limit_text(uint64_t v, char *buf, size_t size)
{
	if (v != DH_NO_LIMIT)
		return report_size(v, buf, size);
	snprintf(buf, size, "-");
	return buf;
}

/* Bytes of the UTF-8 sequence at @s; 0 if it is not one (RFC 3629). */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	/* A NUL ends the string, and is no continuation byte either. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong, a surrogate, past U+10FFFF. */
	if ((n == 3 && c < 0x800) || (c >= 0xd800 && c <= 0xdfff) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

/*
 * Names in a report may be what a client or a user chose (a process's
 * comm, a delegated cgroup's path): any bytes but NUL. JSON gets them
 * escaped, and a byte that is not part of UTF-8 as U+FFFD, so that the
 * output stays JSON for any parser.
 */
void report_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', out);
	while (*p) {
		n = 1;
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else if (!(n = utf8_len(p)))
			fputs("\\ufffd", out), n = 1;
		else
			fwrite(p, 1, n, out);
		p += n;
	}
	fputc('"', out);
}

/*
 * Such a name as text, padded to @width: every byte but printable ASCII
 * shown as '?', as ps(1) does, so that nothing in it reaches the reader's
 * terminal as a control sequence, and each byte takes one column.
 */
static void text_name(FILE *out, const char *s, int width)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	for (n = 0; p[n]; n++)
		fputc(p[n] >= 0x20 && p[n] < 0x7f ? p[n] : '?', out);
	fprintf(out, "%*s", width > n ? width - n : 0, "");
}

static void json_limit(FILE *out, uint64_t v)
{
	if (v == DH_NO_LIMIT)
		fputs("null", out);
	else
		fprintf(out, "%" PRIu64, v);
}

static const char *backing_name(uint32_t kind)
{
	switch (kind) {
	case DMAHEAP_HELPER_KIND_SYSTEM:
		return "pages";
	case DMAHEAP_HELPER_KIND_CONTIGUOUS:
		return "page-allocator";
	case DMAHEAP_HELPER_KIND_CMA:
		return "cma";
	case DMAHEAP_HELPER_KIND_REGION:
		return "region";
	}
	return "unknown";
}

/* The largest buffer one allocation can get: the kind's, then the limit. */
static uint64_t largest(const struct node *h, uint64_t ram_bytes)
{
	uint64_t max = h->max_len ? h->max_len : ram_bytes;

	if (h->cfg.limits[LIMIT_BUFFER_SIZE] < max)
		max = h->cfg.limits[LIMIT_BUFFER_SIZE];
	return max;
}

static void heap_json(FILE *out, struct node *const *nodes, size_t n,
		      size_t first, struct ledger *l, uint64_t ram_bytes,
		      uint64_t kept_ahead)
{
	const struct node *h = nodes[first];
	uint64_t bytes, buffers;
	size_t i, k;

	ledger_heap_usage(l, h->cfg.name, &bytes, &buffers);
	fputs("{\"name\":", out);
	report_json_string(out, h->cfg.name);
	fputs(",\"nodes\":[", out);
	for (i = first, k = 0; i < n; i++) {
		if (strcmp(nodes[i]->cfg.name, h->cfg.name))
			continue;
		fputs(k++ ? "," : "", out);
		report_json_string(out, nodes[i]->node_name);
	}
	fprintf(out, "],\"kind\":\"%s\",\"backing\":\"%s\",\"contiguous\":%s,"
		"\"cached\":true,\"seat_access\":%s,\"largest_buffer\":%" PRIu64
		",\"limits\":{",
		heap_kind_name(h->cfg.kind), backing_name(h->helper_kind),
		h->cfg.kind == HEAP_KIND_SYSTEM ? "false" : "true",
		h->cfg.seat_access ? "true" : "false", largest(h, ram_bytes));
	for (k = 0; k < _LIMIT_MAX; k++) {
		fprintf(out, "%s\"%s\":", k ? "," : "", heap_limit_key(k));
		json_limit(out, h->cfg.limits[k]);
	}
	fputs("},\"allow_users\":[", out);
	for (k = 0; k < h->cfg.n_allow_users; k++)
		fprintf(out, "%s%u", k ? "," : "", h->cfg.allow_users[k].id);
	fputs("],\"allow_groups\":[", out);
	for (k = 0; k < h->cfg.n_allow_groups; k++)
		fprintf(out, "%s%u", k ? "," : "", h->cfg.allow_groups[k].id);
	fprintf(out, "],\"live_buffers\":%" PRIu64 ",\"live_bytes\":%" PRIu64
		",\"kept_ahead\":", buffers, bytes);
	if (h->helper_kind == DMAHEAP_HELPER_KIND_SYSTEM)
		fprintf(out, "%" PRIu64 "}", kept_ahead);
	else
		fputs("null}", out);
}

static void heap_text(FILE *out, struct node *const *nodes, size_t n,
		      size_t first, struct ledger *l, uint64_t ram_bytes,
		      uint64_t kept_ahead)
{
	const struct node *h = nodes[first];
	char s[_LIMIT_MAX + 3][24];
	uint64_t bytes, buffers;
	const char *sep = "";
	size_t i, k;

	ledger_heap_usage(l, h->cfg.name, &bytes, &buffers);
	for (k = 0; k < _LIMIT_MAX; k++)
		limit_text(h->cfg.limits[k], s[k], sizeof(s[k]));
	/* The helper's zeroed pages serve the kind SYSTEM only. */
	if (h->helper_kind == DMAHEAP_HELPER_KIND_SYSTEM)
		report_size(kept_ahead, s[_LIMIT_MAX + 2], sizeof(s[0]));
	else
		snprintf(s[_LIMIT_MAX + 2], sizeof(s[0]), "-");
	fprintf(out, "%-24s %-10s %-14s %-6s %-6s %-6s %8s %8s %8s %8s %8s %7" PRIu64 " %8s %8s ",
		h->cfg.name, heap_kind_name(h->cfg.kind),
		backing_name(h->helper_kind),
		h->cfg.kind == HEAP_KIND_SYSTEM ? "no" : "yes", "yes",
		h->cfg.seat_access ? "yes" : "no",
		report_size(largest(h, ram_bytes), s[_LIMIT_MAX],
			    sizeof(s[0])),
		s[LIMIT_BUFFER_SIZE], s[LIMIT_BYTES_PER_USER],
		s[LIMIT_BYTES_PER_PROCESS], s[LIMIT_BYTES], buffers,
		report_size(bytes, s[_LIMIT_MAX + 1], sizeof(s[0])),
		s[_LIMIT_MAX + 2]);
	for (i = first; i < n; i++) {
		if (strcmp(nodes[i]->cfg.name, h->cfg.name))
			continue;
		fprintf(out, "%s%s", sep, nodes[i]->node_name);
		sep = ",";
	}
	fputc('\n', out);
}

void report_heaps(FILE *out, bool json, struct node *const *nodes, size_t n,
		  struct ledger *l, uint64_t ram_bytes, uint64_t kept_ahead)
{
	size_t i, j, k = 0;

	if (json)
		fputs("{\"heaps\":[", out);
	else
		fprintf(out, "%-24s %-10s %-14s %-6s %-6s %-6s %8s %8s %8s %8s %8s %7s %8s %8s %s\n",
			"HEAP", "KIND", "BACKING", "CONTIG", "CACHED", "SEAT",
			"LARGEST", "MAXBUF", "MAX/USER", "MAX/PROC", "MAX",
			"BUFFERS", "BYTES", "AHEAD", "NODES");
	for (i = 0; i < n; i++) {
		/* Once per heap: at its first node. */
		for (j = 0; j < i; j++)
			if (!strcmp(nodes[j]->cfg.name, nodes[i]->cfg.name))
				break;
		if (j < i)
			continue;
		if (json) {
			fputs(k++ ? "," : "", out);
			heap_json(out, nodes, n, i, l, ram_bytes, kept_ahead);
		} else {
			heap_text(out, nodes, n, i, l, ram_bytes, kept_ahead);
		}
	}
	if (json)
		fputs("]}\n", out);
}

static const char *const by_names[] = {
	[BY_PROCESS] = "process", [BY_UID] = "uid",
	[BY_HEAP] = "heap", [BY_BUFFER] = "buffer",
};

int report_by_from_string(const char *s, enum report_by *ret)
{
	int i = name_index(by_names, ARRAY_SIZE(by_names), s);

	if (i < 0)
		return i;
	*ret = (enum report_by)i;
	return 0;
}

void report_by_choices(char *buf, size_t size)
{
	report_choices(buf, size, by_names, ARRAY_SIZE(by_names));
}

void report_choices(char *buf, size_t size, const char *const *names,
		    size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s",
				!i ? "" : i + 1 < n ? ", " : " or ", names[i]);
}

struct group {
	const struct ledger_buffer *first;
	uint64_t buffers;
	uint64_t bytes;
};

static bool same_group(const struct ledger_buffer *a,
		       const struct ledger_buffer *b, enum report_by by)
{
	switch (by) {
	case BY_PROCESS:
		/* a pid reused by a later process: another row */
		return a->pid == b->pid && a->start == b->start &&
		       a->uid == b->uid && !strcmp(a->heap, b->heap);
	case BY_UID:
		return a->uid == b->uid && !strcmp(a->heap, b->heap);
	case BY_HEAP:
		return !strcmp(a->heap, b->heap);
	case BY_BUFFER:
		return a == b;
	}
	return false;
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->first->heap, y->first->heap);
}

static void group_text(FILE *out, const struct group *g, enum report_by by,
		       time_t now)
{
	const struct ledger_buffer *b = g->first;
	char sz[24];

	report_size(g->bytes, sz, sizeof(sz));
	switch (by) {
	case BY_PROCESS:
		fprintf(out, "%8d ", (int)b->pid);
		text_name(out, b->comm, 16);
		fprintf(out, " %8u %-24s %7" PRIu64 " %8s\n",
			(unsigned int)b->uid, b->heap, g->buffers, sz);
		break;
	case BY_UID:
		fprintf(out, "%8u %-24s %7" PRIu64 " %8s\n",
			(unsigned int)b->uid, b->heap, g->buffers, sz);
		break;
	case BY_HEAP:
		fprintf(out, "%-24s %7" PRIu64 " %8s\n", b->heap, g->buffers, sz);
		break;
	case BY_BUFFER:
		fprintf(out, "%8" PRIu64 " %-24s %8s %8d ", b->id, b->heap, sz,
			(int)b->pid);
		text_name(out, b->comm, 16);
		fprintf(out, " %8u %6lds\n", (unsigned int)b->uid,
			(long)(now - b->time.tv_sec));
		break;
	}
}

static void group_json(FILE *out, const struct group *g, enum report_by by)
{
	const struct ledger_buffer *b = g->first;

	fputc('{', out);
	if (by == BY_BUFFER)
		fprintf(out, "\"id\":%" PRIu64 ",\"time\":%lld,", b->id,
			(long long)b->time.tv_sec);
	if (by == BY_PROCESS || by == BY_BUFFER) {
		/* start: what tells a reused pid's processes apart */
		fprintf(out, "\"pid\":%d,\"start\":%" PRIu64 ",\"comm\":",
			(int)b->pid, b->start);
		report_json_string(out, b->comm);
		fputc(',', out);
	}
	if (by != BY_HEAP)
		fprintf(out, "\"uid\":%u,", (unsigned int)b->uid);
	fputs("\"heap\":", out);
	report_json_string(out, b->heap);
	fprintf(out, ",\"buffers\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
		g->buffers, g->bytes);
}

int report_buffers(FILE *out, bool json, enum report_by by, struct ledger *l)
{
	static const char *const heads[] = {
		[BY_PROCESS] = "     PID COMM                  UID HEAP                     BUFFERS    BYTES\n",
		[BY_UID] = "     UID HEAP                     BUFFERS    BYTES\n",
		[BY_HEAP] = "HEAP                     BUFFERS    BYTES\n",
		[BY_BUFFER] = "      ID HEAP                         SIZE      PID COMM                  UID    AGE\n",
	};
	struct ledger_buffer *snap = NULL;
	struct group *groups;
	size_t n_groups = 0, i, j;
	time_t now = time(NULL);
	ssize_t n;

	n = ledger_snapshot(l, &snap);
	if (n < 0)
		return (int)n;
	groups = calloc(n ? (size_t)n : 1, sizeof(*groups));
	if (!groups) {
		free(snap);
		return -ENOMEM;
	}
	/* Few groups in practice: a linear search per buffer is fine. */
	for (i = 0; i < (size_t)n; i++) {
		for (j = 0; j < n_groups; j++)
			if (same_group(groups[j].first, &snap[i], by))
				break;
		if (j == n_groups)
			groups[n_groups++].first = &snap[i];
		groups[j].buffers++;
		groups[j].bytes += snap[i].len;
	}
	qsort(groups, n_groups, sizeof(*groups), cmp_group);

	if (json)
		fprintf(out, "{\"by\":\"%s\",\"groups\":[", by_names[by]);
	else
		fputs(heads[by], out);
	for (i = 0; i < n_groups; i++) {
		if (json) {
			fputs(i ? "," : "", out);
			group_json(out, &groups[i], by);
		} else {
			group_text(out, &groups[i], by, now);
		}
	}
	if (json)
		fputs("]}\n", out);
	free(groups);
	free(snap);
	return 0;
}

/* The cgroup of a pool, as text: its path, "?" or "(none)". */
static const char *memcg_text(const struct report_memcg_pool *p)
{
	if (!p->cgroup_ino)
		return "(none)";
	return p->cgroup ? p->cgroup : "?";
}

static void memcg_pools_text(FILE *out, const struct report_memcg_pool *p,
			     size_t n)
{
	char kept[24], target[24];
	int width = (int)strlen("CGROUP");
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		if ((int)strlen(memcg_text(&p[i])) > width)
			width = (int)strlen(memcg_text(&p[i]));
	fprintf(out, "\n%-*s %8s %8s %8s %8s\n", width, "CGROUP", "KEPT",
		"TARGET", "HITS", "MISSES");
	for (i = 0; i < n; i++) {
		text_name(out, memcg_text(&p[i]), width);
		fprintf(out, " %8s %8s %8" PRIu64 " %8" PRIu64 "\n",
			report_size(p[i].bytes, kept, sizeof(kept)),
			report_size(p[i].target, target, sizeof(target)),
			p[i].hits, p[i].misses);
	}
}

/* The array "memcg_pools", after @sep: "," after other members. */
static void memcg_pools_json(FILE *out, const char *sep,
			     const struct report_memcg_pool *p, size_t n)
{
	size_t i;

	fprintf(out, "%s\"memcg_pools\":[", sep);
	for (i = 0; i < n; i++) {
		fputs(i ? ",{\"cgroup\":" : "{\"cgroup\":", out);
		if (p[i].cgroup)
			report_json_string(out, p[i].cgroup);
		else
			fputs("null", out);
		fprintf(out, ",\"cgroup_ino\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"target\":%" PRIu64 ",\"hits\":%" PRIu64
			",\"misses\":%" PRIu64 "}",
			p[i].cgroup_ino, p[i].bytes, p[i].target, p[i].hits,
			p[i].misses);
	}
	fputc(']', out);
}

void report_status(FILE *out, bool json, const struct report_counter *c,
		   size_t n, const struct report_memcg_pool *pools,
		   size_t n_pools)
{
	char when[64];
	int width = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if ((int)strlen(c[i].name) > width)
			width = (int)strlen(c[i].name);
	if (json)
		fputc('{', out);
	for (i = 0; i < n; i++) {
		if (json)
			fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
				c[i].name, c[i].value);
		else if (c[i].is_time)
			fprintf(out, "%-*s %s\n", width, c[i].name,
				report_time(c[i].value, when, sizeof(when)));
		else
			fprintf(out, "%-*s %" PRIu64 "\n", width, c[i].name,
				c[i].value);
	}
	if (json) {
		if (pools)
			memcg_pools_json(out, n ? "," : "", pools, n_pools);
		fputs("}\n", out);
	} else if (pools) {
		memcg_pools_text(out, pools, n_pools);
	}
}

const char *report_time(uint64_t seconds, char *buf, size_t size)
{
	time_t t = (time_t)seconds;
	struct tm tm;

	if (!seconds || !localtime_r(&t, &tm) ||
	    !strftime(buf, size, "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(buf, size, "-");
	return buf;
}
