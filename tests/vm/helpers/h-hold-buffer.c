// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of t-unload.sh: allocate a 1 MiB buffer, map it, write a pattern,
 * create READY-FILE, and on SIGUSR1 check the pattern and exit 0.
 */
#include <signal.h>
#include <sys/mman.h>

#include "common.h"

int main(int argc, char **argv)
{
	const uint64_t len = 1 * MiB;
	sigset_t set;
	uint32_t *p;
	uint64_t i;
	int heap, fd, sig;

	CHECK(argc == 2, "usage: h-hold-buffer READY-FILE");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	heap = heap_open(O_RDWR);
	fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0, "alloc: %s", strerror(-fd));
	close(heap);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap");
	for (i = 0; i < len / 4; i++)
		p[i] = (uint32_t)(i * 7);
	close(open(argv[1], O_CREAT | O_WRONLY | O_CLOEXEC, 0644));

	sigwait(&set, &sig);
	for (i = 0; i < len / 4; i++)
		CHECK(p[i] == (uint32_t)(i * 7), "word %llu",
		      (unsigned long long)i);
	munmap(p, len);
	close(fd);
	return 0;
}
