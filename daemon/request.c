// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's ioctl contract for heap nodes (6.1 dma-heap.c): any command
 * numbered 0 is ALLOC whatever its size, short structs are zero-filled,
 * longer ones accepted; fd, fd_flags, heap_flags and len are checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/dma-heap.h>
#include <linux/ioctl.h>

#include "request.h"

int dh_request_decode(unsigned int cmd, const void *in, size_t in_size,
		      size_t out_size, uint64_t page_size,
		      struct dh_alloc_request *ret)
{
	struct dma_heap_allocation_data data = { 0 };
	uint64_t len;

	if (_IOC_NR(cmd) != 0)
		return -EINVAL;
	if (in_size > DH_IOC_SIZE_MAX || out_size > DH_IOC_SIZE_MAX)
		return -EINVAL;

	/* libfuse passes NULL when nothing comes in. */
	if (in_size)
		memcpy(&data, in,
		       in_size < sizeof(data) ? in_size : sizeof(data));

	if (data.fd)
		return -EINVAL;
	if (data.fd_flags & ~DMA_HEAP_VALID_FD_FLAGS)
		return -EINVAL;
	if (data.heap_flags & ~DMA_HEAP_VALID_HEAP_FLAGS)
		return -EINVAL;

	/* PAGE_ALIGN() wraps to 0 near the top, which the kernel rejects. */
	len = (data.len + page_size - 1) & ~(page_size - 1);
	if (!len)
		return -EINVAL;

	ret->len = len;
	ret->fd_flags = data.fd_flags;
	ret->fd_reachable = out_size >= offsetof(struct dma_heap_allocation_data,
						 fd) + sizeof(data.fd);
	return 0;
}
