// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of daemon/control.c: the access rule, the request splitting,
 * and real round trips on a socket in a temporary directory, served on this
 * thread (the client connects and writes first: the listening socket's
 * backlog holds the connection until control_handle() accepts it). With
 * $DMAHEAPCTL set (meson does), the real client against the same server.
 * As root, peers of other uids and groups are forked.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control.h"
#include "deadline.h"
#include "marknodes.h"
#include "log.h"
#include "unit-helpers.h"

#define NOBODY		65534
#define OTHER_GID	54321

static char tmpdir[64];
static char sock_path[96];
static int handler_calls;

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-control.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	/* a directory control_open() creates */
	snprintf(sock_path, sizeof(sock_path), "%s/run/control", tmpdir);
	handler_calls = 0;
	return 0;
}

static int teardown(void **state)
{
	char run[160];

	snprintf(run, sizeof(run), "%s/run", tmpdir);
	rmdir(run);
	snprintf(run, sizeof(run), "%s/stuck", tmpdir);
	unlink(run);
	assert_int_equal(rmdir(tmpdir), 0);
	return 0;
}

/* Echoes its words; "fail" answers ENOENT, "fail-quiet" EIO without text. */
static int echo_handler(void *userdata, int argc, char **argv, FILE *out,
			char *err, size_t err_size)
{
	int i;

	handler_calls++;
	fprintf(out, "%d", argc);
	for (i = 0; i < argc; i++)
		fprintf(out, " [%s]", argv[i]);
	fputc('\n', out);
	if (argc && !strcmp(argv[0], "fail")) {
		snprintf(err, err_size, "unknown command \"%s\"\nsecond line",
			 argc > 1 ? argv[1] : "");
		return -ENOENT;
	}
	if (argc && !strcmp(argv[0], "fail-quiet"))
		return -EIO;
	if (argc && !strcmp(argv[0], "slow-big")) {
		/* longer than the client's timeout, more than a socket buffer */
		usleep((DH_CONTROL_TIMEOUT_MS + 200) * 1000);
		for (i = 0; i < 512 * 1024; i++)
			fputc('z', out);
	}
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Everything until EOF, NUL-terminated, in a static buffer. */
static const char *read_all(int fd)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	assert_true(n == 0);
	buf[len] = '\0';
	return buf;
}

/* Sends @len bytes of @req, serves, returns the reply. */
static const char *round_trip(struct control *c, const char *req, size_t len)
{
	int fd = connect_to(sock_path);
	const char *reply;

	assert_int_equal(write(fd, req, len), (ssize_t)len);
	control_handle(c, NULL, 0, echo_handler, NULL);
	reply = read_all(fd);
	close(fd);
	return reply;
}

static const char *request(struct control *c, const char *req)
{
	return round_trip(c, req, strlen(req));
}

static struct control *open_control(gid_t group)
{
	struct control *c = NULL;

	assert_int_equal(control_open(sock_path, group, &c), 0);
	assert_non_null(c);
	assert_true(control_fd(c) >= 0);
	return c;
}

static void test_peer_allowed(void **state)
{
	const gid_t groups[] = { 44, 100, 1000 };

	/* root, whatever the group */
	assert_true(control_peer_allowed(0, 0, NULL, 0, (gid_t)-1));
	assert_true(control_peer_allowed(0, 5, NULL, 0, 44));
	/* root only */
	assert_false(control_peer_allowed(1000, 1000, groups, 3, (gid_t)-1));
	assert_false(control_peer_allowed(1000, (gid_t)-1, NULL, 0, (gid_t)-1));
	/* the primary group */
	assert_true(control_peer_allowed(1000, 44, NULL, 0, 44));
	/* a supplementary group, first, middle or last */
	assert_true(control_peer_allowed(1000, 1000, groups, 3, 44));
	assert_true(control_peer_allowed(1000, 1000, groups, 3, 100));
	assert_true(control_peer_allowed(1000, 1000, groups, 3, 1000));
	/* none of them */
	assert_false(control_peer_allowed(1000, 1000, groups, 3, 45));
	assert_false(control_peer_allowed(1000, 1000, NULL, 0, 44));
	/* only the first n groups count */
	assert_false(control_peer_allowed(1000, 5000, groups, 2, 1000));
}

