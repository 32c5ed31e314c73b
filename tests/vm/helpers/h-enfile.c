// SPDX-License-Identifier: GPL-2.0
/*
 * For t-enfile.sh: h-enfile NODE SIZE. Opens NODE, prints "ready", waits
 * for SIGUSR1, then allocates one buffer of SIZE bytes and prints
 * "allocated" or the errno's name. Opening and starting come first: once
 * fs.file-max is below the count, an unprivileged process can open
 * nothing, the heap node and this program's own file included.
 */
#include <signal.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data d = { 0 };
	sigset_t set;
	int heap, sig;

	CHECK(argc == 3, "usage: h-enfile NODE SIZE");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	heap = open(argv[1], O_RDWR | O_CLOEXEC);
	if (heap < 0) {
		printf("open: %s\n", strerrorname_np(errno));
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	d.len = strtoull(argv[2], NULL, 10);
	d.fd_flags = O_RDWR | O_CLOEXEC;
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 0;
	}
	printf("allocated\n");
	close(d.fd);
	return 0;
}
