/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reloading the configuration (SIGHUP, dmaheapctl reload): reload() does it,
 * on the decision of reloadplan.h.
 */
#ifndef DMAHEAPD_RELOAD_H
#define DMAHEAPD_RELOAD_H

#include "reloadplan.h"

struct manager;

/*
 * reload() - re-read the configuration and apply it
 *
 * New rules for new allocations, live buffers untouched, nodes of heaps
 * that stay kept, added ones created, removed ones gone. A configuration
 * that fails any check is rejected whole and the old one stays. The
 * workers stop for the switch: requests wait in the kernel meanwhile, none
 * is lost.
 *
 * Return: 0, or the error; the outcome is logged and kept in
 * m->reload_msg; m->fatal is set when nothing can be served any more.
 */
int reload(struct manager *m);

#endif