static void test_split(void **state)
{
	char *argv[DH_CONTROL_ARGS_MAX];
	char line[256];
	int i;

	snprintf(line, sizeof(line), "buffers --by=uid --json");
	assert_int_equal(control_split(line, argv, DH_CONTROL_ARGS_MAX), 3);
	assert_string_equal(argv[0], "buffers");
	assert_string_equal(argv[1], "--by=uid");
	assert_string_equal(argv[2], "--json");

	line[0] = '\0';
	assert_int_equal(control_split(line, argv, DH_CONTROL_ARGS_MAX), 0);
	snprintf(line, sizeof(line), "   ");
	assert_int_equal(control_split(line, argv, DH_CONTROL_ARGS_MAX), 0);
	snprintf(line, sizeof(line), " heaps  --json ");
	assert_int_equal(control_split(line, argv, DH_CONTROL_ARGS_MAX), 2);
	assert_string_equal(argv[0], "heaps");
	assert_string_equal(argv[1], "--json");

	line[0] = '\0';
	for (i = 0; i < DH_CONTROL_ARGS_MAX; i++)
		strcat(line, "w ");
	assert_int_equal(control_split(line, argv, DH_CONTROL_ARGS_MAX),
			 DH_CONTROL_ARGS_MAX);
	line[0] = '\0';
	for (i = 0; i <= DH_CONTROL_ARGS_MAX; i++)
		strcat(line, "w ");
	assert_int_equal(control_split(line, argv, DH_CONTROL_ARGS_MAX),
			 -E2BIG);
}

/* What a daemon killed by SIGKILL leaves. */
static void stale_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static void test_open_modes(void **state)
{
	struct control *c = open_control(getegid());
	struct stat st;
	char run[160], other[192];

	snprintf(run, sizeof(run), "%s/run", tmpdir);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getegid());
	control_close(c);
	/* gone, and the directory it created too */
	assert_int_equal(stat(sock_path, &st), -1);
	assert_int_equal(stat(run, &st), -1);

	/*
	 * root only; a stale socket in an existing directory of ours (a
	 * leftover: 0750) is replaced, and the directory made root's
	 */
	assert_int_equal(mkdir(run, 0750), 0);
	stale_socket(sock_path);
	c = open_control((gid_t)-1);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	control_close(c);

	/*
	 * With the list of nodes a killed daemon left beside its socket: still
	 * ours. With anything else: not ours, its mode stays.
	 */
	snprintf(other, sizeof(other), "%s/" NODES_FILE, run);
	assert_int_equal(chmod(run, 0750), 0);
	stale_socket(sock_path);
	close(open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	c = open_control((gid_t)-1);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	control_close(c);
	assert_int_equal(unlink(other), 0);
	snprintf(other, sizeof(other), "%s/other", run);
	assert_int_equal(chmod(run, 0750), 0);
	close(open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	c = open_control((gid_t)-1);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	control_close(c);
	assert_int_equal(unlink(other), 0);

	/*
	 * systemd's RuntimeDirectory= (0751): left as it is, group and mode,
	 * else systemd would give everything in it back to root when it runs
	 * ExecStartPost= or ExecReload=; the socket gets the group.
	 */
	assert_int_equal(chmod(run, 0751), 0);
	c = open_control(getegid());
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0751);
	assert_int_equal(stat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getegid());
	control_close(c);
}

static void test_open_errors(void **state)
{
	struct control *c = NULL;
	char path[256];
	int fd;

	/* not a socket: left alone */
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(control_open(path, (gid_t)-1, &c), -EEXIST);
	assert_null(c);
	assert_int_equal(unlink(path), 0);

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(control_open(path, (gid_t)-1, &c), -ENAMETOOLONG);
	assert_int_equal(control_open("", (gid_t)-1, &c), -ENAMETOOLONG);
	assert_null(c);
}

