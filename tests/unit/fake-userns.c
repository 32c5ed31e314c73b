// SPDX-License-Identifier: GPL-2.0
/* A fake of daemon/userns.c for unit tests: a key or an error, set by the test. */
#include <errno.h>

#include "userns.h"

/* (uid_t)-1: the caller's uid, as in the daemon's own namespace. */
uid_t fake_userns_key = (uid_t)-1;
int fake_userns_error;
int fake_userns_calls;

int userns_user_key(pid_t tid, uid_t uid, uid_t *ret_key)
{
	fake_userns_calls++;
	if (fake_userns_error)
		return fake_userns_error;
	*ret_key = fake_userns_key == (uid_t)-1 ? uid : fake_userns_key;
	return 0;
}

/* 1, or fake_userns_error. */
int userns_is_ours(pid_t tid)
{
	return fake_userns_error ? fake_userns_error : 1;
}
