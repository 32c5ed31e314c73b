// SPDX-License-Identifier: GPL-2.0
/*
 * For the policy tests: h-hold NODE SIZE COUNT [READY-FILE]. Opens NODE,
 * allocates COUNT buffers of SIZE bytes (K and M suffixes) and prints
 * "allocated N" or, at the first failure, "alloc K: ERRNO-NAME". Without
 * READY-FILE it exits then: 0 if all COUNT were allocated, 3 if one
 * failed, 2 if NODE cannot be opened (printing "open: ERRNO-NAME"). With
 * READY-FILE it writes that line there and holds the buffers (each mapped
 * and written to) until SIGTERM or SIGUSR1.
 */
#include <signal.h>
#include <sys/mman.h>

#include "common.h"

static void report(const char *ready, const char *line)
{
	FILE *f;

	printf("%s\n", line);
	fflush(stdout);
	if (!ready)
		return;
	f = fopen(ready, "we");
	CHECK(f, "%s", ready);
	fprintf(f, "%s\n", line);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data d = { 0 };
	const char *ready = argc > 4 ? argv[4] : NULL;
	uint64_t size, count, i;
	char line[128];
	sigset_t set;
	int heap, sig, failed = 0;
	void *p;

	CHECK(argc == 4 || argc == 5, "usage: h-hold NODE SIZE COUNT [READY-FILE]");
	size = parse_size(argv[2]);
	count = strtoull(argv[3], NULL, 10);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);

	heap = open(argv[1], O_RDWR | O_CLOEXEC);
	if (heap < 0) {
		snprintf(line, sizeof(line), "open: %s", strerrorname_np(errno));
		report(ready, line);
		return 2;
	}
	for (i = 0; i < count; i++) {
		d.len = size;
		d.fd = 0;
		d.fd_flags = O_RDWR | O_CLOEXEC;
		if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0) {
			snprintf(line, sizeof(line), "alloc %llu: %s",
				 (unsigned long long)i + 1,
				 strerrorname_np(errno));
			failed = 1;
			break;
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd,
			 0);
		CHECK(p != MAP_FAILED, "mmap");
		memset(p, 0x5a, size);
	}
	if (!failed)
		snprintf(line, sizeof(line), "allocated %llu",
			 (unsigned long long)count);
	report(ready, line);
	if (ready)
		sigwait(&set, &sig);
	return failed ? 3 : 0;
}
