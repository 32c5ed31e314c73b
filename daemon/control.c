// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (docs/control.md): a unix stream socket, one request
 * line per connection, one reply, then close. Served on the caller's thread
 * (the main loop), so every wait on a client is bounded: a peer that may not
 * connect is answered before anything is read from it, and an allowed one
 * gets DH_CONTROL_TIMEOUT_MS to send its line and to take the reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "deadline.h"
#include "log.h"
#include "marknodes.h"

struct control {
	int fd;
	char *path;
	char *dir;		/* set when control_open() created it */
	gid_t group;		/* may connect; (gid_t)-1: root only */
	/* No accept() until then; zero, long past, when never paused. */
	struct timespec resume;
};

/* A handler's error message, with its NUL. */
#define ERR_MSG_MAX	256

bool control_peer_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t n,
			  gid_t control_gid)
{
	size_t i;

	if (uid == 0)
		return true;
	if (control_gid == (gid_t)-1)
		return false;
	if (gid == control_gid)
		return true;
	for (i = 0; i < n; i++)
		if (groups[i] == control_gid)
			return true;
	return false;
}

int control_split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			return argc;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = p;
		p = strchrnul(p, ' ');
		if (*p)
			*p++ = '\0';
	}
}

/*
 * A directory control_open() may set the mode and group of: one it created,
 * or one of ours that holds nothing but @name and the daemon's list of its
 * nodes (systemd's RuntimeDirectory=, a leftover of a previous run). Never
 * a shared one such as /run or /tmp.
 */
static bool dir_is_ours(const char *dir, const char *name)
{
	struct dirent *e;
	struct stat st;
	bool ours = true;
	DIR *d;

	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || st.st_mode & (S_ISVTX | S_IWOTH))
		return false;
	d = opendir(dir);
	if (!d)
		return false;
	while (ours && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, name) && strcmp(e->d_name, NODES_FILE))
			ours = false;
	closedir(d);
	return ours;
}

/* May everyone pass through @dir (others' x bit)? */
static bool dir_passable(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && st.st_mode & S_IXOTH;
}

/* Creates @dir if missing; returns 1 if it did, 0 if it was there. */
static int make_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == 0)
		return 1;
	if (errno != EEXIST)
		return -errno;
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/*
 * Group @group (if not -1) and @mode on @path, owner unchanged. No chown()
 * when the group is right already: a daemon started with that group
 * (systemd's Group=) creates files with it, and then needs neither
 * CAP_CHOWN nor the chown system calls.
 */
static int set_access(const char *path, gid_t group, mode_t mode)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	if (group != (gid_t)-1 && st.st_gid != group &&
	    chown(path, (uid_t)-1, group) < 0)
		return -errno;
	if (chmod(path, mode) < 0)
		return -errno;
	return 0;
}

