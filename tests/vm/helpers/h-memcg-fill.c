// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of t-cma-memcg.sh: many buffers held at once, in steps the script
 * paces with SIGUSR1, each announced by a file in DIR.
 *
 *   h-memcg-fill [-d] DIR SIZE COUNT [SIZE COUNT]...
 *
 * DIR/started, then for each pair K (1, 2, ...), after a SIGUSR1: allocates
 * up to COUNT buffers of SIZE (K, M suffixes), stopping at the first
 * failure, holds them and writes DIR/stepK: "N ERR", N buffers allocated,
 * ERR "0" or the errno name of the failure. Then, after a SIGUSR1, closes
 * every buffer and writes DIR/freed; after the last SIGUSR1 it exits 0.
 * It never maps or touches a buffer.
 *
 * -d: on a failure, close that step's buffers before writing DIR/stepK. A
 * cgroup filled to its memory.max by small buffers OOM-kills the next
 * thing its process charges, such as the file it writes.
 */
#include <signal.h>
#include <sys/resource.h>

#include "common.h"

int main(int argc, char **argv)
{
	int heap, fd, *fds, nfds = 0, total = 0, step, i, k, n, drop = 0;
	char name[32], text[64];
	struct rlimit rl;
	uint64_t len;
	sigset_t set;

	if (argc > 1 && !strcmp(argv[1], "-d")) {
		drop = 1;
		argc--;
		argv++;
	}
	CHECK(argc >= 4 && argc % 2 == 0,
	      "usage: h-memcg-fill [-d] DIR SIZE COUNT [SIZE COUNT]...");
	for (i = 3; i < argc; i += 2)
		total += atoi(argv[i]);
	/* Room for every buffer: the soft limit is often 1024. */
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	if (rl.rlim_cur < (rlim_t)total + 64) {
		rl.rlim_cur = total + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "RLIMIT_NOFILE %d",
		      total + 64);
	}
	fds = calloc(total, sizeof(*fds));
	CHECK(fds, "calloc");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	heap = heap_open(O_RDWR);
	announce(argv[1], "started", "");

	for (i = 2, step = 1; i < argc; i += 2, step++) {
		wait_usr1(&set);
		len = parse_size(argv[i]);
		fd = 0;
		for (n = 0; n < atoi(argv[i + 1]); n++) {
			fd = heap_alloc(heap, len, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				break;
			CHECK(dmabuf_size(fd) == len, "dma-buf of %llu bytes",
			      (unsigned long long)dmabuf_size(fd));
			fds[nfds++] = fd;
		}
		if (fd < 0 && drop)
			for (k = 0; k < n; k++)
				close(fds[--nfds]);
		snprintf(name, sizeof(name), "step%d", step);
		snprintf(text, sizeof(text), "%d %s", n,
			 fd >= 0 ? "0" : fd == -ENOMEM ? "ENOMEM" :
			 strerror(-fd));
		announce(argv[1], name, text);
	}

	wait_usr1(&set);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	announce(argv[1], "freed", "");
	wait_usr1(&set);
	close(heap);
	free(fds);
	return 0;
}
