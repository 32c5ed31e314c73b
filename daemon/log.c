// SPDX-License-Identifier: GPL-2.0
/*
 * The stderr log sink: "dmaheapd: <level>: message" on a terminal or a file,
 * "<N>message" when stderr is the journal (systemd sets JOURNAL_STREAM).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static bool debug_enabled;
static bool to_journal;

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
}

bool log_debug_enabled(void)
{
	return debug_enabled;
}

static void log_vmsg(int level, const char *fmt, va_list ap)
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
