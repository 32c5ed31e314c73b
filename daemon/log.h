/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging for dmaheapd: one line per event on stderr, with a syslog level
 * prefix the journal understands when stderr is the journal.
 */
#ifndef DMAHEAPD_LOG_H
#define DMAHEAPD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

void log_init(bool debug);
bool log_debug_enabled(void);
void log_msg(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A journal field of a record: KEY (upper case) and its value. */
struct log_field {
	const char *key;
	const char *value;
};

/*
 * A line like log_msg(), and under systemd a journal entry that also
 * carries @fields (DMA_HEAP=, CLIENT_PID=...), so records can be selected
 * with journalctl FIELD=value. Elsewhere the fields are only in the text.
 */
void log_record(int level, const struct log_field *fields, size_t n_fields,
		const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Log and return the negative errno @r, for "return log_errno(...)" use. */
int log_errno(int level, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_debug(...)	do { if (log_debug_enabled()) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_ERR, __VA_ARGS__)

#endif
