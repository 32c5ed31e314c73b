// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheapctl: asks a running dmaheapd over its control socket
 * (docs/control.md). Sends the command line as one request line and prints
 * the reply's payload as it comes; what the commands mean is the daemon's
 * business, so unknown ones get the daemon's own message.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "deadline.h"

#ifndef DMAHEAPD_VERSION
#define DMAHEAPD_VERSION "unknown"
#endif

#define EXIT_SERVER	1	/* the daemon answered ERR */
#define EXIT_USAGE	2
#define EXIT_CONNECT	3	/* no daemon, no access, no (valid) reply */

/*
 * From connect() to the end of the reply. reload may take a moment: the
 * daemon checks the whole configuration.
 */
#define REPLY_TIMEOUT_MS	30000

/* The first line of a reply: "OK" or "ERR <ERRNONAME> <message>". */
#define STATUS_LINE_MAX		1024

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: dmaheapctl [OPTION]... COMMAND [ARG]...\n"
		"Ask the running dmaheapd.\n\n"
		"Commands:\n"
		"  heaps                the heaps, their nodes, limits and live buffers\n"
		"  buffers [--by=process|uid|heap|buffer]\n"
		"                       live buffers per process (default), uid or heap,\n"
		"                       or each buffer\n"
		"  status               the daemon's and the helper's counters\n"
		"  reload               re-read the configuration, like SIGHUP\n\n"
		"Options:\n"
		"      --json           print JSON instead of text\n"
		"      --socket=PATH    the control socket (default %s)\n"
		"  -h, --help           show this help\n"
		"  -V, --version        show the version\n\n"
		"Exit status: 0 done, 1 the daemon refused or failed, 2 usage,\n"
		"3 no connection or no reply.\n",
		DH_CONTROL_PATH);
}

static void __attribute__((format(printf, 1, 2))) error(const char *fmt, ...)
{
	va_list ap;

	fputs("dmaheapctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct args {
	const char *socket;
	bool json;
	const char *words[DH_CONTROL_ARGS_MAX];
	int n_words;
};

/* A word the protocol can carry: not empty, no space or control character. */
static bool word_ok(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if ((unsigned char)*w <= ' ' || *w == 0x7f)
			return false;
	return true;
}

static int add_word(struct args *a, const char *w)
{
	if (!word_ok(w)) {
		error("\"%s\": a word may not be empty nor contain spaces or control characters",
		      w);
		return -EINVAL;
	}
	if (a->n_words == DH_CONTROL_ARGS_MAX) {
		error("too many words: at most %d", DH_CONTROL_ARGS_MAX);
		return -E2BIG;
	}
	a->words[a->n_words++] = w;
	return 0;
}

/*
 * Options of dmaheapctl itself anywhere; before the command, anything else
 * starting with "-" is an error, after it an argument of the command.
 * Returns 0, 1 after --help/--version, or -errno after a usage error.
 */
static int parse_args(int argc, char **argv, struct args *a)
{
	const char *arg;
	int i;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (!strcmp(arg, "--json")) {
			a->json = true;
		} else if (!strncmp(arg, "--socket=", 9)) {
			a->socket = arg + 9;
		} else if (!strcmp(arg, "--socket")) {
			if (++i == argc) {
				error("--socket wants a path");
				return -EINVAL;
			}
			a->socket = argv[i];
		} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
			printf("dmaheapctl %s\n", DMAHEAPD_VERSION);
			return 1;
		} else if (!a->n_words && arg[0] == '-') {
			error("unknown option \"%s\"", arg);
			usage(stderr);
			return -EINVAL;
		} else if (add_word(a, arg) < 0) {
			return -EINVAL;
		}
	}
	if (!a->n_words) {
		error("no command given; try heaps, buffers, status or reload (--help)");
		return -EINVAL;
	}
	if (!*a->socket) {
		error("--socket wants a path");
		return -EINVAL;
	}
	return a->json ? add_word(a, "--json") : 0;
}

/* The request line with its "\n" into @line; -EMSGSIZE if too long. */
static int build_line(const struct args *a, char *line, size_t size)
{
	size_t len = 0;
	int i, n;

	for (i = 0; i < a->n_words; i++) {
		n = snprintf(line + len, size - len, "%s%s", i ? " " : "",
			     a->words[i]);
		if (n < 0 || (size_t)n >= size - len)
			return -EMSGSIZE;
		len += (size_t)n;
	}
	if (len + 1 >= size)
		return -EMSGSIZE;
	line[len++] = '\n';
	line[len] = '\0';
	return (int)len;
}

/*
 * connect() that gives up at @deadline with -EAGAIN. A daemon stopped or
 * stuck with its listening backlog full holds a blocking connect() until it
 * accepts again, for ever; a non-blocking one fails at once with EAGAIN
 * (unix sockets do not return EINPROGRESS), and poll() cannot wait for room.
 * SO_SNDTIMEO bounds the wait (socket(7)), which ends in EAGAIN; the kernel
 * wakes us as soon as the daemon accepts one. At most 1 s a step: the
 * kernel's timer for a longer wait may fire up to an eighth of it late (30 s
 * took 31.5 s). Later I/O does not block either way: MSG_DONTWAIT, polled
 * until the same deadline.
 */
