// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the request framing of daemon/control.c, on a real
 * socket: the input is what one client sends before it shuts down its
 * side; the server (control_handle(), the daemon's code) reads, splits,
 * calls a handler and replies. The reply is checked against a model of
 * docs/control.md: the framing errors, the words the handler got, and an
 * ERR reply being one line whatever the handler's message holds. Any
 * broken promise abort()s.
 *
 * The handler echoes its words as the payload: "N\n" then each word and
 * "\n". Given "err MESSAGE ERRNO-WORD", it fails instead, with MESSAGE as
 * its text (any bytes but space) and the errno the length of ERRNO-WORD
 * (0: no error), so every errno name and odd message is replied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static struct control *server;
static char sock_path[108];

static void server_open(void)
{
	char dir[] = "/tmp/fuzz-control.XXXXXX";

	check(mkdtemp(dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/control", dir);
	/* our group: this process is always allowed, root or not */
	check(control_open(sock_path, getegid(), &server) == 0);
	log_init(false);
}

static int handler_argc = -1;

static int handler(void *userdata, int argc, char **argv, FILE *out,
		   char *err, size_t err_size)
{
	int i;

	handler_argc = argc;
	if (argc >= 1 && !strcmp(argv[0], "err")) {
		snprintf(err, err_size, "%s", argc > 1 ? argv[1] : "");
		return argc > 2 ? -(int)(strlen(argv[2]) % 140) : -EIO;
	}
	fprintf(out, "%d\n", argc);
	for (i = 0; i < argc; i++)
		fprintf(out, "%s\n", argv[i]);
	return 0;
}

/* Everything the server sent until it closed, NUL-terminated (malloc). */
static char *read_reply(int fd, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	check(buf != NULL);
	for (;;) {
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			check(buf != NULL);
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		check(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/* The model's words of the line @line (no "\n"), at most @max + 1. */
static int model_split(const char *line, size_t len, char words[][1024],
		       int max)
{
	size_t i = 0, start;
	int n = 0;

	for (;;) {
		while (i < len && line[i] == ' ')
			i++;
		if (i == len)
			return n;
		if (n == max)
			return n + 1;	/* too many */
		start = i;
		while (i < len && line[i] != ' ')
			i++;
		memcpy(words[n], line + start, i - start);
		words[n][i - start] = '\0';
		n++;
	}
}

/* An "ERR NAME text\n" reply: one line, a name like E[A-Z0-9]+. */
static void check_err(const char *reply, size_t len, const char *name)
{
	const char *p;

	check(len > 4 && !strncmp(reply, "ERR E", 5));
	check(reply[len - 1] == '\n');
	check(memchr(reply, '\n', len) == reply + len - 1);
	check(memchr(reply, '\r', len) == NULL);
	check(strlen(reply) == len);	/* no NUL */
	for (p = reply + 4; *p != ' '; p++)
		check((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
	if (name)
		check(!strncmp(reply + 4, name, strlen(name)) &&
		      reply[4 + strlen(name)] == ' ');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char words[DH_CONTROL_ARGS_MAX + 1][1024];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *line = (const char *)data, *nl;
	char *reply, expect[DH_CONTROL_LINE_MAX + 64];
	size_t len, line_len, off;
	int fd, n, i;
	ssize_t w;

	if (!server)
		server_open();
	/* what the socket takes at once: the server reads at most a line */
	if (size > 16384)
		return 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	check(fd >= 0);
	check(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	for (off = 0; off < size; off += (size_t)w) {
		w = write(fd, data + off, size - off);
		check(w > 0);
	}
	check(shutdown(fd, SHUT_WR) == 0);
	handler_argc = -1;
	control_handle(server, NULL, 0, handler, NULL);
	reply = read_reply(fd, &len);
	close(fd);

	/* The model of docs/control.md's framing table. */
	nl = memchr(line, '\n', size < DH_CONTROL_LINE_MAX ? size :
						       DH_CONTROL_LINE_MAX);
	if (!nl) {
		check(handler_argc == -1);
		if (size >= DH_CONTROL_LINE_MAX)
			check_err(reply, len, "EINVAL"),
			check(strstr(reply, "too long") != NULL);
		else if (size == 0)
			check(len == 0);
		else
			check_err(reply, len, "EINVAL"),
			check(strstr(reply, "not terminated") != NULL);
		goto out;
	}
	line_len = (size_t)(nl - line);
	if (memchr(line, '\0', line_len)) {
		check(handler_argc == -1);
		check_err(reply, len, "EINVAL");
		check(strstr(reply, "NUL byte") != NULL);
		goto out;
	}
	n = model_split(line, line_len, words, DH_CONTROL_ARGS_MAX);
	if (n > DH_CONTROL_ARGS_MAX) {
		check(handler_argc == -1);
		check_err(reply, len, "E2BIG");
		goto out;
	}
	check(handler_argc == n);
	if (n >= 1 && !strcmp(words[0], "err")) {
		if (n > 2 && strlen(words[2]) % 140 == 0)
			check(len == 3 && !memcmp(reply, "OK\n", 3));
		else
			check_err(reply, len, n > 2 ? NULL : "EIO");
		goto out;
	}
	/* "OK\n" and the echo, byte for byte */
	check(len >= 3 && !memcmp(reply, "OK\n", 3));
	off = (size_t)snprintf(expect, sizeof(expect), "%d\n", n);
	check(len >= 3 + off && !memcmp(reply + 3, expect, off));
	off += 3;
	for (i = 0; i < n; i++) {
		size_t wl = strlen(words[i]);

		check(len >= off + wl + 1 && !memcmp(reply + off, words[i], wl) &&
		      reply[off + wl] == '\n');
		off += wl + 1;
	}
	check(off == len);
out:
	free(reply);
	return 0;
}
