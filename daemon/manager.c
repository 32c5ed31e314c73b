// SPDX-License-Identifier: GPL-2.0
/*
 * The manager: the main thread's objects and their life. Start-up in the
 * order that lets each failure name its fix, the event loop with the
 * signals, the control socket and the workers' end, and the shutdown that
 * leaves nothing behind.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "backing.h"
#include "commands.h"
#include "confcheck.h"
#include "control.h"
#include "cuse.h"
#include "deadline.h"
#include "ledger.h"
#include "log.h"
#include "manager.h"
#include "marknodes.h"
#include "notify.h"
#include "reload.h"

struct manager *manager_new(const struct options *o, struct config *c)
{
	struct manager *m = calloc(1, sizeof(*m));

	if (!m || !(m->ledger = ledger_new())) {
		free(m);
		free(c);
		return NULL;
	}
	m->opts = o;
	m->c = c;
	m->helper_fd = m->sig_fd = -1;
	m->w = (struct workers)WORKERS_INIT;
	return m;
}

static int signals_open(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* 1 to stop, 0 to go on. */
static int handle_signal(struct manager *m)
{
	struct signalfd_siginfo si;

	if (read(m->sig_fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGHUP && !m->loaded_at) {
		log_info("SIGHUP before the nodes are up: ignored");
		return 0;
	}
	if (si.ssi_signo == SIGHUP) {
		log_info("SIGHUP: reloading the configuration");
		reload(m);
		return 0;
	}
	log_info("%s: stopping", strsignal(si.ssi_signo));
	notify("STOPPING=1");
	return 1;
}

/*
 * The handshake requests that @pfd saw on @nodes: 0, or the first
 * session's end. The nodes after it are served all the same: every new
 * node's CUSE_INIT waits from its open, so they are all in this one poll,
 * and a reload keeps those that come up.
 */
static int serve_handshakes(struct node **nodes, size_t n,
			    const struct pollfd *pfd)
{
	size_t i;
	int r, first = 0;

	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		r = cuse_node_process(nodes[i], &nodes[i]->buf_mem);
		if (r == -ENODEV && !nodes[i]->ready)
			log_errno(LOG_ERR, r,
				  "the kernel refused CUSE device dma_heap/%s: is a CUSE device of that name already registered?",
				  nodes[i]->node_name);
		else if (r < 0)
			log_errno(LOG_ERR, r,
				  "node \"%s\": CUSE session ended: %m",
				  nodes[i]->node_name);
		if (r < 0 && !first)
			first = r;
	}
	return first;
}

int manager_wait_ready(struct manager *m, struct node **nodes, size_t n,
		       int timeout_ms)
{
	struct pollfd pfd[DH_NODES_MAX + 1];
	struct timespec deadline;
	size_t i, ready = 0;
	int r, left = -1;

	/* During a reload, signals wait for it to finish. */
	pfd[0] = (struct pollfd){ .fd = m->loaded_at ? -1 : m->sig_fd,
				  .events = POLLIN };
	for (i = 0; i < n; i++)
		pfd[i + 1] = (struct pollfd){ .fd = cuse_node_fd(nodes[i]),
					      .events = POLLIN };
	if (timeout_ms >= 0)
		deadline_in(&deadline, timeout_ms);
	while (ready < n) {
		if (timeout_ms >= 0 && !(left = deadline_ms_left(&deadline)))
			return log_errno(LOG_ERR, -ETIMEDOUT,
					 "new nodes not ready after %d ms", timeout_ms);
		if (poll(pfd, n + 1, left) < 0) {
			if (errno == EINTR)
				continue;
			return log_errno(LOG_ERR, -errno, "poll: %m");
		}
		if (pfd[0].revents && handle_signal(m))
			return 1;
		r = serve_handshakes(nodes, n, pfd + 1);
		if (r < 0)
			return r;
		for (i = 0, ready = 0; i < n; i++)
			ready += nodes[i]->ready;
	}
	for (i = 0; i < n; i++) {
		if (nodes[i]->node_errno)
			return log_errno(LOG_ERR, -nodes[i]->node_errno,
					 "%s did not appear: %m; is another device of that name registered?",
					 nodes[i]->node_path);
		log_info("serving %s", nodes[i]->node_path);
	}
	return 0;
}

void manager_list_nodes(struct manager *m)
{
	const char *names[DH_NODES_MAX];
	bool seats[DH_NODES_MAX];
	char path[NODES_PATH_MAX];
	dev_t devs[DH_NODES_MAX];
	size_t i;
	int r;

	for (i = 0; i < m->n; i++) {
		devs[i] = m->nodes[i]->node;
		names[i] = m->nodes[i]->node_name;
		seats[i] = m->nodes[i]->cfg.seat_access;
	}
	nodes_file_path(m->opts->control, path, sizeof(path));
	r = nodes_file_write(path, devs, names, seats, m->n);
	if (r < 0)
		log_errno(LOG_WARNING, r,
			  "cannot list the nodes in %s for dmaheapd --mark-nodes: %m; udev's rules leave them root's (docs/udev.md)",
			  path);
}

