/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmaheapd.conf(5): the parser of one file's text (conffile.c, pure) and the
 * loading of the main file and its drop-ins (confload.c, reads files).
 */
#ifndef DMAHEAPD_CONFFILE_H
#define DMAHEAPD_CONFFILE_H

#include "config.h"

#define DH_CONFIG_FILE		"/etc/dmaheapd.conf"

/* /etc, /run, /usr/local/lib, /usr/lib dmaheapd.conf.d; NULL-terminated. */
extern const char *const config_default_dropin_dirs[];

/*
 * Apply the text of one file, named @file in messages, to @c: new [Heap]
 * sections add heaps, a section with a Name= already known merges into it.
 * 0, or -EINVAL (bad value, malformed line...) or -E2BIG (too many heaps,
 * aliases or files) with d->error set. Unknown sections and keys are
 * warned about through @d and ignored.
 */
int conffile_parse(struct config *c, const char *file, const char *text,
		   struct config_diag *d);

/*
 * Read @main_path (may be NULL; missing is fine), then the *.conf files of
 * the NULL-terminated @dropin_dirs (missing directories are fine): a file
 * name in an earlier directory masks the same name in later ones, a
 * symlink to /dev/null masks and is not read; the survivors are applied in
 * lexical order of their names. Then config_check(). Negative errno with
 * d->error set on failure.
 */
int config_load_files(struct config *c, const char *main_path,
		      const char *const *dropin_dirs, struct config_diag *d);

/*
 * The daemon's entry point. @path NULL: /etc/dmaheapd.conf (may be missing)
 * and the default drop-in directories. Otherwise @path, which must exist,
 * and @path.d as the only drop-in directory.
 */
int config_load(struct config *c, const char *path, struct config_diag *d);

#endif
