// SPDX-License-Identifier: GPL-2.0
/*
 * The dmaheapctl commands: a table of verbs, each with the options it
 * takes, and what each answers.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "commands.h"
#include "heap.h"
#include "helper.h"
#include "ledger.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "reload.h"
#include "report.h"

struct request {
	bool json;
	enum report_by by;
};

static int cmd_heaps(struct manager *m, const struct request *rq, FILE *out,
		     char *err, size_t err_size)
{
	/* What is kept ahead: the pools of the memory cgroups, or the one. */
	uint64_t ahead = helper_counter(m->c->charge_clients ?
					"memcg_pool_bytes" : "pool_bytes");

	report_heaps(out, rq->json, m->nodes, m->n, m->ledger,
		     (uint64_t)sysconf(_SC_PHYS_PAGES) *
		     (uint64_t)sysconf(_SC_PAGESIZE), ahead);
	return 0;
}

static int cmd_buffers(struct manager *m, const struct request *rq,
		       FILE *out, char *err, size_t err_size)
{
	int r = report_buffers(out, rq->json, rq->by, m->ledger);

	if (r < 0)
		snprintf(err, err_size, "out of memory");
	return r;
}

/* A counter of the daemon's, and one of the helper's sysfs counters. */
#define COUNTER(n, v)	{ .name = (n), .value = (v) }
#define HELPER(n, file)	{ .name = (n), .value = helper_counter(file) }

/*
 * The pools the helper keeps per memory cgroup into @ret, @paths their
 * cgroups' directories (free them with cgroup_paths_free()): how many, or
 * -1 when the helper does not list them (-ENOTTY: an older one).
 */
static int memcg_pools(struct manager *m, struct report_memcg_pool *ret,
		       char **paths)
{
	struct dmaheap_helper_memcg_pool e[DMAHEAP_HELPER_MEMCG_POOLS_MAX];
	uint64_t inos[DMAHEAP_HELPER_MEMCG_POOLS_MAX];
	char root[PATH_MAX];
	unsigned int count, i;
	int r;

	r = helper_memcg_pools(m->helper_fd, e, ARRAY_SIZE(e), &count);
	if (r < 0) {
		if (r != -ENOTTY)
			log_debug("cannot list the pools kept per memory cgroup: %s",
				  strerror(-r));
		return -1;
	}
	if (count > ARRAY_SIZE(e))
		count = ARRAY_SIZE(e);
	for (i = 0; i < count; i++)
		inos[i] = e[i].cgroup_ino;
	cgroup_root(root, sizeof(root));
	/* Those not found (a cgroup removed meanwhile) show no path. */
	cgroup_paths(root, inos, count, paths);
	for (i = 0; i < count; i++)
		ret[i] = (struct report_memcg_pool){
			.cgroup = paths[i],
			.cgroup_ino = e[i].cgroup_ino,
			.bytes = e[i].bytes,
			.target = e[i].target,
			.hits = e[i].hits,
			.misses = e[i].misses,
		};
	return (int)count;
}