static void test_ok(void **state)
{
	struct control *c = open_control(getegid());

	assert_string_equal(request(c, "heaps --json\n"),
			    "OK\n2 [heaps] [--json]\n");
	assert_string_equal(request(c, "buffers --by=uid --json\n"),
			    "OK\n3 [buffers] [--by=uid] [--json]\n");
	/* empty requests are the handler's business */
	assert_string_equal(request(c, "\n"), "OK\n0\n");
	assert_int_equal(handler_calls, 3);
	control_close(c);
}

static void test_err(void **state)
{
	struct control *c = open_control(getegid());

	/* the payload goes, the message stays on one line */
	assert_string_equal(request(c, "fail frob\n"),
			    "ERR ENOENT unknown command \"frob\" second line\n");
	assert_string_equal(request(c, "fail-quiet\n"),
			    "ERR EIO Input/output error\n");
	assert_string_equal(request(c, "a b c d e f g h i j k l m n o p q\n"),
			    "ERR E2BIG too many words: at most 16\n");
	assert_string_equal(round_trip(c, "a\0b\n", 4),
			    "ERR EINVAL request contains a NUL byte\n");
	assert_int_equal(handler_calls, 2);
	control_close(c);
}

static void test_too_long(void **state)
{
	struct control *c = open_control(getegid());
	char req[DH_CONTROL_LINE_MAX + 100];
	const char *reply;

	/* the longest: 1023 bytes and the newline */
	memset(req, 'x', sizeof(req));
	req[DH_CONTROL_LINE_MAX - 1] = '\n';
	reply = round_trip(c, req, DH_CONTROL_LINE_MAX);
	assert_int_equal(strncmp(reply, "OK\n1 [xxx", 9), 0);
	assert_int_equal(strlen(reply), 3 + 2 + 1 + 1023 + 1 + 1);

	req[DH_CONTROL_LINE_MAX - 1] = 'x';
	req[DH_CONTROL_LINE_MAX] = '\n';
	assert_string_equal(round_trip(c, req, DH_CONTROL_LINE_MAX + 1),
			    "ERR EINVAL request too long: at most 1023 bytes and a newline\n");
	/* no newline at all, more than fits */
	req[DH_CONTROL_LINE_MAX] = 'x';
	assert_string_equal(round_trip(c, req, sizeof(req)),
			    "ERR EINVAL request too long: at most 1023 bytes and a newline\n");
	assert_int_equal(handler_calls, 1);
	control_close(c);
}

static void test_not_terminated(void **state)
{
	struct control *c = open_control(getegid());
	int fd = connect_to(sock_path);

	assert_int_equal(write(fd, "heaps", 5), 5);
	shutdown(fd, SHUT_WR);
	control_handle(c, NULL, 0, echo_handler, NULL);
	assert_string_equal(read_all(fd),
			    "ERR EINVAL request not terminated by a newline\n");
	close(fd);
	assert_int_equal(handler_calls, 0);
	control_close(c);
}

/* A client that sends nothing costs the server its timeout, no more. */
static void test_silent_client(void **state)
{
	struct control *c = open_control(getegid());
	int silent = connect_to(sock_path), fd;
	double t;

	/* a client that connects and goes costs nothing */
	fd = connect_to(sock_path);
	close(fd);
	t = now_s();
	control_handle(c, NULL, 0, echo_handler, NULL);
	t = now_s() - t;
	print_message("served a silent client in %.3f s\n", t);
	assert_true(t >= DH_CONTROL_TIMEOUT_MS / 1000.0 - 0.05);
	assert_true(t < DH_CONTROL_TIMEOUT_MS / 1000.0 + 0.5);
	assert_string_equal(read_all(silent), "");
	close(silent);
	assert_int_equal(handler_calls, 0);

	/* and the server goes on */
	assert_string_equal(request(c, "status\n"), "OK\n1 [status]\n");
	control_close(c);
}

/*
 * Non-blocking connects to @path until its listening backlog is full (the
 * next one fails with EAGAIN), at most @max: their fds into @fd, their
 * number returned.
 */
