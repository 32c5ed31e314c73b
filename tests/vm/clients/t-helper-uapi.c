// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's own UAPI, with the daemon stopped: the version query, the
 * stats, and the refusals: reserved fields, bad lengths and flags, unknown
 * kinds, threads that do not exist or are not waiting in a heap ioctl,
 * unknown commands. None of them allocates anything.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "common.h"
#include "dmaheap-helper.h"

static int helper;

static void expect_alloc(struct dmaheap_helper_alloc a, int want,
			 const char *what)
{
	long long allocs0 = helper_counter("allocations");
	int r = ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a);

	CHECK(r == -1 && errno == want, "%s: got %d/%s, want %s", what, r,
	      r ? strerror(errno) : "success", strerror(want));
	CHECK(helper_counter("allocations") == allocs0, "%s allocated", what);
	printf("%-40s -> %s\n", what, strerror(want));
}

static volatile pid_t sleeper_tid;

static void *sleeper(void *arg)
{
	sleeper_tid = (pid_t)syscall(SYS_gettid);
	pause();
	return NULL;
}

int main(void)
{
	struct dmaheap_helper_info info;
	struct dmaheap_helper_stats st;
	struct dmaheap_helper_alloc good = {
		.len = 4096, .user_addr = 0x10000, .kind = 0,
		.fd_flags = O_RDWR, .cmd = DMA_HEAP_IOCTL_ALLOC,
	}, a;
	pthread_t t;

	helper = open("/dev/" DMAHEAP_HELPER_DEVNAME, O_RDWR | O_CLOEXEC);
	CHECK(helper >= 0, "open the helper (is the daemon stopped?)");

	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_INFO, &info) == 0, "INFO");
	CHECK(info.version == DMAHEAP_HELPER_VERSION, "version %u",
	      info.version);
	CHECK(info.features & DMAHEAP_HELPER_FEATURE_SYSTEM, "features");
	CHECK(info.page_size == (uint64_t)sysconf(_SC_PAGESIZE), "page size");
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_STATS, &st) == 0, "STATS");
	CHECK((long long)st.live_buffers == helper_counter("live_buffers") &&
	      (long long)st.allocations == helper_counter("allocations"),
	      "STATS and sysfs disagree");
	printf("version %u, features 0x%llx, stats match sysfs\n", info.version,
	       (unsigned long long)info.features);

	/* A thread of ours, asleep in pause(): not in a heap ioctl. */
	CHECK(pthread_create(&t, NULL, sleeper, NULL) == 0, "thread");
	while (!sleeper_tid)
		sleep_ms(10);
	sleep_ms(50);
	good.tid = (uint32_t)syscall(SYS_gettid);

	a = good; a.reserved0 = 1;
	expect_alloc(a, EINVAL, "reserved0 set");
	a = good; a.reserved[3] = 1;
	expect_alloc(a, EINVAL, "reserved[3] set");
	a = good; a.id = 5;
	expect_alloc(a, EINVAL, "id set on input");
	a = good; a.flags = 2;
	expect_alloc(a, EINVAL, "unknown flag");
	a = good; a.len = 0;
	expect_alloc(a, EINVAL, "len 0");
	a = good; a.len = 4095;
	expect_alloc(a, EINVAL, "len not page aligned");
	a = good; a.fd_flags = O_NONBLOCK;
	expect_alloc(a, EINVAL, "fd_flags O_NONBLOCK");
	a = good; a.kind = 99;
	expect_alloc(a, EOPNOTSUPP, "unknown kind");
	a = good; a.tid = 0x3fffffff;
	expect_alloc(a, ESRCH, "no such thread");
	a = good; a.tid = 2;	/* kthreadd */
	expect_alloc(a, ESRCH, "a kernel thread");
	a = good;
	expect_alloc(a, EINVAL, "the calling thread, not in a heap ioctl");
	a = good; a.tid = (uint32_t)sleeper_tid;
	expect_alloc(a, EINVAL, "a thread asleep in pause()");
	CHECK(ioctl(helper, _IO(DMAHEAP_HELPER_IOC_MAGIC, 9)) == -1 &&
	      errno == ENOTTY, "unknown command");
	printf("%-40s -> %s\n", "unknown command", strerror(ENOTTY));
	close(helper);
	return 0;
}
