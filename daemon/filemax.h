/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fs.file-max for the files the daemon makes for its callers: the kernel
 * refuses a new file with ENFILE past it, unless the task making it has
 * CAP_SYS_ADMIN, which the daemon has and its callers mostly have not
 * (docs/ioctl-contract.md). Parsers pure, the rest reads /proc.
 */
#ifndef DMAHEAPD_FILEMAX_H
#define DMAHEAPD_FILEMAX_H

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
 * Does the system hold as many files as fs.file-max, or more (the
 * kernel's test, on the same approximate count)? 1 or 0; 0 as well when
 * file-nr cannot be read. One pread() of file-nr, kept open.
 */
int filemax_reached(void);

/*
 * May thread @tid make a file past fs.file-max, as the kernel's
 * capable(CAP_SYS_ADMIN): CAP_SYS_ADMIN in its CapEff, and in the
 * daemon's user namespace (capabilities in a namespace of its own do not
 * count). 1, 0, or -ESRCH when the thread is gone.
 */
int filemax_exempt(pid_t tid);

#endif