static int fill_backlog(const char *path, int *fd, int max)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (n = 0; n < max; n++) {
		fd[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
			       SOCK_NONBLOCK, 0);
		assert_true(fd[n] >= 0);
		if (connect(fd[n], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			assert_int_equal(errno, EAGAIN);	/* backlog full */
			close(fd[n]);
			break;
		}
	}
	return n;
}

static void *send_sigterm(void *arg)
{
	usleep(300 * 1000);
	kill(getpid(), SIGTERM);
	return NULL;
}

/*
 * Silent clients (what a ControlGroup= member can open at will: as many
 * as the listening backlog takes at once, more as they are accepted) and
 * a SIGTERM: the server lets go within a moment of the signal, as the
 * daemon's main loop passes its signalfd among the wake fds, not after a
 * timeout per client.
 */
static void test_signal_ends_silent_clients(void **state)
{
	struct control *c = open_control(getegid());
	int silent[DH_CONTROL_BATCH], n, sfd, i;
	struct signalfd_siginfo si;
	sigset_t mask, old;
	pthread_t thread;
	double t0, t;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &mask, &old), 0);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	assert_true(sfd >= 0);
	n = fill_backlog(sock_path, silent, DH_CONTROL_BATCH);
	assert_true(n > 2);

	t0 = now_s();
	assert_int_equal(pthread_create(&thread, NULL, send_sigterm, NULL), 0);
	control_handle(c, &sfd, 1, echo_handler, NULL);
	t = now_s() - t0;
	print_message("%d silent clients, SIGTERM after 0.3 s: returned after %.3f s\n",
		      n, t);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(t < 0.3 + 0.7);
	assert_int_equal(read(sfd, &si, sizeof(si)), sizeof(si));
	assert_int_equal(si.ssi_signo, SIGTERM);
	assert_int_equal(handler_calls, 0);

	/* a signal already pending: back at once */
	kill(getpid(), SIGTERM);
	t0 = now_s();
	control_handle(c, &sfd, 1, echo_handler, NULL);
	t = now_s() - t0;
	print_message("with a signal pending: returned after %.3f s\n", t);
	assert_true(t < 0.2);
	assert_int_equal(read(sfd, &si, sizeof(si)), sizeof(si));

	for (i = 0; i < n; i++)
		close(silent[i]);
	/* the clients that went cost nothing, and the server goes on */
	assert_string_equal(request(c, "status\n"), "OK\n1 [status]\n");
	close(sfd);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	control_close(c);
}

/*
 * A handler slower than the client's timeout with a payload larger than the
 * socket buffer: the client gets it all, read as the server writes it.
 */
static void test_slow_big_reply(void **state)
{
	struct control *c = open_control(getegid());
	const size_t head = strlen("OK\n1 [slow-big]\n");
	size_t len = 0, i;
	char buf[65536];
	int fd, status;
	ssize_t n;
	pid_t pid;

	fd = connect_to(sock_path);
	assert_int_equal(write(fd, "slow-big\n", 9), 9);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		control_handle(c, NULL, 0, echo_handler, NULL);
		_exit(0);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < (size_t)n; i++)
			if (len + i >= head && buf[i] != 'z')
				fail_msg("byte %zu is '%c'", len + i, buf[i]);
		len += (size_t)n;
	}
	assert_int_equal(n, 0);
	assert_int_equal(len, head + 512 * 1024);
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	control_close(c);
}

/* Several pending connections in one call. */
static void test_batch(void **state)
{
	struct control *c = open_control(getegid());
	int fd[3], i;

	for (i = 0; i < 3; i++) {
		fd[i] = connect_to(sock_path);
		assert_int_equal(write(fd[i], "heaps\n", 6), 6);
	}
	control_handle(c, NULL, 0, echo_handler, NULL);
	for (i = 0; i < 3; i++) {
		assert_string_equal(read_all(fd[i]), "OK\n1 [heaps]\n");
		close(fd[i]);
	}
	/* nothing pending: returns at once */
	control_handle(c, NULL, 0, echo_handler, NULL);
	assert_int_equal(handler_calls, 3);
	control_close(c);
}