static int cmd_status(struct manager *m, const struct request *rq,
		      FILE *out, char *err, size_t err_size)
{
	struct report_memcg_pool pools[DMAHEAP_HELPER_MEMCG_POOLS_MAX];
	char *paths[DMAHEAP_HELPER_MEMCG_POOLS_MAX];
	uint64_t bytes, buffers;
	int n_pools;

	/* Heaps removed by a reload included, while their buffers live. */
	ledger_heap_usage(m->ledger, NULL, &bytes, &buffers);
	n_pools = memcg_pools(m, pools, paths);
	{
		const struct report_counter c[] = {
			COUNTER("heaps", m->c->n_heaps),
			COUNTER("nodes", m->n),
			COUNTER("workers", m->w.n_threads),
			COUNTER("live_buffers", buffers),
			COUNTER("live_bytes", bytes),
			COUNTER("charge_clients", m->c->charge_clients),
			{ .name = "loaded_at", .value = (uint64_t)m->loaded_at,
			  .is_time = true },
			COUNTER("reloads", m->reloads),
			HELPER("helper_live_buffers", "live_buffers"),
			HELPER("helper_live_bytes", "live_bytes"),
			HELPER("helper_allocations", "allocations"),
			HELPER("helper_alloc_failures", "alloc_failures"),
			HELPER("helper_fds_installed", "fds_installed"),
			HELPER("helper_deliveries_dropped", "deliveries_dropped"),
			COUNTER("pool_max", m->c->pool_size),
			HELPER("pool_bytes", "pool_bytes"),
			HELPER("pool_hits", "pool_hits"),
			HELPER("pool_misses", "pool_misses"),
			/* Not "memcg_pools": the list's name in JSON. */
			HELPER("memcg_pool_count", "memcg_pools"),
			HELPER("memcg_pool_bytes", "memcg_pool_bytes"),
			HELPER("memcg_pool_hits", "memcg_pool_hits"),
			HELPER("memcg_pool_misses", "memcg_pool_misses"),
			HELPER("ready_buffers", "ready_buffers"),
			HELPER("ready_hits", "ready_hits"),
		};

		report_status(out, rq->json, c, ARRAY_SIZE(c),
			      n_pools < 0 ? NULL : pools,
			      n_pools < 0 ? 0 : (size_t)n_pools);
	}
	if (n_pools > 0)
		cgroup_paths_free(paths, (size_t)n_pools);
	return 0;
}

static int cmd_reload(struct manager *m, const struct request *rq,
		      FILE *out, char *err, size_t err_size)
{
	int r;

	log_info("reload asked for through the control socket");
	r = reload(m);
	if (r < 0) {
		snprintf(err, err_size, "%s", m->reload_msg);
		return r;
	}
	if (rq->json) {
		fputs("{\"message\":", out);
		report_json_string(out, m->reload_msg);
		fputs("}\n", out);
	} else {
		fprintf(out, "%s\n", m->reload_msg);
	}
	return 0;
}

static const struct command {
	const char *name;
	int (*run)(struct manager *m, const struct request *rq, FILE *out,
		   char *err, size_t err_size);
	bool by;		/* takes --by= */
} commands[] = {
	{ .name = "heaps", .run = cmd_heaps },
	{ .name = "buffers", .run = cmd_buffers, .by = true },
	{ .name = "status", .run = cmd_status },
	{ .name = "reload", .run = cmd_reload },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* "--json" for each command, "--by=WHAT" where @cmd (if known) takes it. */
static int parse_options(const struct command *cmd, int argc, char **argv,
			 struct request *rq, char *err, size_t err_size)
{
	char choices[64];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			rq->json = true;
		} else if (cmd && cmd->by && !strncmp(argv[i], "--by=", 5)) {
			if (report_by_from_string(argv[i] + 5, &rq->by) < 0) {
				report_by_choices(choices, sizeof(choices));
				snprintf(err, err_size, "unknown --by=%s: use %s",
					 argv[i] + 5, choices);
				return -EINVAL;
			}
		} else {
			snprintf(err, err_size, "unexpected argument \"%s\"",
				 argv[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* "use heaps, buffers, status or reload", from the table. */
static void command_choices(char *buf, size_t size)
{
	const char *names[ARRAY_SIZE(commands)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	report_choices(buf, size, names, ARRAY_SIZE(names));
}

int commands_handle(void *userdata, int argc, char **argv, FILE *out,
		    char *err, size_t err_size)
{
	const struct command *cmd = argc ? find_command(argv[0]) : NULL;
	struct request rq = { .by = BY_PROCESS };
	struct manager *m = userdata;
	char choices[64];
	int r;

	/* The options first, then the command, as before the table. */
	r = parse_options(cmd, argc, argv, &rq, err, err_size);
	if (r < 0)
		return r;
	command_choices(choices, sizeof(choices));
	if (!argc) {
		snprintf(err, err_size, "no command: use %s", choices);
		return -EINVAL;
	}
	/* What was released since the last allocation. */
	heap_drain_releases(m->helper_fd, m->ledger);
	if (!cmd) {
		snprintf(err, err_size, "unknown command \"%s\": use %s",
			 argv[0], choices);
		return -EINVAL;
	}
	return cmd->run(m, &rq, out, err, err_size);
}
