// SPDX-License-Identifier: GPL-2.0
/*
 * Memory cgroups by inode number: the helper knows a cgroup by its kernfs
 * inode, which is st_ino of its directory in the cgroup2 file system; the
 * kernel has no lookup the other way, so a walk finds the directory.
 */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroup.h"

/* Undo mountinfo's escapes of space, tab, newline and backslash: \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * The next word of a kernel command line at *@s, split as the kernel does
 * (lib/cmdline.c, next_arg()): white space outside double quotes ends it,
 * and its quotes are dropped. NULL at the end.
 */
static char *cmdline_next(char **s)
{
	char *p = *s, *word, *out;
	bool quoted = false;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	word = out = p;
	for (; *p; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (!quoted && isspace((unsigned char)*p)) {
			p++;
			break;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
	*s = p;
	return word;
}

int cgroup_kmem_charged(const char *cmdline)
{
	static const char key[] = "cgroup.memory=";
	char buf[4096], *s = buf, *word, *opt, *save;
	size_t n;
	FILE *f;
	int r = 1;

	f = fopen(cmdline, "re");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/*
	 * As the kernel: every occurrence, a comma-separated list each; what
	 * follows "--" is init's.
	 */
	while ((word = cmdline_next(&s)) && strcmp(word, "--")) {
		if (strncmp(word, key, sizeof(key) - 1))
			continue;
		for (opt = strtok_r(word + sizeof(key) - 1, ",", &save); opt;
		     opt = strtok_r(NULL, ",", &save))
			if (!strcmp(opt, "nokmem"))
				r = 0;
	}
	return r;
}

int cgroup2_mount(const char *mountinfo, char *buf, size_t size)
{
	char *line = NULL, *sep, point[4096], type[64];
	size_t line_size = 0;
	int r = -ENOENT;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (getline(&line, &line_size, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE */
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep + 3, "%63s", type) != 1 ||
		    strcmp(type, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape_octal(point);
		if (strlen(point) >= size) {
			r = -ENAMETOOLONG;
			break;
		}
		strcpy(buf, point);
		r = 0;
		break;
	}
	free(line);
	fclose(f);
	return r;
}

void cgroup_root(char *buf, size_t size)
{
	if (cgroup2_mount("/proc/self/mountinfo", buf, size) < 0)
		snprintf(buf, size, "%s", CGROUP_ROOT_DEFAULT);
}

/* One walk's state: nftw() passes its callback nothing of the caller's. */
struct walk {
	const uint64_t *inos;
	size_t n;
	char **ret;
	size_t root_len;
	size_t wanted;		/* inode numbers not 0 */
	size_t found;
	int error;
};

static __thread struct walk *walk;

static int visit(const char *path, const struct stat *st, int type,
		 struct FTW *ftw)
{
	const char *rel;
	size_t i;

	if (type != FTW_D)
		return FTW_CONTINUE;
	for (i = 0; i < walk->n; i++) {
		if (!walk->inos[i] || walk->ret[i] ||
		    walk->inos[i] != (uint64_t)st->st_ino)
			continue;
		rel = path + walk->root_len;
		rel += strspn(rel, "/");
		if (asprintf(&walk->ret[i], "/%s", rel) < 0) {
			walk->ret[i] = NULL;
			walk->error = -ENOMEM;
			return FTW_STOP;
		}
		walk->found++;
	}
	if (walk->found == walk->wanted)
		return FTW_STOP;
	/* This directory counts, what is below it is too deep. */
	if (ftw->level >= CGROUP_DEPTH_MAX)
		return FTW_SKIP_SUBTREE;
	return FTW_CONTINUE;
}

int cgroup_paths(const char *root, const uint64_t *inos, size_t n,
		 char **ret)
{
	struct walk w = { .inos = inos, .n = n, .ret = ret };
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		ret[i] = NULL;
		if (inos[i])
			w.wanted++;
	}
	if (!w.wanted)
		return 0;
	/* nftw() names each entry as ROOT/..., @root as given. */
	w.root_len = strlen(root);
	while (w.root_len > 1 && root[w.root_len - 1] == '/')
		w.root_len--;
	walk = &w;
	r = nftw(root, visit, 16,
		 FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
	walk = NULL;
	if (r < 0)
		return -errno;
	if (w.error < 0)
		return w.error;
	return (int)w.found;
}

void cgroup_paths_free(char **paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(paths[i]);
		paths[i] = NULL;
	}
}
