/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration made ready for this machine and checked against it,
 * before anything is opened or created.
 */
#ifndef DMAHEAPD_CONFCHECK_H
#define DMAHEAPD_CONFCHECK_H

#include <stddef.h>

#include "config.h"
#include "options.h"

/*
 * confcheck_load() - the configuration of @o into @c, checked
 *
 * The configuration files (unless --heap), then user and group names, the
 * legacy nodes' names, the naming convention, and the nodes in the way.
 * @own: the nodes this daemon serves already (on reload), which are not in
 * the way of the new configuration, nor are the kernel's nodes under
 * KernelHeaps=move.
 *
 * Return: 0, or a negative errno with the reason in @d; logs nothing.
 */
int confcheck_load(struct config *c, const struct options *o,
		   const char *const *own, size_t n_own, struct config_diag *d);

/* The warn callback of a struct config_diag: logs the warning. */
void confcheck_warn(void *userdata, const char *msg);

#endif
