// SPDX-License-Identifier: GPL-2.0
/*
 * A fake of daemon/cuse.c for unit tests: every node's session is the fd
 * fake_cuse_fd (an eventfd the test keeps readable, as a queued CUSE_INIT
 * is), and a request served is a handshake done, unless the node is
 * fake_cuse_end_name, whose session ends with fake_cuse_end_error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cuse.h"

int fake_cuse_fd = -1;
const char *fake_cuse_end_name = "";
int fake_cuse_end_error = -ENODEV;
int fake_cuse_processed;

int cuse_node_start(struct node *h, const char *cuse_path)
{
	return -ENOSYS;
}

int cuse_node_fd(const struct node *h)
{
	return fake_cuse_fd;
}

int cuse_node_process(struct node *h, void **buf_mem)
{
	fake_cuse_processed++;
	if (!strcmp(h->node_name, fake_cuse_end_name))
		return fake_cuse_end_error;
	h->ready = true;
	return 0;
}

void cuse_node_stop(struct node *h)
{
	free(h->buf_mem);
	h->buf_mem = NULL;
}