/*
 * accept() failing for want of fds (EMFILE here; ENFILE, which any user can
 * bring about, the same) leaves the connection pending and the socket
 * readable: the main loop would poll it again at once, spinning and
 * logging. Accepting pauses for a second instead: no fd to poll, a
 * timeout to wait; then connections are served again.
 */
static void test_accept_out_of_fds(void **state)
{
	struct control *c = open_control(getegid());
	struct rlimit old, low;
	int fd, fd2, spare[1024], n = 0, ms;

	fd = connect_to(sock_path);
	assert_int_equal(write(fd, "heaps\n", 6), 6);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* No fd left below the limit: every number up to it taken. */
	low = old;
	low.rlim_cur = (rlim_t)fd + 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < 1024 && (spare[n] = dup(0)) >= 0)
		n++;
	assert_true(n < 1024);
	assert_int_equal(errno, EMFILE);
	control_handle(c, NULL, 0, echo_handler, NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	while (n--)
		close(spare[n]);
	assert_int_equal(handler_calls, 0);
	assert_int_equal(control_fd(c), -1);
	ms = control_timeout_ms(c);
	assert_true(ms > 0 && ms <= 1000);
	usleep((unsigned int)ms * 1000);
	assert_true(control_fd(c) >= 0);
	assert_int_equal(control_timeout_ms(c), -1);
	/*
	 * The kernel keeps the first connection pending, valgrind closes what
	 * accept() returned above its own idea of the limit: a second one
	 * shows accepting goes on.
	 */
	fd2 = connect_to(sock_path);
	assert_int_equal(write(fd2, "heaps\n", 6), 6);
	control_handle(c, NULL, 0, echo_handler, NULL);
	assert_string_equal(read_all(fd2), "OK\n1 [heaps]\n");
	close(fd2);
	close(fd);
	control_close(c);
}

/*
 * A wake fd closed meanwhile (a reload replaced the workers' done fd) wakes
 * nobody: the batch is served, and nothing waits on it for ever (poll()
 * counts its POLLNVAL). SIGALRM ends a test that spins.
 */
static void test_closed_wake_fd(void **state)
{
	struct control *c = open_control(getegid());
	int wake[2], fd[2], i;

	/* A high number: no socket of the test takes it again. */
	wake[0] = eventfd(0, EFD_CLOEXEC);
	wake[1] = dup2(wake[0], 900);
	assert_true(wake[0] >= 0 && wake[1] == 900);
	close(wake[1]);
	alarm(10);
	assert_false(deadline_woken(wake, 2));
	for (i = 0; i < 2; i++) {
		fd[i] = connect_to(sock_path);
		assert_int_equal(write(fd[i], "heaps\n", 6), 6);
	}
	control_handle(c, wake, 2, echo_handler, NULL);
	alarm(0);
	for (i = 0; i < 2; i++) {
		assert_string_equal(read_all(fd[i]), "OK\n1 [heaps]\n");
		close(fd[i]);
	}
	assert_int_equal(handler_calls, 2);
	close(wake[0]);
	control_close(c);
}

/*
 * A closed wake fd does not end the wait on the fd itself before its
 * deadline: a peer that writes 200 ms later is still heard.
 */
