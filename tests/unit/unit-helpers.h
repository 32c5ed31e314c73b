/* SPDX-License-Identifier: GPL-2.0 */
/* What more than one unit test uses (unit-helpers.c). */
#ifndef UNIT_HELPERS_H
#define UNIT_HELPERS_H

/* When the process started, as the helper reports it. */
#define START	4200000000ull

#endif
