// SPDX-License-Identifier: GPL-2.0
/*
 * REGION_ADD, run with the daemon stopped.
 *
 * h-region-claim claims BASE SIZE FWBASE: BASE+SIZE is the range memmap=
 * set aside, which the daemon already claimed: the same range gives the
 * same id again, an overlapping one -EBUSY, one reaching past the reserved
 * range -EADDRNOTAVAIL; FWBASE is 2 MiB of what the firmware itself
 * reserved (not RAM in its map): -ENXIO; a size past the cap (2^32 pages,
 * where the page bitmap's unsigned int would wrap) -EINVAL, and the largest
 * size under it is not refused for its size.
 *
 * h-region-claim locked BASE SIZE: under kernel lockdown every claim, even
 * of a range already claimed, is -EPERM, as opening /dev/mem is.
 *
 * h-region-claim unbuilt BASE SIZE: a helper without the region kind
 * refuses a claim of the set-aside range with -EOPNOTSUPP.
 */
#include "common.h"
#include "dmaheap-helper.h"

static int claim(int helper, uint64_t base, uint64_t size, uint32_t *id)
{
	struct dmaheap_helper_region r = { .base = base, .size = size };

	if (ioctl(helper, DMAHEAP_HELPER_IOC_REGION_ADD, &r) < 0)
		return -errno;
	*id = r.id;
	return 0;
}

static void claims(int helper, uint64_t base, uint64_t size, uint64_t fwbase)
{
	/* 2^32 pages of 4 KiB: one page past what the bitmap can count. */
	const uint64_t cap = 4096ull << 32;
	uint64_t far = 1ull << 46;
	uint32_t id1 = 0, id2 = 0;
	int r;

	CHECK(claim(helper, base, size, &id1) == 0, "claim the range again");
	CHECK(claim(helper, base, size, &id2) == 0, "and once more");
	CHECK(id1 && id1 == id2, "ids %u and %u", id1, id2);
	printf("the claimed range again: id %u both times\n", id1);

	r = claim(helper, base + (2 << 20), size - (4 << 20), &id2);
	errno = -r;
	CHECK(r == -EBUSY, "a range inside it: %d", r);
	r = claim(helper, base - (2 << 20), 4 << 20, &id2);
	errno = -r;
	CHECK(r == -EBUSY || r == -EADDRNOTAVAIL, "a range across its start: %d", r);
	r = claim(helper, base + size, 2 << 20, &id2);
	errno = -r;
	CHECK(r == -EADDRNOTAVAIL, "the 2 MiB after it (RAM): %d", r);
	printf("inside: EBUSY, after it: EADDRNOTAVAIL\n");

	r = claim(helper, far, cap, &id2);
	errno = -r;
	CHECK(r == -EINVAL, "%llu TiB: %d", (unsigned long long)(cap >> 40), r);
	r = claim(helper, far, cap - (2 << 20), &id2);
	errno = -r;
	CHECK(r == -ENXIO, "16 TiB - 2 MiB, nowhere: %d", r);
	printf("16 TiB: EINVAL; 16 TiB - 2 MiB (nothing there): ENXIO\n");

	r = claim(helper, fwbase, 2 << 20, &id2);
	errno = -r;
	CHECK(r == -ENXIO, "2 MiB the firmware reserved at 0x%llx: %d",
	      (unsigned long long)fwbase, r);
	printf("2 MiB the firmware reserved at 0x%llx: ENXIO\n",
	       (unsigned long long)fwbase);
}

static void locked(int helper, uint64_t base, uint64_t size)
{
	uint32_t id = 0;
	int r;

	r = claim(helper, base, size, &id);
	errno = -r;
	CHECK(r == -EPERM, "the claimed range under lockdown: %d", r);
	r = claim(helper, base, 2 << 20, &id);
	errno = -r;
	CHECK(r == -EPERM, "its first 2 MiB under lockdown: %d", r);
	printf("under lockdown: EPERM\n");
}

static void unbuilt(int helper, uint64_t base, uint64_t size)
{
	uint32_t id = 0;
	int r;

	r = claim(helper, base, size, &id);
	errno = -r;
	CHECK(r == -EOPNOTSUPP, "the set-aside range: %d", r);
	printf("no region kind: EOPNOTSUPP\n");
}

int main(int argc, char **argv)
{
	uint64_t base, size;
	int helper;

	CHECK(argc >= 4, "usage: h-region-claim claims BASE SIZE FWBASE | locked|unbuilt BASE SIZE");
	base = strtoull(argv[2], NULL, 0);
	size = strtoull(argv[3], NULL, 0);
	helper = open("/dev/" DMAHEAP_HELPER_DEVNAME, O_RDWR | O_CLOEXEC);
	CHECK(helper >= 0, "open the helper (is the daemon stopped?)");

	if (!strcmp(argv[1], "claims") && argc == 5)
		claims(helper, base, size, strtoull(argv[4], NULL, 0));
	else if (!strcmp(argv[1], "locked") && argc == 4)
		locked(helper, base, size);
	else if (!strcmp(argv[1], "unbuilt") && argc == 4)
		unbuilt(helper, base, size);
	else
		CHECK(0, "usage: h-region-claim claims BASE SIZE FWBASE | locked|unbuilt BASE SIZE");
	close(helper);
	return 0;
}