static void test_closed_wake_fd_waits(void **state)
{
	struct timespec deadline, t0, t1;
	int wake, p[2], r;
	pid_t pid;
	long ms;

	(void)state;
	/* A high number, closed: the pipe does not take it again. */
	wake = dup2(STDERR_FILENO, 901);
	assert_int_equal(wake, 901);
	close(wake);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(200 * 1000);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	alarm(10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	deadline_in(&deadline, 5000);
	r = deadline_wait_fd_or(p[0], POLLIN, &wake, 1, &deadline);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	alarm(0);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	print_message("woke after %ld ms: %d\n", ms, r);
	assert_int_equal(r, 0);
	assert_true(ms >= 150);
	assert_int_equal(waitpid(pid, &r, 0), pid);
	assert_int_equal(r, 0);
	close(p[0]);
	close(p[1]);
}

/*
 * As root: a forked peer with @uid, @gid and @groups sends "heaps\n"; the
 * reply it read comes back through a pipe.
 */
static const char *foreign_request(struct control *c, uid_t uid, gid_t gid,
				   const gid_t *groups, size_t n)
{
	struct pollfd p[2] = {
		{ .fd = control_fd(c), .events = POLLIN },
		{ .events = POLLIN },
	};
	static char reply[512];
	int pipefd[2], status;
	ssize_t len;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char buf[512];
		ssize_t k, got = 0;
		int fd;

		close(pipefd[0]);
		if (setgroups(n, groups) < 0 || setgid(gid) < 0 ||
		    setuid(uid) < 0)
			_exit(10);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			got = snprintf(buf, sizeof(buf), "connect: %s",
				       strerror(errno));
		} else {
			/* a refused peer may be answered before it writes */
			send(fd, "heaps\n", 6, MSG_NOSIGNAL);
			while ((k = read(fd, buf + got,
					 sizeof(buf) - (size_t)got)) > 0)
				got += k;
			if (k < 0 && !got)
				got = snprintf(buf, sizeof(buf), "read: %s",
					       strerror(errno));
		}
		if (write(pipefd[1], buf, (size_t)got) != got)
			_exit(12);
		_exit(0);
	}
	close(pipefd[1]);
	/* a child that cannot connect reports at once, through the pipe */
	p[1].fd = pipefd[0];
	if (poll(p, 2, 5000) > 0 && p[0].revents)
		control_handle(c, NULL, 0, echo_handler, NULL);
	len = read(pipefd[0], reply, sizeof(reply) - 1);
	assert_true(len >= 0);
	reply[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return reply;
}

static void test_foreign_peers(void **state)
{
	const gid_t with_control[] = { 100, OTHER_GID };
	const gid_t without[] = { 100 };
	struct control *c;
	char run[160];

	if (geteuid() != 0) {
		skip();
		return;
	}
	/* mkdtemp() made it 0700 */
	assert_int_equal(chmod(tmpdir, 0711), 0);
	c = open_control(OTHER_GID);
	/* the control group, as a supplementary group or the primary one */
	assert_string_equal(foreign_request(c, NOBODY, NOBODY, with_control, 2),
			    "OK\n1 [heaps]\n");
	assert_string_equal(foreign_request(c, NOBODY, OTHER_GID, NULL, 0),
			    "OK\n1 [heaps]\n");
	/* anyone else: the directory and the socket keep them out */
	assert_string_equal(foreign_request(c, NOBODY, NOBODY, without, 1),
			    "connect: Permission denied");
	/* and the daemon would too */
	snprintf(run, sizeof(run), "%s/run", tmpdir);
	assert_int_equal(chmod(run, 0755), 0);
	assert_int_equal(chmod(sock_path, 0666), 0);
	assert_string_equal(foreign_request(c, NOBODY, NOBODY, without, 1),
			    "ERR EACCES permission denied: needs root or the daemon's ControlGroup=\n");
	assert_int_equal(handler_calls, 2);
	control_close(c);

	/* root only */
	c = open_control((gid_t)-1);
	assert_int_equal(chmod(run, 0755), 0);
	assert_int_equal(chmod(sock_path, 0666), 0);
	assert_string_equal(foreign_request(c, NOBODY, OTHER_GID, with_control, 2),
			    "ERR EACCES permission denied: only root may use the control socket\n");
	assert_string_equal(request(c, "heaps\n"), "OK\n1 [heaps]\n");
	control_close(c);
}

/*
 * dmaheapctl ARGS... against the server: its exit status (128 + the signal
 * that ended it, as a shell has it), stdout, stderr.
 */
struct ctl_result {
	int status;
	char out[4096];
	char err[4096];
};

/* A dmaheapctl started by ctl_start(), its stdout and stderr read from. */
struct ctl_run {
	pid_t pid;
	int out, err;
};

/* What no dmaheapctl takes: SIGALRM ends one that hangs. */
#define CTL_ALARM_S	60

