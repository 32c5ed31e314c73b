/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dmaheapctl commands the control socket serves: heaps, buffers,
 * status and reload (docs/control.md).
 */
#ifndef DMAHEAPD_COMMANDS_H
#define DMAHEAPD_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

/*
 * commands_handle() - one request, "COMMAND [--json] [--by=WHAT]", for
 * the manager @userdata; a control_handler_t
 * Return: 0 with the answer in @out, or a negative errno with the message
 * in @err.
 */
int commands_handle(void *userdata, int argc, char **argv, FILE *out,
		    char *err, size_t err_size);

#endif
