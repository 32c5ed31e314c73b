// SPDX-License-Identifier: GPL-2.0
/*
 * getpwnam_r() and getgrnam_r() that want a large buffer, for the tests
 * linked with -Wl,--wrap=getpwnam_r,--wrap=getgrnam_r (tests/unit/
 * meson.build): as glibc does for a group of thousands of members from
 * LDAP (sssd), a call with a buffer below fake_nss_buf_min bytes fails with
 * ERANGE; the others are the real lookups. fake_nss_calls counts them all.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>

size_t fake_nss_buf_min;
unsigned int fake_nss_calls;

int __real_getpwnam_r(const char *name, struct passwd *pw, char *buf,
		      size_t size, struct passwd **ret);
int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf,
		      size_t size, struct passwd **ret);
int __real_getgrnam_r(const char *name, struct group *gr, char *buf,
		      size_t size, struct group **ret);
int __wrap_getgrnam_r(const char *name, struct group *gr, char *buf,
		      size_t size, struct group **ret);

int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf,
		      size_t size, struct passwd **ret)
{
	fake_nss_calls++;
	if (size < fake_nss_buf_min) {
		*ret = NULL;
		return ERANGE;
	}
	return __real_getpwnam_r(name, pw, buf, size, ret);
}

int __wrap_getgrnam_r(const char *name, struct group *gr, char *buf,
		      size_t size, struct group **ret)
{
	fake_nss_calls++;
	if (size < fake_nss_buf_min) {
		*ret = NULL;
		return ERANGE;
	}
	return __real_getgrnam_r(name, gr, buf, size, ret);
}