static void read_into(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

/* Runs dmaheapctl @argv[1]...; with @no_reader, its stdout a pipe nobody reads. */
static void ctl_start(struct ctl_run *run, char **argv, bool no_reader)
{
	const char *ctl = getenv("DMAHEAPCTL");
	int out[2], err[2];

	argv[0] = (char *)ctl;
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	run->pid = fork();
	assert_true(run->pid >= 0);
	if (run->pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		alarm(CTL_ALARM_S);	/* kept across execv() */
		execv(ctl, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	run->out = out[0];
	run->err = err[0];
	if (no_reader) {
		close(run->out);
		run->out = -1;
	}
}

static void ctl_finish(struct ctl_run *run, struct ctl_result *res)
{
	int status;

	res->out[0] = '\0';
	if (run->out >= 0)
		read_into(run->out, res->out, sizeof(res->out));
	read_into(run->err, res->err, sizeof(res->err));
	assert_int_equal(waitpid(run->pid, &status, 0), run->pid);
	if (WIFSIGNALED(status))
		res->status = 128 + WTERMSIG(status);
	else
		res->status = WEXITSTATUS(status);
}

/* Serves until the handler has run once more, or nothing came for 5 s. */
static void serve_one(struct control *c)
{
	struct pollfd p = { .fd = control_fd(c), .events = POLLIN };
	int calls = handler_calls;

	while (handler_calls == calls && poll(&p, 1, 5000) == 1)
		control_handle(c, NULL, 0, echo_handler, NULL);
}

/* dmaheapctl ARGS... (NULL-terminated), served by @c unless NULL. */
static void run_ctl(struct control *c, struct ctl_result *res, ...)
{
	struct ctl_run run;
	char *argv[16];
	int argc = 1;
	va_list ap;

	va_start(ap, res);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);

	ctl_start(&run, argv, false);
	if (c)
		serve_one(c);
	ctl_finish(&run, res);
}

static void test_dmaheapctl(void **state)
{
	struct control *c;
	struct ctl_result r;
	char opt[200];

	if (!getenv("DMAHEAPCTL")) {
		skip();
		return;
	}
	snprintf(opt, sizeof(opt), "--socket=%s", sock_path);

	/* nobody listening */
	run_ctl(NULL, &r, opt, "heaps", NULL);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "dmaheapctl: cannot connect to "));
	assert_non_null(strstr(r.err, ": No such file or directory; is dmaheapd running?\n"));

	c = open_control(getegid());
	/* --json anywhere goes last; other options after the command go as they are */
	run_ctl(c, &r, opt, "--json", "buffers", "--by=uid", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "3 [buffers] [--by=uid] [--json]\n");
	assert_string_equal(r.err, "");
	run_ctl(c, &r, "--socket", sock_path, "heaps", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "2 [heaps] [--json]\n");

	run_ctl(c, &r, opt, "fail", "frob", NULL);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "dmaheapctl: unknown command \"frob\" second line\n");
	assert_int_equal(handler_calls, 3);

	/* usage errors never reach the server */
	run_ctl(NULL, &r, opt, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "dmaheapctl: no command given"));
	run_ctl(NULL, &r, opt, "--frob", "heaps", NULL);
	assert_int_equal(r.status, 2);
	run_ctl(NULL, &r, opt, "heaps", "two words", NULL);
	assert_int_equal(r.status, 2);
	run_ctl(NULL, &r, "--version", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(strncmp(r.out, "dmaheapctl ", 11), 0);
	run_ctl(NULL, &r, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: dmaheapctl"));
	assert_int_equal(handler_calls, 3);
	control_close(c);
}

/*
 * A daemon that accepts no more (stopped, wedged) with its listening
 * backlog full: dmaheapctl gives up when its 30 s are over, exit 3 and the
 * likely cause, rather than wait in connect() for ever.
 */
static void test_dmaheapctl_never_accepted(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd[4], n, i, l;
	struct ctl_result r;
	char opt[200], want[300];
	double t;

	if (!getenv("DMAHEAPCTL")) {
		skip();
		return;
	}
	/* teardown() removes it */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stuck", tmpdir);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* Linux queues one more than the backlog */
	assert_int_equal(listen(l, 0), 0);
	n = fill_backlog(sa.sun_path, fd, 4);
	assert_true(n >= 1 && n < 4);

	snprintf(opt, sizeof(opt), "--socket=%s", sa.sun_path);
	t = now_s();
	run_ctl(NULL, &r, opt, "reload", NULL);
	t = now_s() - t;
	print_message("backlog full, never accepted: exit status %d after %.1f s\n",
		      r.status, t);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, "");
	snprintf(want, sizeof(want),
		 "dmaheapctl: cannot connect to %s: no answer within 30 s; is dmaheapd stuck?\n",
		 sa.sun_path);
	assert_string_equal(r.err, want);
	assert_true(t >= 29.9 && t < 31);

	for (i = 0; i < n; i++)
		close(fd[i]);
	close(l);
}

