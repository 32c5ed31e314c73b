// SPDX-License-Identifier: GPL-2.0
/* Unit tests of daemon/request.c: the kernel's ioctl contract, byte by byte. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/dma-heap.h>

#include "request.h"

#define PAGE 4096u

/* ALLOC with any _IOC_SIZE, read and write, as CUSE hands it over. */
static unsigned int alloc_cmd(unsigned int size)
{
	return _IOC(_IOC_READ | _IOC_WRITE, 'H', 0, size);
}

static int decode(unsigned int cmd, const void *in, size_t size,
		  struct dh_alloc_request *rq)
{
	size_t in_size = _IOC_DIR(cmd) & _IOC_WRITE ? size : 0;
	size_t out_size = _IOC_DIR(cmd) & _IOC_READ ? size : 0;

	return dh_request_decode(cmd, in, in_size, out_size, PAGE, rq);
}

static void test_standard_struct(void **state)
{
	struct dma_heap_allocation_data d = {
		.len = 4096, .fd_flags = O_RDWR | O_CLOEXEC,
	};
	struct dh_alloc_request rq;

	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), 0);
	assert_int_equal(rq.len, 4096);
	assert_int_equal(rq.fd_flags, O_RDWR | O_CLOEXEC);
	assert_true(rq.fd_reachable);
}

static void test_len_rounded_up(void **state)
{
	struct dma_heap_allocation_data d = { .len = 1 };
	struct dh_alloc_request rq;

	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), 0);
	assert_int_equal(rq.len, PAGE);
	d.len = PAGE + 1;
	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), 0);
	assert_int_equal(rq.len, 2 * PAGE);
	d.len = UINT64_MAX - PAGE + 1;	/* largest that does not wrap */
	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), 0);
	assert_int_equal(rq.len, UINT64_MAX - PAGE + 1);
}

static void test_einval(void **state)
{
	const struct dma_heap_allocation_data good = { .len = PAGE };
	struct dma_heap_allocation_data d;
	struct dh_alloc_request rq;
	unsigned int bit;

	d = good;
	d.len = 0;
	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), -EINVAL);
	d.len = UINT64_MAX;		/* PAGE_ALIGN wraps to 0 */
	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), -EINVAL);
	d.len = UINT64_MAX - PAGE + 2;
	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), -EINVAL);

	d = good;
	d.fd = 3;
	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq), -EINVAL);

	for (bit = 0; bit < 32; bit++) {
		d = good;
		d.fd_flags = 1u << bit;
		assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq),
				 (d.fd_flags & (O_CLOEXEC | O_ACCMODE)) ? 0 : -EINVAL);
	}
	for (bit = 0; bit < 64; bit++) {
		d = good;
		d.heap_flags = 1ull << bit;
		assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq),
				 -EINVAL);
	}
}

/* Any number other than 0 is -EINVAL, not -ENOTTY, whatever type or size. */
static void test_other_numbers(void **state)
{
	const struct dma_heap_allocation_data d = { .len = PAGE };
	struct dh_alloc_request rq;
	unsigned int nr;

	for (nr = 1; nr < 256; nr++)
		assert_int_equal(decode(_IOWR('H', nr, d), &d, sizeof(d), &rq),
				 -EINVAL);
	assert_int_equal(decode(_IO('H', 1), NULL, 0, &rq), -EINVAL);
	/* Type byte is not checked: 'X' number 0 is ALLOC. */
	assert_int_equal(decode(_IOWR('X', 0, d), &d, sizeof(d), &rq), 0);
}

/* Every size from 0 to 64 bytes: short structs zero-filled, long accepted. */
static void test_every_size(void **state)
{
	unsigned char buf[64];
	struct dma_heap_allocation_data *d = (void *)buf;
	struct dh_alloc_request rq;
	size_t size;

	for (size = 0; size <= sizeof(buf); size++) {
		int want;

		memset(buf, 0xa5, sizeof(buf));	/* extra bytes: ignored */
		memset(buf, 0, size < 24 ? size : 24);
		if (size >= 1)
			buf[0] = 0x10;	/* len = 16 -> one page */
		want = size >= 1 ? 0 : -EINVAL;
		assert_int_equal(decode(alloc_cmd(size), buf, size, &rq), want);
		if (want)
			continue;
		assert_int_equal(rq.len, PAGE);
		assert_int_equal(rq.fd_flags, 0);
		assert_int_equal(rq.fd_reachable, size >= 12);
	}
	(void)d;
}

/* The legacy 16-byte struct: len, fd, fd_flags; no heap_flags. */
static void test_legacy_16_bytes(void **state)
{
	struct { uint64_t len; uint32_t fd, fd_flags; } old = {
		.len = 3 * PAGE, .fd_flags = O_CLOEXEC | O_RDWR,
	};
	struct dh_alloc_request rq;

	assert_int_equal(decode(_IOWR('H', 0, old), &old, sizeof(old), &rq), 0);
	assert_int_equal(rq.len, 3 * PAGE);
	assert_int_equal(rq.fd_flags, O_CLOEXEC | O_RDWR);
	assert_true(rq.fd_reachable);
}

/* Direction bits: without _IOC_WRITE nothing comes in (len 0: -EINVAL);
 * without _IOC_READ nothing goes out (valid, but no fd to learn). */
static void test_directions(void **state)
{
	const struct dma_heap_allocation_data d = { .len = PAGE };
	struct dh_alloc_request rq;

	assert_int_equal(decode(_IOR('H', 0, d), &d, sizeof(d), &rq), -EINVAL);
	assert_int_equal(decode(_IO('H', 0), &d, 0, &rq), -EINVAL);
	assert_int_equal(decode(_IOW('H', 0, d), &d, sizeof(d), &rq), 0);
	assert_false(rq.fd_reachable);
}

/* libfuse passes no buffer at all when nothing comes in (found by
 * fuzz-request under UBSan: memcpy() from NULL, even of 0 bytes, is UB). */
static void test_no_input_buffer(void **state)
{
	const struct dma_heap_allocation_data d = { 0 };
	struct dh_alloc_request rq;

	assert_int_equal(decode(_IO('H', 0), NULL, 0, &rq), -EINVAL);
	assert_int_equal(dh_request_decode(_IOR('H', 0, d), NULL, 0, sizeof(d),
					   PAGE, &rq), -EINVAL);
}

static void test_out_written_only_on_success(void **state)
{
	const struct dma_heap_allocation_data d = { .len = 0 };
	struct dh_alloc_request rq;

	memset(&rq, 0x5a, sizeof(rq));
	assert_int_equal(decode(DMA_HEAP_IOCTL_ALLOC, &d, sizeof(d), &rq),
			 -EINVAL);
	assert_int_equal(rq.len, 0x5a5a5a5a5a5a5a5aull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard_struct),
		cmocka_unit_test(test_len_rounded_up),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_other_numbers),
		cmocka_unit_test(test_every_size),
		cmocka_unit_test(test_legacy_16_bytes),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_no_input_buffer),
		cmocka_unit_test(test_out_written_only_on_success),
	};

	return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}
