// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of t-memcg.sh, in steps the script paces with SIGUSR1, each step
 * announced by a file in DIR:
 *   DIR/started	then waits;
 *   DIR/alloc	holds "0" or the errno name of allocating MIB MiB, waits;
 *   DIR/freed	the buffer is closed (released, pages freed), waits, exits 0.
 * It never maps or touches the buffer: its own pages stay as they were.
 */
#include <signal.h>

#include "common.h"

int main(int argc, char **argv)
{
	sigset_t set;
	uint64_t len;
	int heap, fd;

	CHECK(argc == 3, "usage: h-memcg-hold DIR MIB");
	len = strtoull(argv[2], NULL, 0) * MiB;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	heap = heap_open(O_RDWR);
	announce(argv[1], "started", "");
	wait_usr1(&set);

	fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		CHECK(dmabuf_size(fd) == len, "dma-buf of %llu bytes",
		      (unsigned long long)dmabuf_size(fd));
	announce(argv[1], "alloc",
		 fd >= 0 ? "0" : fd == -ENOMEM ? "ENOMEM" : strerror(-fd));
	wait_usr1(&set);

	if (fd >= 0)
		close(fd);
	announce(argv[1], "freed", "");
	wait_usr1(&set);
	close(heap);
	return 0;
}
