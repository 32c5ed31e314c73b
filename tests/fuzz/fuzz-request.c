// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for daemon/request.c: one ioctl as CUSE hands it over,
 * decoded, and the decoder's promises checked against a model of 6.1
 * dma-heap.c. Any broken promise abort()s.
 *
 * Input: cmd (4 bytes, little endian), a mode byte, then the payload.
 * Mode bit 0 clear: in and out sizes as FUSE derives them from the command
 * (_IOC_SIZE() for _IOC_WRITE and _IOC_READ). Bit 0 set: two more
 * little-endian 16-bit sizes, in then out, which may exceed the 14 bits a
 * command can carry. Bits 1-3: page size 4 KiB << (bits % 5). The input
 * buffer holds exactly in_size bytes (the payload, zero-filled), NULL when
 * in_size is 0 as libfuse passes it, so any read past it is caught.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/dma-heap.h>
#include <linux/ioctl.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FD_FLAGS_ALLOWED	(O_CLOEXEC | O_ACCMODE)

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void check(int cond)
{
	if (!cond)
		abort();
}

/* What the kernel answers: 0 or -EINVAL, and the length it allocates. */
static int model(unsigned int cmd, const struct dma_heap_allocation_data *d,
		 size_t in_size, size_t out_size, uint64_t page_size,
		 uint64_t *ret_len)
{
	uint64_t len;

	if (_IOC_NR(cmd) != 0 || in_size > DH_IOC_SIZE_MAX ||
	    out_size > DH_IOC_SIZE_MAX)
		return -EINVAL;
	if (d->fd || d->fd_flags & ~FD_FLAGS_ALLOWED || d->heap_flags)
		return -EINVAL;
	if (d->len > UINT64_MAX - (page_size - 1))
		return -EINVAL;		/* PAGE_ALIGN() wraps to 0 */
	len = (d->len + page_size - 1) / page_size * page_size;
	if (!len)
		return -EINVAL;
	*ret_len = len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dma_heap_allocation_data seen = { 0 };
	struct dh_alloc_request rq, untouched;
	size_t in_size, out_size, payload_size;
	const uint8_t *payload;
	uint64_t page_size, want_len = 0;
	unsigned int cmd;
	uint8_t mode, *in = NULL;
	int r, want;

	if (size < 5)
		return 0;
	cmd = le32(data);
	mode = data[4];
	payload = data + 5;
	payload_size = size - 5;
	if (mode & 1) {
		if (payload_size < 4)
			return 0;
		in_size = payload[0] | payload[1] << 8;
		out_size = payload[2] | payload[3] << 8;
		payload += 4;
		payload_size -= 4;
	} else {
		in_size = _IOC_DIR(cmd) & _IOC_WRITE ? _IOC_SIZE(cmd) : 0;
		out_size = _IOC_DIR(cmd) & _IOC_READ ? _IOC_SIZE(cmd) : 0;
	}
	page_size = UINT64_C(4096) << ((mode >> 1 & 7) % 5);

	if (in_size) {
		in = calloc(1, in_size);
		if (!in)
			return 0;
		memcpy(in, payload,
		       payload_size < in_size ? payload_size : in_size);
		memcpy(&seen, in,
		       in_size < sizeof(seen) ? in_size : sizeof(seen));
	}

	memset(&rq, 0x5a, sizeof(rq));
	untouched = rq;
	r = dh_request_decode(cmd, in, in_size, out_size, page_size, &rq);
	want = model(cmd, &seen, in_size, out_size, page_size, &want_len);

	/* The documented set: 0 or -EINVAL, and the kernel's verdict. */
	check(r == 0 || r == -EINVAL);
	check(r == want);
	if (r < 0) {
		/* Written only on success. */
		check(!memcmp(&rq, &untouched, sizeof(rq)));
	} else {
		check(rq.len && rq.len % page_size == 0);
		check(rq.len == want_len);
		check(rq.len >= seen.len && rq.len - seen.len < page_size);
		check(!(rq.fd_flags & ~FD_FLAGS_ALLOWED));
		check(rq.fd_flags == seen.fd_flags);
		check(rq.fd_reachable ==
		      (out_size >= offsetof(struct dma_heap_allocation_data, fd) +
					   sizeof(seen.fd)));
	}
	/* The caller's bytes are not touched. */
	if (in_size)
		check(!memcmp(in, payload, payload_size < in_size ?
						   payload_size : in_size));
	free(in);
	return 0;
}
