// SPDX-License-Identifier: GPL-2.0
/*
 * Sustained demand (t-mpool.sh): h-stream SIZE SECONDS FILE allocates and
 * closes buffers of SIZE (K and M suffixes) back to back for SECONDS, then
 * writes "N ERR" to FILE: N buffers allocated, ERR "0" or the errno name
 * of the failure that stopped it early, and exits 0 (1 when it cannot
 * open the node or FILE).
 */
#include <time.h>

#include "common.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t size;
	double end;
	long n = 0;
	int heap, fd = 0;
	FILE *f;

	CHECK(argc == 4, "usage: h-stream SIZE SECONDS FILE");
	size = parse_size(argv[1]);
	end = now() + atof(argv[2]);
	heap = heap_open(O_RDWR);
	while (now() < end) {
		fd = heap_alloc(heap, size, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			break;
		close(fd);
		n++;
	}
	f = fopen(argv[3], "we");
	CHECK(f, "%s", argv[3]);
	fprintf(f, "%ld %s\n", n, fd < 0 ? strerrorname_np(-fd) : "0");
	fclose(f);
	return 0;
}
