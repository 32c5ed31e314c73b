// SPDX-License-Identifier: GPL-2.0
/*
 * REGION_ADD on a range the daemon already claimed (run with the daemon
 * stopped): the same range gives the same id again, an overlapping one
 * -EBUSY, one reaching past the reserved range -EADDRNOTAVAIL.
 * Usage: t-region-claim BASE SIZE
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

int main(int argc, char **argv)
{
	uint64_t base, size;
	uint32_t id1 = 0, id2 = 0;
	int helper, r;

	CHECK(argc == 3, "usage: t-region-claim BASE SIZE");
	base = strtoull(argv[1], NULL, 0);
	size = strtoull(argv[2], NULL, 0);
	helper = open("/dev/" DMAHEAP_HELPER_DEVNAME, O_RDWR | O_CLOEXEC);
	CHECK(helper >= 0, "open the helper (is the daemon stopped?)");

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
	close(helper);
	return 0;
}
