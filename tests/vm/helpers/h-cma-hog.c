// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of t-cma-kill.sh: fills the CMA area with pages that a CMA
 * allocation must migrate, slowly.
 *
 *   h-cma-hog DIR SHARERS
 *
 * Touches anonymous memory, in 1 MiB chunks of small pages, until the
 * kernel put it in the CMA area too (CmaFree at most 8 MiB) or MemAvailable
 * is down to 24 MiB; unmaps every other chunk, so that the pages left in
 * the area have somewhere to go; then forks SHARERS children that map the
 * rest too (each page is unmapped from, and mapped back into, every one of
 * them when it moves). Writes "CHUNKS CMAFREE-KIB" to DIR/ready, then
 * waits for a signal; the children die with it.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "common.h"

#define CHUNK	MiB

/* A /proc/meminfo field in KiB. */
static long meminfo(const char *field)
{
	char line[256];
	long kib = -1;
	size_t len = strlen(field);
	FILE *f = fopen("/proc/meminfo", "re");

	CHECK(f, "/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			kib = atol(line + len + 1);
			break;
		}
	fclose(f);
	CHECK(kib >= 0, "no %s in /proc/meminfo", field);
	return kib;
}

int main(int argc, char **argv)
{
	long chunks, i, sharers, max, cma_free = 0;
	char tmp[256], path[256];
	int sig;
	unsigned char *mem;
	sigset_t set;
	FILE *f;

	CHECK(argc == 3, "usage: h-cma-hog DIR SHARERS");
	sharers = atol(argv[2]);
	max = meminfo("MemTotal") / 1024;
	mem = mmap(NULL, max * CHUNK, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(mem != MAP_FAILED, "mmap %ld MiB", max);
	/* Small pages: many to move, and a THP could not be in the area. */
	madvise(mem, max * CHUNK, MADV_NOHUGEPAGE);

	for (chunks = 0; chunks < max; chunks++) {
		cma_free = meminfo("CmaFree");
		if (cma_free <= 8 * 1024 || meminfo("MemAvailable") <= 24 * 1024)
			break;
		memset(mem + chunks * CHUNK, 0x5a, CHUNK);
	}
	for (i = 1; i < chunks; i += 2)
		CHECK(munmap(mem + i * CHUNK, CHUNK) == 0, "munmap");

	for (i = 0; i < sharers; i++) {
		pid_t pid = fork();

		CHECK(pid >= 0, "fork");
		if (!pid) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(0);
			pause();
			_exit(0);
		}
	}

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	snprintf(tmp, sizeof(tmp), "%s/ready.tmp", argv[1]);
	snprintf(path, sizeof(path), "%s/ready", argv[1]);
	f = fopen(tmp, "we");
	CHECK(f, "create %s", tmp);
	fprintf(f, "%ld %ld\n", chunks, cma_free);
	CHECK(fclose(f) == 0, "write %s", tmp);
	CHECK(rename(tmp, path) == 0, "rename to %s", path);
	CHECK(sigwait(&set, &sig) == 0, "sigwait");
	return 0;
}
