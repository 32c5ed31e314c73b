/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of DMA_HEAP_IOCTL_ALLOC exactly as drivers/dma-buf/dma-heap.c
 * does it. Pure: bytes in, verdict out; no I/O, no logging.
 */
#ifndef DMAHEAPD_REQUEST_H
#define DMAHEAPD_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest _IOC_SIZE a command can carry (14 bits). */
#define DH_IOC_SIZE_MAX		((1u << 14) - 1)

struct dh_alloc_request {
	uint64_t len;		/* page aligned, not zero */
	uint32_t fd_flags;
	/* What is copied out covers the fd field: the caller learns its fd. */
	bool fd_reachable;
};

/**
 * dh_request_decode() - validate one ioctl on a heap node
 * @cmd:	the command as issued
 * @in:		the bytes FUSE copied in (_IOC_SIZE(cmd) if it has _IOC_WRITE)
 * @in_size:	their number
 * @out_size:	bytes FUSE will copy out (_IOC_SIZE(cmd) if it has _IOC_READ)
 * @page_size:	the kernel's page size
 * @ret:	the decoded request, written only on success
 *
 * Return: 0, or -EINVAL for anything the kernel's heaps reject.
 */
int dh_request_decode(unsigned int cmd, const void *in, size_t in_size,
		      size_t out_size, uint64_t page_size,
		      struct dh_alloc_request *ret);

#endif
