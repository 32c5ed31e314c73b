// SPDX-License-Identifier: GPL-2.0
/*
 * Loading dmaheapd.conf(5): the main file, then the *.conf drop-ins with
 * systemd's precedence and order. The reading; conffile.c does the parsing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "conffile.h"

#define CONFIG_FILE_SIZE_MAX	(1 << 20)

const char *const config_default_dropin_dirs[] = {
	"/etc/dmaheapd.conf.d",
	"/run/dmaheapd.conf.d",
	"/usr/local/lib/dmaheapd.conf.d",
	"/usr/lib/dmaheapd.conf.d",
	NULL,
};

struct dropin {
	char *name;
	char *path;
	bool masked;	/* /dev/null, or nothing to read: hides, applies nothing */
};

static int load_error(struct config_diag *d, int r, const char *what)
{
	snprintf(d->error, sizeof(d->error), "%s: %s", what, strerror(-r));
	return r;
}

/* The file's text in *ret_text, NUL-terminated; -ENOENT if it is missing. */
static int read_text(const char *path, char **ret_text, struct config_diag *d)
{
	char *text = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : load_error(d, -errno, path);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > CONFIG_FILE_SIZE_MAX + 4096) {
				r = load_error(d, -EFBIG, path);
				goto out;
			}
			p = realloc(text, cap);
			if (!p) {
				r = load_error(d, -ENOMEM, path);
				goto out;
			}
			text = p;
		}
		n = read(fd, text + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = load_error(d, -errno, path);
			goto out;
		}
		if (!n)
			break;
		len += n;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len)) {
		snprintf(d->error, sizeof(d->error),
			 "%s: contains a NUL byte, not a text file", path);
		r = -EINVAL;
		goto out;
	}
	*ret_text = text;
	text = NULL;
	r = 0;
out:
	free(text);
	close(fd);
	return r;
}

static int load_file(struct config *c, const char *path, bool need,
		     struct config_diag *d)
{
	char *text = NULL;
	int r;

	r = read_text(path, &text, d);
	if (r == -ENOENT && !need)
		return 0;
	if (r == -ENOENT)
		return load_error(d, r, path);
	if (r < 0)
		return r;
	r = conffile_parse(c, path, text, d);
	free(text);
	return r;
}

static bool is_dropin_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".conf");
}

static int cmp_dropin(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name,
		      ((const struct dropin *)b)->name);
}

static void load_warn(struct config_diag *d, const char *path, const char *why)
{
	char msg[DH_ERROR_MAX];

	d->n_warnings++;
	if (!d->warn)
		return;
	snprintf(msg, sizeof(msg), "%s: %s, ignored", path, why);
	d->warn(d->userdata, msg);
}

/* Masked: a link to /dev/null, or anything but a file (warned about). */
static bool dropin_masked(const char *path, struct config_diag *d)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		load_warn(d, path, strerror(errno));
		return true;
	}
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		return true;
	if (!S_ISREG(st.st_mode)) {
		load_warn(d, path, "not a regular file");
		return true;
	}
	return false;
}

static int scan_dir(const char *dir, struct dropin **list, size_t *n,
		    struct config_diag *d)
{
	struct dropin *p, *e;
	struct dirent *de;
	size_t i;
	DIR *dh;
	int r = 0;

	dh = opendir(dir);
	if (!dh) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return load_error(d, -errno, dir);
	}
	while ((errno = 0, de = readdir(dh))) {
		if (!is_dropin_name(de->d_name))
			continue;
		for (i = 0; i < *n; i++)
			if (!strcmp((*list)[i].name, de->d_name))
				break;
		if (i < *n)
			continue;	/* masked by an earlier directory */
		p = realloc(*list, (*n + 1) * sizeof(**list));
		if (!p) {
			r = load_error(d, -ENOMEM, dir);
			goto out;
		}
		*list = p;
		e = &p[(*n)++];
		memset(e, 0, sizeof(*e));
		e->name = strdup(de->d_name);
		if (!e->name ||
		    asprintf(&e->path, "%s/%s", dir, de->d_name) < 0) {
			e->path = NULL;
			r = load_error(d, -ENOMEM, dir);
			goto out;
		}
		e->masked = dropin_masked(e->path, d);
	}
	if (errno)
		r = load_error(d, -errno, dir);
out:
	closedir(dh);
	return r;
}

int config_load_files(struct config *c, const char *main_path,
		      const char *const *dropin_dirs, struct config_diag *d)
{
	struct dropin *list = NULL;
	size_t n = 0, i;
	int r = 0;

	if (main_path) {
		r = load_file(c, main_path, false, d);
		if (r < 0)
			return r;
	}
	for (; dropin_dirs && *dropin_dirs; dropin_dirs++) {
		r = scan_dir(*dropin_dirs, &list, &n, d);
		if (r < 0)
			goto out;
	}
	if (n)
		qsort(list, n, sizeof(*list), cmp_dropin);
	for (i = 0; i < n; i++) {
		if (list[i].masked)
			continue;
		r = load_file(c, list[i].path, true, d);
		if (r < 0)
			goto out;
	}
	r = config_check(c, d);
out:
	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].path);
	}
	free(list);
	return r;
}

int config_load(struct config *c, const char *path, struct config_diag *d)
{
	const char *dirs[2] = { NULL, NULL };
	char *dropins;
	int r;

	if (!path)
		return config_load_files(c, DH_CONFIG_FILE,
					 config_default_dropin_dirs, d);
	if (access(path, F_OK) < 0)
		return load_error(d, -errno, path);
	if (asprintf(&dropins, "%s.d", path) < 0)
		return load_error(d, -ENOMEM, path);
	dirs[0] = dropins;
	r = config_load_files(c, path, dirs, d);
	free(dropins);
	return r;
}