/* The control socket for dmaheapctl; root and ControlGroup= only. */
static int open_control(struct manager *m)
{
	const struct config *c = m->c;
	const char *path = m->opts->control;
	gid_t gid = c->control_group.origin.line ? c->control_group.id :
						   (gid_t)-1;
	int r;

	r = control_open(path, gid, &m->ctl);
	if (r == -EPERM && c->control_group.origin.line)
		return log_errno(LOG_ERR, r,
				 "cannot give %s to ControlGroup=%s: %m; under systemd the unit needs CAP_CHOWN and SystemCallFilter=@chown, or Group=%s (docs/systemd-unit.md)",
				 path, c->control_group.name,
				 c->control_group.name);
	if (r < 0)
		return log_errno(LOG_ERR, r, "cannot create the control socket %s: %m",
				 path);
	return 0;
}

/* Start-up: one node per heap name and alias, all of them new. */
static int start_nodes(struct manager *m)
{
	struct backing b[DH_HEAPS_MAX];
	const struct config *c = m->c;
	struct node *h;
	size_t i, a;
	int r;

	r = backing_resolve(c, &m->info, m->helper_fd, b);
	if (r < 0)
		return r;
	for (i = 0; i < c->n_heaps; i++) {
		for (a = 0; a <= c->heaps[i].n_aliases; a++) {
			if (m->n == DH_NODES_MAX)
				return log_errno(LOG_ERR, -E2BIG,
						 "too many nodes: at most %d",
						 DH_NODES_MAX);
			h = node_new(m->helper_fd, m->ledger);
			if (!h)
				return log_errno(LOG_ERR, -ENOMEM, "out of memory");
			m->nodes[m->n++] = h;
			node_set(h, c, &c->heaps[i], a, &b[i]);
			r = node_start(h, c);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int manager_start(struct manager *m)
{
	struct config_diag d = { .warn = confcheck_warn };
	int r;

	r = confcheck_load(m->c, m->opts, NULL, 0, &d);
	if (r < 0)
		return log_errno(LOG_ERR, r, "%s", d.error);
	log_init(m->c->debug);

	m->sig_fd = signals_open();
	if (m->sig_fd < 0)
		return log_errno(LOG_ERR, m->sig_fd, "signalfd: %m");
	m->helper_fd = backing_open_helper(m->c, &m->info);
	if (m->helper_fd < 0)
		return m->helper_fd;
	r = backing_pool(m->c, m->helper_fd);
	if (r < 0)
		return r;
	r = open_control(m);
	if (r < 0)
		return r;
	return start_nodes(m);
}

/* One round of the event loop: 1 to stop, 0 to go on, or an error. */
static int handle_events(struct manager *m)
{
	struct pollfd pfd[3] = {
		{ .fd = m->sig_fd, .events = POLLIN },
		{ .fd = m->w.done_fd, .events = POLLIN },
		{ .fd = m->ctl ? control_fd(m->ctl) : -1, .events = POLLIN },
	};
	size_t node;
	int r;

	if (poll(pfd, 3, m->ctl ? control_timeout_ms(m->ctl) : -1) < 0)
		return errno == EINTR ? 0 : log_errno(LOG_ERR, -errno, "poll: %m");
	if (pfd[0].revents && handle_signal(m))
		return 1;
	if (pfd[2].revents) {
		/* After the signal: its reload may have replaced the workers. */
		m->wake[0] = m->sig_fd;
		m->wake[1] = m->w.done_fd;
		control_handle(m->ctl, m->wake, 2, commands_handle, m);
	}
	if (m->fatal)
		return log_errno(LOG_ERR, m->fatal, "%s", m->reload_msg);
	/* A reload above replaced the workers: poll their done_fd again. */
	if (pfd[1].revents && pfd[1].fd == m->w.done_fd) {
		r = workers_error(&m->w, &node);
		if (r && node < m->n)
			return log_errno(LOG_ERR, r,
					 "node \"%s\": CUSE session ended: %m",
					 m->nodes[node]->node_name);
		if (r)
			return log_errno(LOG_ERR, r,
					 "a worker thread cannot wait for requests: %m");
	}
	return 0;
}

int manager_run(struct manager *m)
{
	int r;

	r = manager_wait_ready(m, m->nodes, m->n, -1);
	if (r)
		return r < 0 ? r : 0;
	manager_list_nodes(m);
	m->loaded_at = time(NULL);
	notify_status(m->nodes, m->n, "READY=1\n");

	r = workers_start(&m->w, m->nodes, m->n, m->opts->threads);
	while (!r)
		r = handle_events(m);
	workers_stop(&m->w);
	return r < 0 ? r : 0;
}

void manager_free(struct manager *m)
{
	char path[NODES_PATH_MAX];
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		node_free(m->nodes[i]);
	if (m->ctl) {
		nodes_file_path(m->opts->control, path, sizeof(path));
		unlink(path);
		control_close(m->ctl);
	}
	if (m->helper_fd >= 0)
		close(m->helper_fd);
	if (m->sig_fd >= 0)
		close(m->sig_fd);
	ledger_free(m->ledger);
	free(m->c);
	free(m);
}
