/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which login user a caller is, whatever uid its user namespaces give it:
 * the key of MaxBytesPerUser= (docs/policy.md). The kernel's ucounts
 * follow the same chain of owners.
 */
#ifndef DMAHEAPD_USERNS_H
#define DMAHEAPD_USERNS_H

#include <sys/types.h>

/**
 * userns_user_key() - the user a caller's buffers count to
 * @tid:	the caller's thread, as FUSE names it (the daemon's pid namespace)
 * @uid:	its uid, as FUSE reports it (in the daemon's user namespace)
 * @ret_key:	the key
 *
 * A thread in the daemon's own user namespace is keyed by @uid. Any other
 * by the owner of its outermost user namespace below the daemon's: the
 * user who created it, e.g. by newuidmap with a /etc/subuid range. Reads
 * /proc/TID/uid_map, which needs no ptrace rights, and compares it with
 * the daemon's own; only for a caller in another namespace opens
 * /proc/TID/ns/user, which needs CAP_SYS_PTRACE, and walks up with
 * NS_GET_PARENT and NS_GET_OWNER_UID (ioctl_ns(2)). Logs nothing.
 *
 * Return: 0, -ESRCH when the thread is gone, -EACCES when its namespace
 * cannot be opened (no CAP_SYS_PTRACE), or another negative errno.
 */
int userns_user_key(pid_t tid, uid_t uid, uid_t *ret_key);

/*
 * Is @tid in the daemon's own user namespace (its uid_map reads as the
 * daemon's)? 1, 0, or -ESRCH when the thread is gone. No ptrace rights
 * needed.
 */
int userns_is_ours(pid_t tid);

#endif