/* A socket left at @path by a previous run goes; anything else stays. */
static int remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int listen_at(const char *path, gid_t group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	r = set_access(path, group, group == (gid_t)-1 ? 0600 : 0660);
	if (r == 0 && listen(fd, 16) < 0)
		r = -errno;
	if (r < 0) {
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

/*
 * The directory of c->path: created if missing, and then (or if it is ours
 * already) given @group and its mode. c->dir stays set only if created here,
 * for control_close() to remove.
 */
static int prepare_dir(struct control *c, gid_t group)
{
	mode_t mode = group == (gid_t)-1 ? 0700 : 0750;
	char *slash = strrchr(c->dir, '/');
	int created;

	if (!slash || slash == c->dir) {
		/* in the current directory or in /: nothing of ours */
		free(c->dir);
		c->dir = NULL;
		return 0;
	}
	*slash = '\0';
	created = make_dir(c->dir);
	if (created > 0)
		return set_access(c->dir, group, mode);
	/*
	 * An existing directory everyone may pass through stays as it is:
	 * systemd's RuntimeDirectory= (RuntimeDirectoryMode=0751). Each time
	 * systemd runs a command of the unit (ExecStartPost=, ExecReload=)
	 * it gives that directory back to the unit's owner and group, and
	 * everything in it too once it finds the directory changed: the
	 * socket's group would go with it. The socket's own mode and group
	 * keep others out.
	 */
	if (created == 0 && dir_is_ours(c->dir, slash + 1) &&
	    !dir_passable(c->dir))
		created = set_access(c->dir, group, mode);
	free(c->dir);
	c->dir = NULL;
	return created;
}

int control_open(const char *path, gid_t group, struct control **ret)
{
	struct sockaddr_un sa;
	struct control *c;
	int r;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->group = group;
	c->path = strdup(path);
	c->dir = strdup(path);
	r = c->path && c->dir ? prepare_dir(c, group) : -ENOMEM;
	if (r == 0)
		r = remove_stale(path);
	if (r == 0)
		r = c->fd = listen_at(path, group);
	if (r < 0) {
		c->fd = -1;
		control_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

int control_timeout_ms(const struct control *c)
{
	int ms = deadline_ms_left(&c->resume);

	return ms > 0 ? ms : -1;
}

int control_fd(const struct control *c)
{
	return control_timeout_ms(c) > 0 ? -1 : c->fd;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	if (c->dir)
		rmdir(c->dir);
	free(c->dir);
	free(c->path);
	free(c);
}

/* One connection, its peer's credentials, for logs and the access check. */
struct peer {
	int fd;
	struct ucred cred;
	struct timespec deadline;
	/* readable: stop waiting on this peer (the main loop has work) */
	const int *wake;
	size_t n_wake;
};

/* Waits for @events on the peer until its deadline or a wake fd. */
static int peer_wait(const struct peer *p, short events)
{
	return deadline_wait_fd_or(p->fd, events, p->wake, p->n_wake,
				   &p->deadline);
}

static int send_all(const struct peer *p, const char *buf, size_t len)
{
	ssize_t n;
	int r;

	while (len) {
		n = send(p->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			r = peer_wait(p, POLLOUT);
			if (r < 0)
				return r;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *errno_name(int e)
{
	const char *name = strerrorname_np(e);

	return name ? name : "EIO";
}

/* "ERR <ERRNONAME> <message>\n", the message on one line. */
static void reply_error(struct peer *p, int r, const char *msg)
{
	char line[ERR_MSG_MAX + 64];
	size_t i, start;
	int n;

	if (r > 0)
		r = -r;
	n = snprintf(line, sizeof(line), "ERR %s ", errno_name(-r));
	start = (size_t)n;
	snprintf(line + start, sizeof(line) - start - 1, "%s",
		 msg && *msg ? msg : strerror(-r));
	for (i = start; line[i]; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[i++] = '\n';
	r = send_all(p, line, i);
	if (r < 0)
		log_debug("control: cannot send the error reply to pid %d: %s",
			  (int)p->cred.pid, strerror(-r));
}

/*
 * Reads what the client already sent, without waiting: closing a unix
 * socket with unread data makes the client's read fail with ECONNRESET
 * once it has read our reply.
 */
static void drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	while (total < 64 * 1024 &&
	       (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		total += (size_t)n;
}

/* Up to @max supplementary groups of the peer in @groups; the count. */
static size_t peer_groups_proc(pid_t pid, gid_t *groups, size_t max)
{
	char path[64], *line = NULL, *p, *end;
	size_t len = 0, n = 0;
	unsigned long g;
	FILE *f;

	if (pid <= 0)
		return 0;	/* in a pid namespace we cannot see */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (getline(&line, &len, f) > 0) {
		if (strncmp(line, "Groups:", 7))
			continue;
		for (p = line + 7; n < max; p = end) {
			g = strtoul(p, &end, 10);
			if (end == p)
				break;
			groups[n++] = (gid_t)g;
		}
		break;
	}
	free(line);
	fclose(f);
	return n;
}

/*
 * The peer's supplementary groups as they were at connect(): SO_PEERGROUPS
 * (Linux 4.13), else the "Groups:" of /proc/PID/status. In a malloc()ed
 * array at *@ret (NULL if none); returns the count.
 */
static size_t peer_groups(const struct peer *p, gid_t **ret)
{
	socklen_t len = 64 * sizeof(gid_t);
	gid_t *groups;

	*ret = NULL;
	for (;;) {
		groups = malloc(len ? len : sizeof(gid_t));
		if (!groups)
			return 0;
		if (getsockopt(p->fd, SOL_SOCKET, SO_PEERGROUPS, groups,
			       &len) == 0) {
			*ret = groups;
			return len / sizeof(gid_t);
		}
		free(groups);
		if (errno != ERANGE)
			break;
	}
	groups = malloc(NGROUPS_MAX * sizeof(gid_t));
	if (!groups)
		return 0;
	*ret = groups;
	return peer_groups_proc(p->cred.pid, groups, NGROUPS_MAX);
}

static bool peer_allowed(const struct peer *p, gid_t control_gid)
{
	gid_t *groups;
	size_t n;
	bool ok;

	if (p->cred.uid == 0)
		return true;
	n = peer_groups(p, &groups);
	ok = control_peer_allowed(p->cred.uid, p->cred.gid, groups, n,
				  control_gid);
	free(groups);
	return ok;
}

/*
 * The request line into @line, NUL-terminated without its "\n": 0, or
 * -EMSGSIZE (no "\n" in DH_CONTROL_LINE_MAX bytes), -EPROTO (end of
 * stream before a "\n"), -ENODATA (closed without sending anything),
 * -ETIMEDOUT, -ECANCELED (a wake fd), -errno.
 */
static int read_request(struct peer *p, char *line)
{
	size_t len = 0;
	char *nl;
	ssize_t n;
	int r;

	for (;;) {
		r = peer_wait(p, POLLIN);
		if (r < 0)
			return r;
		n = recv(p->fd, line + len, DH_CONTROL_LINE_MAX - len,
			 MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return len ? -EPROTO : -ENODATA;
		nl = memchr(line + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl) {
			*nl = '\0';
			return memchr(line, '\0', (size_t)(nl - line)) ?
				       -EILSEQ : 0;
		}
		if (len == DH_CONTROL_LINE_MAX)
			return -EMSGSIZE;
	}
}

/* Runs the handler on @line and sends its reply. */
static void run_request(struct peer *p, char *line, control_handler_t handler,
			void *userdata)
{
	char *argv[DH_CONTROL_ARGS_MAX + 1] = { NULL };
	char err[ERR_MSG_MAX] = "", *payload = NULL;
	size_t size = 0;
	FILE *out;
	int argc, r;

	argc = control_split(line, argv, DH_CONTROL_ARGS_MAX);
	if (argc < 0) {
		snprintf(err, sizeof(err), "too many words: at most %d",
			 DH_CONTROL_ARGS_MAX);
		reply_error(p, argc, err);
		return;
	}
	out = open_memstream(&payload, &size);
	if (!out) {
		reply_error(p, -ENOMEM, "out of memory");
		return;
	}
	r = handler(userdata, argc, argv, out, err, sizeof(err));
	if (fclose(out) != 0 && r >= 0) {
		r = -ENOMEM;
		snprintf(err, sizeof(err), "out of memory");
	}
	/* the handler's time is not the client's: it has 1 s to take the reply */
	deadline_in(&p->deadline, DH_CONTROL_TIMEOUT_MS);
	if (r < 0) {
		reply_error(p, r, err);
		free(payload);
		return;
	}
	r = send_all(p, "OK\n", 3);
	if (r == 0)
		r = send_all(p, payload, size);
	if (r < 0)
		log_notice("control: cannot send the reply to \"%s\" to pid %d uid %u: %s",
			   argc ? argv[0] : "", (int)p->cred.pid,
			   (unsigned int)p->cred.uid, strerror(-r));
	free(payload);
}

/* Serves one connection; -ECANCELED if a wake fd ended it, else 0. */
static int serve(int fd, gid_t control_gid, const int *wake, size_t n_wake,
		 control_handler_t handler, void *userdata)
{
	const struct timeval tv = {
		.tv_sec = DH_CONTROL_TIMEOUT_MS / 1000,
		.tv_usec = (DH_CONTROL_TIMEOUT_MS % 1000) * 1000,
	};
	char line[DH_CONTROL_LINE_MAX + 1];
	struct peer p = { .fd = fd, .wake = wake, .n_wake = n_wake };
	socklen_t len = sizeof(p.cred);
	int r;

	deadline_in(&p.deadline, DH_CONTROL_TIMEOUT_MS);
	/* a backstop: every wait below is bounded by the deadline already */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &p.cred, &len) < 0) {
		log_warning("control: cannot read the credentials of a client: %m");
		return 0;
	}
	if (!peer_allowed(&p, control_gid)) {
		log_notice("control: refused pid %d uid %u gid %u: neither root nor in the control group",
			   (int)p.cred.pid, (unsigned int)p.cred.uid,
			   (unsigned int)p.cred.gid);
		drain(fd);
		reply_error(&p, -EACCES,
			    control_gid == (gid_t)-1 ?
				    "permission denied: only root may use the control socket" :
				    "permission denied: needs root or the daemon's ControlGroup=");
		return 0;
	}

	r = read_request(&p, line);
	switch (r) {
	case 0:
		log_debug("control: pid %d uid %u: \"%s\"", (int)p.cred.pid,
			  (unsigned int)p.cred.uid, line);
		run_request(&p, line, handler, userdata);
		break;
	case -EMSGSIZE:
		reply_error(&p, -EINVAL, "request too long: at most 1023 bytes and a newline");
		break;
	case -EPROTO:
		reply_error(&p, -EINVAL, "request not terminated by a newline");
		break;
	case -EILSEQ:
		reply_error(&p, -EINVAL, "request contains a NUL byte");
		break;
	case -ENODATA:
		log_debug("control: pid %d closed without a request",
			  (int)p.cred.pid);
		return 0;
	case -ETIMEDOUT:
		log_notice("control: pid %d uid %u sent no request within %d ms; dropped",
			   (int)p.cred.pid, (unsigned int)p.cred.uid,
			   DH_CONTROL_TIMEOUT_MS);
		return 0;
	case -ECANCELED:
		log_notice("control: pid %d uid %u dropped before its request: a signal or a worker's failure comes first",
			   (int)p.cred.pid, (unsigned int)p.cred.uid);
		return r;
	default:
		log_notice("control: cannot read the request of pid %d uid %u: %s",
			   (int)p.cred.pid, (unsigned int)p.cred.uid,
			   strerror(-r));
		return 0;
	}
	drain(fd);
	return 0;
}

void control_handle(struct control *c, const int *wake, size_t n_wake,
		    control_handler_t handler, void *userdata)
{
	unsigned int i;
	int fd, r;

	if (control_fd(c) < 0)
		return;
	for (i = 0; i < DH_CONTROL_BATCH; i++) {
		/* the main loop's work first; the rest stays pending */
		if (n_wake && deadline_woken(wake, n_wake))
			return;
		fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN)
				return;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: it stays pending. */
			log_warning("control: cannot accept a connection: %m; trying again in %d ms",
				    DH_CONTROL_PAUSE_MS);
			deadline_in(&c->resume, DH_CONTROL_PAUSE_MS);
			return;
		}
		r = serve(fd, c->group, wake, n_wake, handler, userdata);
		close(fd);
		if (r == -ECANCELED)
			return;
	}
}
