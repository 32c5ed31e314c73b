// SPDX-License-Identifier: GPL-2.0
/*
 * One allocation of $DMAHEAPD_BIG_MIB MiB: prints "fd" or "ENOMEM" and
 * exits 0 for either; any other result fails. For t-oom.sh.
 */
#include "common.h"

int main(void)
{
	const char *mib = getenv("DMAHEAPD_BIG_MIB");
	int heap = heap_open(O_RDWR), fd;

	CHECK(mib, "set DMAHEAPD_BIG_MIB");
	fd = heap_alloc(heap, strtoull(mib, NULL, 10) * MiB, O_RDWR);
	errno = fd < 0 ? -fd : 0;
	CHECK(fd >= 0 || fd == -ENOMEM, "allocation");
	printf("%s\n", fd >= 0 ? "fd" : "ENOMEM");
	return 0;
}
