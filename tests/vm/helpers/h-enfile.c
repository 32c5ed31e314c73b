// SPDX-License-Identifier: GPL-2.0
/*
 * For t-enfile.sh: h-enfile NODE SIZE. Opens NODE, prints "ready", waits
 * for SIGUSR1, then allocates one buffer of SIZE bytes and prints
 * "allocated" or the errno's name. Opening and starting come first: once
 * fs.file-max is below the count, an unprivileged process can open
 * nothing, the heap node and this program's own file included.
 *
 * h-enfile NODE SIZE loop: prints "ready", then allocates and closes
 * buffers back to back, reading fs.file-max after each, until one is
 * refused; prints the errno's name and how many allocations, begun after
 * file-max was seen changed, still got their buffer ("ENFILE after 3").
 * Gives up ("never refused") LOOP_PAST allocations after the change, or
 * LOOP_SECONDS after it began.
 */
#include <signal.h>

#include "common.h"

#define LOOP_PAST	1000
#define LOOP_SECONDS	60

static long long read_max(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	CHECK(n > 0, "pread /proc/sys/fs/file-max");
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static int loop(int heap, unsigned long long len)
{
	struct dma_heap_allocation_data d = { .len = len };
	time_t end = time(NULL) + LOOP_SECONDS;
	long long max0;
	int fd, past = -1;

	fd = open("/proc/sys/fs/file-max", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open /proc/sys/fs/file-max");
	max0 = read_max(fd);
	printf("ready\n");
	fflush(stdout);
	while (past < LOOP_PAST && time(NULL) < end) {
		d.fd = 0;
		d.fd_flags = O_RDWR | O_CLOEXEC;
		if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &d) < 0) {
			printf("%s after %d\n", strerrorname_np(errno), past);
			return 0;
		}
		close(d.fd);
		if (past >= 0)
			past++;
		else if (read_max(fd) != max0)
			past = 0;
	}
	printf("never refused\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data d = { 0 };
	sigset_t set;
	int heap, sig;

	CHECK(argc == 3 || (argc == 4 && !strcmp(argv[3], "loop")),
	      "usage: h-enfile NODE SIZE [loop]");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	heap = open(argv[1], O_RDWR | O_CLOEXEC);
	if (heap < 0) {
		printf("open: %s\n", strerrorname_np(errno));
		return 2;
	}
	if (argc == 4)
		return loop(heap, strtoull(argv[2], NULL, 10));
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