static int connect_by(int fd, const struct sockaddr_un *sa,
		      const struct timespec *deadline)
{
	struct timeval tv;
	int ms;

	for (;;) {
		ms = deadline_ms_left(deadline);
		if (!ms)	/* a timeout of 0 would be none */
			return -EAGAIN;
		if (ms > 1000)
			ms = 1000;
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
			       sizeof(tv)) < 0)
			return -errno;
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		/* EINTR: stopped and continued (signal(7)) */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

static int connect_to(const char *path, const struct timespec *deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		error("%s: socket path too long: at most %zu bytes", path,
		      sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		error("socket: %s", strerror(-r));
		return r;
	}
	r = connect_by(fd, &sa, deadline);
	if (r == 0)
		return fd;
	close(fd);
	switch (r) {
	case -ENOENT:
	case -ECONNREFUSED:
		error("cannot connect to %s: %s; is dmaheapd running?", path,
		      strerror(-r));
		break;
	case -EACCES:
	case -EPERM:
		error("cannot connect to %s: %s; dmaheapctl needs root or the daemon's ControlGroup=",
		      path, strerror(-r));
		break;
	case -EAGAIN:
		error("cannot connect to %s: no answer within %d s; is dmaheapd stuck?",
		      path, REPLY_TIMEOUT_MS / 1000);
		break;
	default:
		error("cannot connect to %s: %s", path, strerror(-r));
	}
	return r;
}

static int send_line(int fd, const char *line, size_t len,
		     const struct timespec *deadline)
{
	ssize_t n;
	int r;

	while (len) {
		r = deadline_wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
		n = send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		line += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_out(const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(STDOUT_FILENO, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Up to @size bytes of the reply into @buf: their count, 0 at its end, -errno. */
static ssize_t recv_some(int fd, char *buf, size_t size,
			 const struct timespec *deadline)
{
	ssize_t n;
	int r;

	for (;;) {
		r = deadline_wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			return r;
		n = recv(fd, buf, size, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
	}
}

static int reply_error(int r, const char *path)
{
	if (r == -ETIMEDOUT)
		error("no reply from dmaheapd within %d s (%s)",
		      REPLY_TIMEOUT_MS / 1000, path);
	else if (r == 0)
		error("dmaheapd closed the connection without a reply (%s)",
		      path);
	else
		error("cannot read the reply from %s: %s", path, strerror(-r));
	return EXIT_CONNECT;
}

/* "ERR <ERRNONAME> <message>": the message, on stderr. */
static int print_error(char *status)
{
	char *msg = strchr(status + 4, ' ');

	error("%s", msg ? msg + 1 : status + 4);
	return EXIT_SERVER;
}

/*
 * The status line, then (after OK) the payload, verbatim to stdout until
 * the daemon closes. Returns the exit status.
 */
static int read_reply(int fd, const char *path, const struct timespec *deadline)
{
	char buf[65536], status[STATUS_LINE_MAX + 1];
	size_t len = 0, rest;
	char *nl = NULL;
	ssize_t n;
	int r;

	while (!nl) {
		n = recv_some(fd, status + len, STATUS_LINE_MAX - len, deadline);
		if (n <= 0)
			return reply_error((int)n, path);
		nl = memchr(status + len, '\n', (size_t)n);
		len += (size_t)n;
		if (!nl && len == STATUS_LINE_MAX) {
			error("unexpected reply from %s: no status line", path);
			return EXIT_CONNECT;
		}
	}
	*nl = '\0';
	rest = len - (size_t)(nl + 1 - status);
	if (!strncmp(status, "ERR ", 4))
		return print_error(status);
	if (strcmp(status, "OK")) {
		error("unexpected reply from %s: \"%.80s\"", path, status);
		return EXIT_CONNECT;
	}
	r = write_out(nl + 1, rest);
	while (r == 0) {
		n = recv_some(fd, buf, sizeof(buf), deadline);
		if (n == 0)
			return EXIT_SUCCESS;
		if (n < 0)
			return reply_error((int)n, path);
		r = write_out(buf, (size_t)n);
	}
	/* nobody reads any more (dmaheapctl buffers | head -1): no error */
	if (r == -EPIPE)
		return EXIT_SUCCESS;
	error("cannot write to standard output: %s", strerror(-r));
	return EXIT_SERVER;
}

int main(int argc, char **argv)
{
	struct args a = { .socket = DH_CONTROL_PATH };
	char line[DH_CONTROL_LINE_MAX + 1];
	struct timespec deadline;
	int fd, len, r;

	/* stdout closed early is EPIPE, for read_reply() to end quietly */
	signal(SIGPIPE, SIG_IGN);
	r = parse_args(argc, argv, &a);
	if (r)
		return r > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	len = build_line(&a, line, sizeof(line));
	if (len < 0) {
		error("command line too long: at most %d bytes", DH_CONTROL_LINE_MAX - 1);
		return EXIT_USAGE;
	}

	deadline_in(&deadline, REPLY_TIMEOUT_MS);
	fd = connect_to(a.socket, &deadline);
	if (fd < 0)
		return fd == -ENAMETOOLONG ? EXIT_USAGE : EXIT_CONNECT;
	r = send_line(fd, line, (size_t)len, &deadline);
	/* the daemon may have refused us before reading: its reply says why */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
		error("cannot send the request to %s: %s", a.socket,
		      strerror(-r));
		close(fd);
		return EXIT_CONNECT;
	}
	r = read_reply(fd, a.socket, &deadline);
	close(fd);
	return r;
}
