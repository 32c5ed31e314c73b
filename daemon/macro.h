/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers every file may use. */
#ifndef DMAHEAPD_MACRO_H
#define DMAHEAPD_MACRO_H

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif
