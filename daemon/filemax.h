/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fs.file-max for the files the daemon makes for its callers: the kernel
 * refuses a new file with ENFILE past it, unless the task making it has
 * CAP_SYS_ADMIN, which the daemon has and its callers mostly have not
 * (docs/ioctl-contract.md). Parsers pure, the rest reads /proc.
 */
#ifndef DMAHEAPD_FILEMAX_H
#define DMAHEAPD_FILEMAX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* CAP_SYS_ADMIN's bit in CapEff */
#define FILEMAX_CAP_SYS_ADMIN	21

/*
 * /proc/sys/fs/file-nr ("allocated unused max"): the files allocated and
 * file-max. 0 or -EINVAL.
 */
int filemax_parse_nr(const char *text, uint64_t *ret_nr, uint64_t *ret_max);
/* The "CapEff:" of a /proc/PID/status text: 0 or -EINVAL. */
int filemax_parse_capeff(const char *status, uint64_t *ret_caps);
/*
 * The CapEff: of the status file open at @fd, which comes after Groups:, a
 * line of up to 65536 gids (720 KiB): 0, -ESRCH when the thread is gone,
 * -EIO when the line is not there or not a number.
 */
int filemax_read_capeff(int fd, uint64_t *ret_caps);

/*
 * A reading of file-nr is used again, without a pread(), while it is less
 * than FILEMAX_READ_AGE_NS old, has served fewer than FILEMAX_READ_EVERY
 * allocations and the count was more than FILEMAX_MARGIN files short of
 * file-max: a file-max lowered meanwhile, or others filling the table,
 * let at most FILEMAX_READ_EVERY allocations through over it: about what
 * the kernel's own per-CPU count of files can be off by, at least 32 a
 * CPU (docs/ioctl-contract.md).
 * Near file-max, every allocation reads it; a reading that failed serves
 * none.
 */
#define FILEMAX_READ_EVERY	32
#define FILEMAX_READ_AGE_NS	10000000u	/* 10 ms */
#define FILEMAX_MARGIN		4096

struct filemax_reading {
	uint64_t nr;		/* file-nr's first field: files allocated */
	uint64_t max;		/* its third: fs.file-max */
	uint64_t at_ns;		/* CLOCK_MONOTONIC when read */
	unsigned int uses;	/* allocations checked against it */
	bool valid;		/* read and parsed */
};

/* May @r serve another allocation at @now, CLOCK_MONOTONIC ns (see above)? */
bool filemax_fresh(const struct filemax_reading *r, uint64_t now);

/*
 * Does the system hold as many files as fs.file-max, or more (the
 * kernel's test, on the same approximate count)? 1 or 0; 0 as well when
 * file-nr cannot be read. A pread() of file-nr, kept open, unless the
 * last reading is fresh (filemax_fresh()). Thread-safe.
 */
int filemax_reached(void);

/* How many times filemax_reached() has read file-nr, for the unit tests. */
unsigned long filemax_reads(void);

/*
 * May thread @tid make a file past fs.file-max, as the kernel's
 * capable(CAP_SYS_ADMIN): CAP_SYS_ADMIN in its CapEff, and in the
 * daemon's user namespace (capabilities in a namespace of its own do not
 * count). 1, 0, or -ESRCH when the thread is gone.
 */
int filemax_exempt(pid_t tid);

#endif