/*
 * The backlog full for a moment (the daemon busy): dmaheapctl waits for
 * room rather than give up at once, and is served as soon as the daemon
 * accepts again.
 */
static void test_dmaheapctl_backlog_drains(void **state)
{
	struct control *c;
	int fd[DH_CONTROL_BATCH], n, i;
	char opt[200], *argv[] = { NULL, opt, "status", NULL };
	struct ctl_result r;
	struct ctl_run run;
	double t;

	if (!getenv("DMAHEAPCTL")) {
		skip();
		return;
	}
	c = open_control(getegid());
	n = fill_backlog(sock_path, fd, DH_CONTROL_BATCH);
	assert_true(n > 2);
	/* clients gone: still queued, served at no cost */
	for (i = 0; i < n; i++)
		close(fd[i]);
	assert_int_equal(fill_backlog(sock_path, fd, 1), 0);

	snprintf(opt, sizeof(opt), "--socket=%s", sock_path);
	ctl_start(&run, argv, false);
	usleep(300 * 1000);	/* in connect() by now */
	t = now_s();
	serve_one(c);
	ctl_finish(&run, &r);
	t = now_s() - t;
	print_message("backlog full of %d, served 0.3 s later: exit status %d %.3f s after\n",
		      n, r.status, t);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "1 [status]\n");
	assert_string_equal(r.err, "");
	assert_int_equal(handler_calls, 1);
	assert_true(t < 2);
	control_close(c);
}

/*
 * Nobody reading stdout any more (dmaheapctl buffers | head -1): the rest
 * of the payload dropped quietly and exit 0, as the daemon did answer; not
 * death by SIGPIPE (141 in the shell). A refusal still exits 1: it goes to
 * stderr, and comes before anything is written to stdout.
 */
static void test_dmaheapctl_no_reader(void **state)
{
	char opt[200], *buffers[] = { NULL, opt, "buffers", NULL };
	char *fail[] = { NULL, opt, "fail", "frob", NULL };
	struct control *c;
	struct ctl_result r;
	struct ctl_run run;

	if (!getenv("DMAHEAPCTL")) {
		skip();
		return;
	}
	c = open_control(getegid());
	snprintf(opt, sizeof(opt), "--socket=%s", sock_path);

	ctl_start(&run, buffers, true);
	serve_one(c);
	ctl_finish(&run, &r);
	print_message("stdout read by nobody: exit status %d\n", r.status);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");

	ctl_start(&run, fail, true);
	serve_one(c);
	ctl_finish(&run, &r);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "dmaheapctl: unknown command \"frob\" second line\n");
	assert_int_equal(handler_calls, 2);
	control_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_allowed),
		cmocka_unit_test(test_split),
		cmocka_unit_test_setup_teardown(test_open_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_terminated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_ends_silent_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_big_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_out_of_fds, setup, teardown),
		cmocka_unit_test(test_closed_wake_fd_waits),
		cmocka_unit_test_setup_teardown(test_closed_wake_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dmaheapctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dmaheapctl_never_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dmaheapctl_backlog_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dmaheapctl_no_reader, setup, teardown),
	};

	log_init(false);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
