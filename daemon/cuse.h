/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One CUSE session per node: creating /dev/dma_heap/NAME, reading and
 * answering its requests.
 */
#ifndef DMAHEAPD_CUSE_H
#define DMAHEAPD_CUSE_H

#include "heap.h"

/* Open @cuse_path and register dma_heap/NAME; the node appears once ready. */
int cuse_node_start(struct node *h, const char *cuse_path);
/* The fd to poll for requests. */
int cuse_node_fd(const struct node *h);
/*
 * Read and answer one request into *@buf_mem, the caller's buffer (each
 * thread has its own; libfuse allocates it on first use, the caller frees
 * it): 0 (also when another thread took the request), or -ENODEV once the
 * session ended.
 */
int cuse_node_process(struct node *h, void **buf_mem);
void cuse_node_stop(struct node *h);

#endif
