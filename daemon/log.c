// SPDX-License-Identifier: GPL-2.0
/*
 * The stderr log sink: "dmaheapd: <level>: message" on a terminal or a file,
 * "<N>message" when stderr is the journal (systemd sets JOURNAL_STREAM).
 * Records with fields go to the journal's native socket when stderr is
 * the journal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

static bool debug_enabled;
static bool to_journal;
/* The journal's native socket, opened once: records are sent to its path. */
static int journal_fd = -1;

static const char *const level_names[] = {
	[LOG_EMERG] = "emergency", [LOG_ALERT] = "alert",
	[LOG_CRIT] = "critical",   [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",       [LOG_DEBUG] = "debug",
};

/* Is fd 2 the stream systemd told us about in JOURNAL_STREAM=dev:ino? */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(bool debug)
{
	debug_enabled = debug;
	to_journal = stderr_is_journal();
	/* Called again on reload, with the workers stopped: no race. */
	if (to_journal && journal_fd < 0)
		journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

bool log_debug_enabled(void)
{
	return debug_enabled;
}

static __attribute__((format(printf, 2, 0))) void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level == LOG_DEBUG && !debug_enabled)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (to_journal)
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "dmaheapd: %s: %s\n", level_names[level & 7],
			line);
}

#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

/* "KEY=value\n" into @buf at *@len; newlines in the value become spaces. */
static void journal_put(char *buf, size_t size, size_t *len, const char *key,
			const char *value)
{
	size_t start = *len, i;
	int n;

	n = snprintf(buf + start, size - start, "%s=%s\n", key, value);
	if (n < 0 || (size_t)n >= size - start)
		return;		/* dropped rather than cut */
	for (i = start + strlen(key) + 1; i < start + n - 1; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	*len = start + n;
}

static int journal_send(int level, const struct log_field *fields, size_t n,
			const char *message)
{
	static const struct sockaddr_un sa = {
		.sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET,
	};
	char buf[2048], prio[4];
	size_t len = 0, i;

	snprintf(prio, sizeof(prio), "%d", level);
	journal_put(buf, sizeof(buf), &len, "PRIORITY", prio);
	journal_put(buf, sizeof(buf), &len, "SYSLOG_IDENTIFIER", "dmaheapd");
	journal_put(buf, sizeof(buf), &len, "MESSAGE", message);
	for (i = 0; i < n; i++)
		journal_put(buf, sizeof(buf), &len, fields[i].key,
			    fields[i].value);

	if (journal_fd < 0)
		return -EBADF;
	if (sendto(journal_fd, buf, len, MSG_NOSIGNAL,
		   (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

void log_record(int level, const struct log_field *fields, size_t n_fields,
		const char *fmt, ...)
{
	int saved = errno;
	char line[1024];
	va_list ap;

	if (level == LOG_DEBUG && !debug_enabled)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!to_journal || journal_send(level, fields, n_fields, line) < 0)
		log_msg(level, "%s", line);
	errno = saved;
}

void log_msg(int level, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
	errno = saved;
}

int log_errno(int level, int r, const char *fmt, ...)
{
	va_list ap;

	errno = r < 0 ? -r : r;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
	return r < 0 ? r : -r;
}
