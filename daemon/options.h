/* SPDX-License-Identifier: GPL-2.0 */
/* dmaheapd's command line, as main.c parsed it. */
#ifndef DMAHEAPD_OPTIONS_H
#define DMAHEAPD_OPTIONS_H

#include <stdbool.h>

struct options {
	const char *config;	/* --config, or NULL for the default files */
	bool heaps;		/* --heap: the heaps are given, no file read */
	bool debug;		/* --debug */
	bool restore;		/* --restore-kernel-nodes */
	bool mark;		/* --mark-nodes */
	unsigned int threads;	/* --threads, else workers_default() */
	const char *control;	/* --control */
};

#endif
