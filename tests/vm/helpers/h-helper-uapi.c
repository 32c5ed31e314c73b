// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's own UAPI, with the daemon stopped: the version query, the
 * pools' size (uncharged, and per memory cgroup), and the refusals: reserved fields, bad lengths, flags and device
 * numbers, unknown kinds, threads that do not exist, unknown commands. None
 * of them allocates anything. A buffer for a thread that is not in a heap
 * ioctl is allocated but never delivered: dropped when that thread's next
 * syscall returns, and a second one for the same thread is refused.
 * Release events: read() and poll() with none queued, one per buffer with a
 * cookie once it is freed (delivered or dropped), read exactly once, none
 * for a file closed meanwhile, and the "event" and "open" fault sites.
 * A deferred ALLOC (DEFER): FILL's refusals, its delivery waiting for FILL
 * from another thread, one not deferred, one dropped before FILL (its event
 * all the same), one FILL refuses with an errno (the caller's ioctl returns
 * it, no buffer, its event).
 */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static void expect_region(uint64_t base, uint64_t size, uint32_t res0,
			  int want, const char *what)
{
	struct dmaheap_helper_region r = {
		.base = base, .size = size, .reserved0 = res0,
	};
	int ret = ioctl(helper, DMAHEAP_HELPER_IOC_REGION_ADD, &r);

	CHECK(ret == -1 && errno == want, "%s: got %d/%s, want %s", what, ret,
	      ret ? strerror(errno) : "success", strerror(want));
	printf("%-40s -> %s\n", what, strerror(want));
}

/* Ordinary RAM: 16 MiB, the kernel's own memory on x86. */
#define RAM_BASE	(16ull << 20)

static void check_region_add(const struct dmaheap_helper_info *info)
{
	if (!(info->features &
	      DMAHEAP_HELPER_FEATURE(DMAHEAP_HELPER_KIND_REGION))) {
		expect_region(RAM_BASE, 2 << 20, 0, EOPNOTSUPP,
			      "region, a helper without the kind");
		return;
	}
	expect_region(RAM_BASE, 2 << 20, 1, EINVAL, "region, reserved0 set");
	expect_region(RAM_BASE + 4096, 2 << 20, 0, EINVAL,
		      "region base not 2 MiB aligned");
	expect_region(RAM_BASE, 1 << 20, 0, EINVAL, "region size 1 MiB");
	expect_region(RAM_BASE, 0, 0, EINVAL, "region size 0");
	expect_region(-(2ull << 20), 4ull << 20, 0, EINVAL,
		      "region wrapping around");
	/* 2^32 pages: past what the page bitmap counts. */
	expect_region(1ull << 46, 16ull << 40, 0, EINVAL, "region of 16 TiB");
	expect_region(RAM_BASE, 2 << 20, 0, EADDRNOTAVAIL, "region in RAM");
	/* 1 TiB: nothing there, not RAM in the firmware's map. */
	expect_region(1ull << 40, 2 << 20, 0, ENXIO,
		      "region where there is no RAM");
}

/*
 * With the pool full: a charged 1 MiB buffer takes nothing from it (its
 * pages were charged to nobody), an uncharged one takes a block. Both are
 * for this thread, whose helper ioctl returns first: dropped at once.
 */
static void check_pool_charged(struct dmaheap_helper_alloc good)
{
	struct dmaheap_helper_alloc a = good;
	long long hits0 = helper_counter("pool_hits");

	a.len = 1 << 20;
	a.flags = DMAHEAP_HELPER_ALLOC_CHARGE;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "charged ALLOC");
	CHECK(helper_counter("pool_hits") == hits0 &&
	      helper_counter("pool_bytes") == 8 << 20,
	      "a charged buffer took from the pool: hits %lld -> %lld",
	      hits0, helper_counter("pool_hits"));
	a = good;
	a.len = 1 << 20;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "ALLOC");
	CHECK(helper_counter("pool_hits") == hits0 + 1,
	      "an uncharged 1 MiB buffer did not take from the pool");
	printf("%-40s -> not from the pool; uncharged: from it\n",
	       "charged 1 MiB with the pool full");
}

/* own_pool_key() when cgroup2 is not mounted at /sys/fs/cgroup. */
#define KEY_UNKNOWN	(~0ULL)

/*
 * The key of this process's pool: the inode number of its cgroup directory,
 * 0 on a kernel without the memory controller (one pool, charged to
 * nobody), or KEY_UNKNOWN when cgroup2 is not mounted at /sys/fs/cgroup
 * (the key is then not checked).
 */
static unsigned long long own_pool_key(void)
{
	char line[512], path[600];
	struct stat st;
	FILE *f = fopen("/sys/fs/cgroup/cgroup.controllers", "re");
	unsigned long long ino = KEY_UNKNOWN;
	bool memory = false;

	if (!f)
		return KEY_UNKNOWN;
	while (fscanf(f, "%511s", line) == 1)
		memory |= strcmp(line, "memory") == 0;
	fclose(f);
	if (!memory)
		return 0;
	f = fopen("/proc/self/cgroup", "re");
	CHECK(f, "/proc/self/cgroup");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s",
				 line + 3);
			if (stat(path, &st) == 0)
				ino = st.st_ino;
		}
	fclose(f);
	return ino;
}

/*
 * POOL with DMAHEAP_HELPER_POOL_PER_MEMCG: the uncharged pool empties, a
 * charged buffer makes its cgroup a pool, refilled to its demand (1 MiB),
 * which the next one takes; MEMCG_POOLS lists it. Back to the uncharged
 * pool, the cgroup's goes. Buffers for this thread: dropped at once.
 */
static void check_memcg_pools(struct dmaheap_helper_alloc good)
{
	struct dmaheap_helper_pool p = { .max_bytes = 8 << 20 };
	struct dmaheap_helper_memcg_pool e[DMAHEAP_HELPER_MEMCG_POOLS_MAX];
	struct dmaheap_helper_memcg_pools l = {
		.entries = (uintptr_t)e, .count = 1,
	};
	struct dmaheap_helper_alloc a = good;
	unsigned long long key = own_pool_key();
	long long hits0 = helper_counter("memcg_pool_hits");
	long long misses0 = helper_counter("memcg_pool_misses");

	p.flags = 2;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_POOL, &p) < 0 && errno == EINVAL,
	      "POOL with an unknown flag");
	p.flags = DMAHEAP_HELPER_POOL_PER_MEMCG;
	p.reserved0 = 1;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_POOL, &p) < 0 && errno == EINVAL,
	      "POOL with reserved0 set");
	p.reserved0 = 0;
	l.reserved0 = 1;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_MEMCG_POOLS, &l) < 0 &&
	      errno == EINVAL, "MEMCG_POOLS with reserved0 set");
	l.reserved0 = 0;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_POOL, &p) == 0,
	      "POOL 8 MiB per memory cgroup");
	CHECK(helper_counter("pool_bytes") == 0 &&
	      helper_counter("memcg_pools") == 0,
	      "per memcg: pool_bytes %lld, memcg_pools %lld",
	      helper_counter("pool_bytes"), helper_counter("memcg_pools"));

	a.len = 1 << 20;
	a.flags = DMAHEAP_HELPER_ALLOC_CHARGE;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "charged ALLOC");
	CHECK(helper_counter("memcg_pools") == 1 &&
	      helper_counter("memcg_pool_misses") == misses0 + 1,
	      "first charged 1 MiB: memcg_pools %lld, misses %lld -> %lld",
	      helper_counter("memcg_pools"), misses0,
	      helper_counter("memcg_pool_misses"));
	CHECK(wait_counter("memcg_pool_bytes", 1 << 20, 5000),
	      "the cgroup's pool at %lld bytes, not 1 MiB",
	      helper_counter("memcg_pool_bytes"));
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_MEMCG_POOLS, &l) == 0 &&
	      l.count == 1 && e[0].bytes == 1 << 20 &&
	      e[0].target == 1 << 20 && e[0].misses == 1 && e[0].hits == 0,
	      "MEMCG_POOLS: %u pools, bytes %llu, target %llu", l.count,
	      (unsigned long long)e[0].bytes,
	      (unsigned long long)e[0].target);
	CHECK(key == KEY_UNKNOWN || e[0].cgroup_ino == key,
	      "pool of cgroup inode %llu, not %llu",
	      (unsigned long long)e[0].cgroup_ino, key);
	l.count = 0;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_MEMCG_POOLS, &l) == 0 &&
	      l.count == 1, "MEMCG_POOLS with no room: count %u", l.count);

	a = good;
	a.len = 1 << 20;
	a.flags = DMAHEAP_HELPER_ALLOC_CHARGE;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "charged ALLOC");
	CHECK(helper_counter("memcg_pool_hits") == hits0 + 1,
	      "the second charged 1 MiB did not take from the cgroup's pool");

	p.flags = 0;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_POOL, &p) == 0, "POOL 8 MiB");
	CHECK(wait_counter("memcg_pools", 0, 5000) &&
	      helper_counter("memcg_pool_bytes") == 0,
	      "uncharged pool back: memcg_pools %lld, memcg_pool_bytes %lld",
	      helper_counter("memcg_pools"),
	      helper_counter("memcg_pool_bytes"));
	CHECK(wait_counter("pool_bytes", 8 << 20, 20000),
	      "pool at %lld bytes, not 8 MiB", helper_counter("pool_bytes"));
	printf("%-40s -> its cgroup's pool (inode %llu) filled to 1 MiB, taken; off again\n",
	       "charged 1 MiB, pools per memcg", (unsigned long long)e[0].cgroup_ino);
}

static volatile pid_t sleeper_tid;

/*
 * POOL, the pool's only setting: checked, then the pool fills to it; the
 * daemon sets it again.
 */
static void check_pool(void)
{
	uint64_t ram = (uint64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
	struct dmaheap_helper_pool p = { .max_bytes = 8 << 20 };

	p.reserved[1] = 1;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_POOL, &p) < 0 && errno == EINVAL,
	      "POOL with reserved[1] set");
	p.reserved[1] = 0;
	p.max_bytes = ram;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_POOL, &p) < 0 && errno == EINVAL,
	      "POOL with all of RAM");
	p.max_bytes = 8 << 20;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_POOL, &p) == 0, "POOL 8 MiB");
	CHECK(wait_counter("pool_bytes", 8 << 20, 20000) &&
	      helper_counter("pool_bytes") == 8 << 20,
	      "pool at %lld bytes, not 8 MiB", helper_counter("pool_bytes"));
	printf("%-40s -> EINVAL, all of RAM too, 8 MiB fills the pool\n",
	       "POOL with reserved set");
}

static void on_usr1(int sig)
{
}

static void *sleeper(void *arg)
{
	sleeper_tid = (pid_t)syscall(SYS_gettid);
	pause();
	return NULL;
}

/*
 * @a as the heap ioctl of this thread: the helper's own ALLOC on the
 * helper's device, delivering into @a itself.
 */
static void as_own_heap_ioctl(struct dmaheap_helper_alloc *a)
{
	struct stat st;

	CHECK(fstat(helper, &st) == 0, "fstat helper");
	a->tid = (uint32_t)syscall(SYS_gettid);
	a->cmd = DMAHEAP_HELPER_IOC_ALLOC;
	a->user_addr = (uintptr_t)a;
	a->node_major = major(st.st_rdev);
	a->node_minor = minor(st.st_rdev);
}

/* The helper's own ALLOC as the heap ioctl: delivered, fd returned. */
static int alloc_delivered(struct dmaheap_helper_alloc *a)
{
	long long installed0 = helper_counter("fds_installed");

	as_own_heap_ioctl(a);
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, a) == 0, "ALLOC");
	CHECK(helper_counter("fds_installed") == installed0 + 1,
	      "not delivered");
	return (int)(uint32_t)a->user_addr;
}

/*
 * The delivery checks the ioctl's fd is the heap node it was told. Here the
 * "caller" is this thread's own ALLOC ioctl on the helper, which returns 0
 * with the right number, command and address: told another node, nothing
 * is delivered; told the helper's own device number, the fd lands at
 * user_addr + 8, that is in the struct's user_addr field.
 */
static void check_node_matters(struct dmaheap_helper_alloc good)
{
	long long installed0 = helper_counter("fds_installed");
	long long dropped0 = helper_counter("deliveries_dropped");
	struct dmaheap_helper_alloc a = good;
	int fd;

	as_own_heap_ioctl(&a);
	a.node_major = good.node_major;
	a.node_minor = good.node_minor;
	/*
	 * The same ioctl, command and struct on another file: to the helper
	 * this is the caller's ioctl after another thread put something else
	 * at its fd (dup2, t-dup2), and it must fail rather than return 0
	 * with no fd.
	 */
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == -1 &&
	      errno == EIO, "ALLOC on another device than the node returned 0");
	CHECK(a.user_addr == (uintptr_t)&a, "written into a foreign ioctl");
	CHECK(helper_counter("fds_installed") == installed0 &&
	      helper_counter("deliveries_dropped") == dropped0 + 1,
	      "ioctl on another device was not refused");

	/* Delivered at offset 8, user_addr's low half. */
	a = good;
	fd = alloc_delivered(&a);
	CHECK(dmabuf_size(fd) == good.len, "fd %d is not the buffer", fd);
	close(fd);
	printf("%-40s -> dropped, EIO; on the node told: delivered\n",
	       "ioctl on another device than the node");
}

/*
 * The helper names the process of the thread it allocated for (another
 * thread than the leader here): our tgid, and our start time, the instant
 * /proc/self/stat field 22 shows in clock ticks.
 */
static void check_process(const struct dmaheap_helper_alloc *a)
{
	unsigned long long start_ticks = 0;
	char buf[1024], *p;
	ssize_t n;
	int fd, field;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open /proc/self/stat");
	n = read(fd, buf, sizeof(buf) - 1);
	CHECK(n > 0, "read /proc/self/stat");
	close(fd);
	buf[n] = '\0';
	/* Fields after the name, which may hold spaces: 3 is the state. */
	p = strrchr(buf, ')');
	CHECK(p, "/proc/self/stat: no name");
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	CHECK(p && sscanf(p + 1, "%llu", &start_ticks) == 1,
	      "/proc/self/stat: no field 22");
	CHECK(a->tgid == (uint32_t)getpid(), "tgid %u, not %d", a->tgid,
	      (int)getpid());
	CHECK(a->start_time / (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK)) ==
	      start_ticks, "start_time %llu ns, /proc/self/stat says %llu ticks",
	      (unsigned long long)a->start_time, start_ticks);
	printf("%-40s -> tgid %u, start %llu ns (/proc: %llu ticks)\n",
	       "process of another thread", a->tgid,
	       (unsigned long long)a->start_time, start_ticks);
}

#define FAULT "/sys/module/dmaheap_helper/parameters/fault_inject"
#define EVSIZE sizeof(struct dmaheap_helper_event)

static void fault_arm(const char *site)
{
	int fd = open(FAULT, O_WRONLY | O_CLOEXEC);

	CHECK(fd >= 0 && write(fd, site, strlen(site)) == (ssize_t)strlen(site),
	      "arm %s", site);
	close(fd);
}

static int fault_armed(void)
{
	char buf[32] = "";
	int fd = open(FAULT, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) >= 0, "read " FAULT);
	close(fd);
	return buf[0] && buf[0] != '\n';
}

static int pollin(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	CHECK(poll(&p, 1, 0) >= 0, "poll");
	return !!(p.revents & POLLIN);
}

/* read() with O_NONBLOCK: bytes, or -errno. */
static ssize_t read_nonblock(int fd, void *buf, size_t count)
{
	int fl = fcntl(fd, F_GETFL);
	ssize_t r;

	CHECK(fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0, "O_NONBLOCK");
	r = read(fd, buf, count);
	if (r < 0)
		r = -errno;
	CHECK(fcntl(fd, F_SETFL, fl) == 0, "clear O_NONBLOCK");
	return r;
}

static void expect_no_event(const char *when)
{
	struct dmaheap_helper_event ev;
	ssize_t r = read_nonblock(helper, &ev, sizeof(ev));

	CHECK(r == -EAGAIN, "%s: read got %zd, want EAGAIN", when, r);
	CHECK(!pollin(helper), "%s: POLLIN", when);
}

static void expect_event(const struct dmaheap_helper_event *ev,
			 uint64_t cookie, uint64_t id, uint64_t len)
{
	CHECK(ev->cookie == cookie && ev->id == id && ev->len == len &&
	      ev->type == DMAHEAP_HELPER_EVENT_RELEASED && !ev->reserved,
	      "event cookie %#llx id %llu len %llu type %u, want %#llx %llu %llu",
	      (unsigned long long)ev->cookie, (unsigned long long)ev->id,
	      (unsigned long long)ev->len, ev->type, (unsigned long long)cookie,
	      (unsigned long long)id, (unsigned long long)len);
}

/* The next event, read without waiting: @what's, for @cookie, @id, @len. */
static void expect_next_event(const char *what, uint64_t cookie, uint64_t id,
			      uint64_t len)
{
	struct dmaheap_helper_event ev;

	CHECK(read_nonblock(helper, &ev, sizeof(ev)) == sizeof(ev),
	      "no event for %s", what);
	expect_event(&ev, cookie, id, len);
}

struct reader {
	struct dmaheap_helper_event ev;
	ssize_t r;
	int done;
};

static void *blocking_reader(void *arg)
{
	struct reader *rd = arg;

	rd->r = read(helper, &rd->ev, sizeof(rd->ev));
	__atomic_store_n(&rd->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void check_events(struct dmaheap_helper_alloc good)
{
	struct dmaheap_helper_event evs[3];
	struct dmaheap_helper_alloc a;
	long long live0 = helper_counter("live_buffers");
	long long allocs0;
	uint64_t id1, id2;
	struct reader rd = { .r = 0 };
	pthread_t t;
	ssize_t r;
	int fd;

	good.tid = (uint32_t)syscall(SYS_gettid);

	/* Nothing queued: EINVAL for less than an event, EAGAIN, no POLLIN. */
	CHECK(read(helper, evs, EVSIZE - 1) == -1 && errno == EINVAL,
	      "read of %zu bytes", EVSIZE - 1);
	CHECK(read_nonblock(helper, evs, 0) == -EINVAL, "read of 0 bytes");
	expect_no_event("nothing allocated");
	printf("%-40s -> EINVAL; none queued: EAGAIN, no POLLIN\n",
	       "read() of less than an event");

	/* Dropped deliveries: their buffers are released at once. */
	a = good; a.cookie = 0x1111;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "ALLOC");
	id1 = a.id;
	a = good; a.cookie = 0x2222; a.len = 3 * 4096;
	a.flags = DMAHEAP_HELPER_ALLOC_CHARGE;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0,
	      "ALLOC with CHARGE");
	id2 = a.id;
	CHECK(id1 && id2 > id1, "ids %llu, %llu", (unsigned long long)id1,
	      (unsigned long long)id2);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	CHECK(pollin(helper), "no POLLIN with two events queued");
	/* Room for two and a half: two whole events. */
	r = read(helper, evs, 2 * EVSIZE + EVSIZE / 2);
	CHECK(r == (ssize_t)(2 * EVSIZE), "read %zd bytes, want %zu", r,
	      2 * EVSIZE);
	expect_event(&evs[0], 0x1111, id1, 4096);
	expect_event(&evs[1], 0x2222, id2, 3 * 4096);
	expect_no_event("both read");
	printf("%-40s -> one event each, read once\n",
	       "2 dropped buffers with cookies");

	/* Delivered: no event while the fd is open, one after close(). */
	a = good; a.cookie = 0x3333; a.len = 2 * 4096;
	fd = alloc_delivered(&a);
	CHECK(dmabuf_size(fd) == 2 * 4096, "fd %d is not the buffer", fd);
	sleep_ms(50);
	expect_no_event("buffer held");
	CHECK(pthread_create(&t, NULL, blocking_reader, &rd) == 0, "thread");
	sleep_ms(200);
	CHECK(!__atomic_load_n(&rd.done, __ATOMIC_SEQ_CST),
	      "a blocking read returned %zd with nothing queued", rd.r);
	close(fd);
	CHECK(pthread_join(t, NULL) == 0, "join");
	CHECK(rd.r == (ssize_t)EVSIZE, "blocking read got %zd", rd.r);
	expect_event(&rd.ev, 0x3333, a.id, 2 * 4096);
	expect_no_event("event read by the blocked reader");
	printf("%-40s -> none while held, one after close, wakes a reader\n",
	       "delivered buffer with a cookie");

	/* No cookie, no event. */
	a = good;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "ALLOC");
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers");
	expect_no_event("buffer without a cookie released");

	/* The event cannot be allocated: nothing allocated, slot released. */
	allocs0 = helper_counter("allocations");
	fault_arm("event");
	a = good; a.cookie = 0x4444;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == -1 &&
	      errno == ENOMEM, "event fault: want ENOMEM");
	CHECK(!fault_armed(), "event fault site not reached");
	CHECK(helper_counter("allocations") == allocs0 &&
	      helper_counter("live_buffers") == live0, "event fault left a buffer");
	a = good; a.cookie = 0x5555;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0,
	      "ALLOC after the event fault (slot not released?)");
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers");
	CHECK(read(helper, evs, sizeof(evs)) == (ssize_t)EVSIZE, "read");
	expect_event(&evs[0], 0x5555, a.id, 4096);
	expect_no_event("after the event fault");
	printf("%-40s -> ENOMEM, nothing left, next ALLOC fine\n",
	       "event fault");
}

/*
 * Events of a closed file are dropped: a buffer outlives the helper's file,
 * the next opener gets nothing. The "open" fault fails an open, once.
 */
static void check_closed_file(struct dmaheap_helper_alloc good)
{
	long long live0 = helper_counter("live_buffers");
	struct dmaheap_helper_alloc a = good;
	int fd;

	a.cookie = 0x6666;
	fd = alloc_delivered(&a);
	close(helper);
	close(fd);
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));

	fault_arm("open");
	CHECK(open("/dev/" DMAHEAP_HELPER_DEVNAME, O_RDWR | O_CLOEXEC) == -1 &&
	      errno == ENOMEM, "open fault: want ENOMEM");
	CHECK(!fault_armed(), "open fault site not reached");
	helper = open("/dev/" DMAHEAP_HELPER_DEVNAME, O_RDWR | O_CLOEXEC);
	CHECK(helper >= 0, "open after the open fault");
	expect_no_event("buffer released after its file closed");
	printf("%-40s -> dropped; open fault: ENOMEM, then opens\n",
	       "buffer outliving its helper file");
}

struct filler {
	struct dmaheap_helper_alloc *a;	/* its id appears when ALLOC answers */
	pid_t tid;
	int bad[4];			/* FILL's errno for the bad ones */
	int r;				/* the good one's */
	int again;			/* a second one's errno */
	int refusal;			/* the errno a refuser FILLs with */
};

static int fill(uint64_t id, pid_t tid, int32_t error, uint64_t res1)
{
	struct dmaheap_helper_fill f = {
		.id = id, .tid = (uint32_t)tid, .error = error,
		.reserved = { res1 },
	};

	return ioctl(helper, DMAHEAP_HELPER_IOC_FILL, &f) ? errno : 0;
}

/* The id @a's ALLOC answers, once it has (from another thread). */
static uint64_t answered_id(const struct dmaheap_helper_alloc *a)
{
	uint64_t id;

	while (!(id = __atomic_load_n(&a->id, __ATOMIC_SEQ_CST)))
		sleep_ms(1);
	return id;
}

/*
 * Another thread of the caller's, FILLing once the caller's ALLOC has
 * answered: the caller is then in its delivery, waiting for this.
 */
static void *filler(void *arg)
{
	struct filler *f = arg;
	uint64_t id = answered_id(f->a);

	sleep_ms(50);
	f->bad[0] = fill(id, f->tid, 1, 0);
	f->bad[1] = fill(id, f->tid, 0, 1);
	f->bad[2] = fill(id + 1000, f->tid, 0, 0);
	f->bad[3] = fill(id, (pid_t)syscall(SYS_gettid), 0, 0);
	f->r = fill(id, f->tid, 0, 0);
	f->again = fill(id, f->tid, 0, 0);
	return NULL;
}

static void check_deferred(struct dmaheap_helper_alloc good)
{
	long long installed0 = helper_counter("fds_installed");
	long long allocs0 = helper_counter("allocations");
	long long dropped0 = helper_counter("deliveries_dropped");
	long long live0 = helper_counter("live_buffers");
	struct dmaheap_helper_alloc a;
	struct filler f = { .a = &a };
	pthread_t t;
	uint64_t id;
	int fd;

	CHECK(fill(0, (pid_t)syscall(SYS_gettid), 0, 0) == EINVAL, "FILL id 0");
	CHECK(fill(1, (pid_t)syscall(SYS_gettid), 0, 0) == ESRCH,
	      "FILL of nothing deferred");

	/* The helper's own ALLOC as the heap ioctl, FILLed by another thread. */
	a = good;
	as_own_heap_ioctl(&a);
	a.flags = DMAHEAP_HELPER_ALLOC_DEFER;
	f.tid = (pid_t)a.tid;
	CHECK(pthread_create(&t, NULL, filler, &f) == 0, "filler thread");
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "deferred ALLOC");
	pthread_join(t, NULL);
	CHECK(a.flags == (DMAHEAP_HELPER_ALLOC_DEFER |
			  DMAHEAP_HELPER_ALLOC_DEFERRED), "flags %#x", a.flags);
	CHECK(f.bad[0] == EINVAL && f.bad[1] == EINVAL,
	      "FILL with error 1, reserved fields: %s, %s", strerror(f.bad[0]),
	      strerror(f.bad[1]));
	CHECK(f.bad[2] == ESRCH && f.bad[3] == ESRCH,
	      "FILL of another id, another thread: %s, %s",
	      strerror(f.bad[2]), strerror(f.bad[3]));
	CHECK(f.r == 0, "FILL: %s", strerror(f.r));
	CHECK(f.again == ESRCH, "a second FILL: %s", strerror(f.again));
	fd = (int)(uint32_t)a.user_addr;	/* offset 8: user_addr's low half */
	CHECK(dmabuf_size(fd) == good.len, "fd %d is not the buffer", fd);
	CHECK(helper_counter("fds_installed") == installed0 + 1 &&
	      helper_counter("allocations") == allocs0 + 1,
	      "installed %lld, allocated %lld",
	      helper_counter("fds_installed") - installed0,
	      helper_counter("allocations") - allocs0);
	close(fd);
	printf("%-40s -> waited for FILL from another thread, delivered; FILL refusals EINVAL, ESRCH\n",
	       "deferred 4 KiB ALLOC");

	/* Not a buffer made ahead: not deferred, delivered at once. */
	a = good;
	a.flags = DMAHEAP_HELPER_ALLOC_DEFER;
	a.len = 16 * KiB;
	fd = alloc_delivered(&a);
	CHECK(a.flags == DMAHEAP_HELPER_ALLOC_DEFER, "16 KiB deferred");
	CHECK(dmabuf_size(fd) == 16 * KiB, "fd %d is not the buffer", fd);
	close(fd);
	printf("%-40s -> not deferred\n", "DEFER for 16 KiB");

	/* Dropped before FILL (not the heap ioctl): no buffer, one event. */
	dropped0 = helper_counter("deliveries_dropped");
	allocs0 = helper_counter("allocations");
	expect_no_event("before a deferred drop");
	a = good;
	a.tid = (uint32_t)syscall(SYS_gettid);
	a.flags = DMAHEAP_HELPER_ALLOC_DEFER;
	a.cookie = 0x3333;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0, "ALLOC");
	id = a.id;
	CHECK(a.flags & DMAHEAP_HELPER_ALLOC_DEFERRED, "not deferred");
	CHECK(helper_counter("deliveries_dropped") == dropped0 + 1,
	      "not dropped on the helper ioctl's return");
	CHECK(fill(id, (pid_t)syscall(SYS_gettid), 0, 0) == ESRCH,
	      "FILL after the drop");
	expect_next_event("the dropped deferred ALLOC", 0x3333, id, good.len);
	CHECK(helper_counter("allocations") == allocs0, "a buffer was made");
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	printf("%-40s -> no buffer, its event, FILL ESRCH\n",
	       "deferred ALLOC dropped before FILL");
}

/*
 * Another thread refusing the caller's deferred buffer, as the daemon's
 * policy does after its reply: first with errors FILL refuses (positive,
 * past a user-space errno), then with f->refusal, then again.
 */
static void *refuser(void *arg)
{
	struct filler *f = arg;
	uint64_t id = answered_id(f->a);

	sleep_ms(50);
	f->bad[0] = fill(id, f->tid, 1, 0);
	f->bad[1] = fill(id, f->tid, -512, 0);	/* -ERESTARTSYS */
	f->bad[2] = fill(id, f->tid, INT32_MIN, 0);
	f->r = fill(id, f->tid, -f->refusal, 0);
	f->again = fill(id, f->tid, 0, 0);
	return NULL;
}

/*
 * FILL with an error: the caller's ioctl returns it, no buffer is made, no
 * fd goes out, and the ALLOC's release event follows, as for a FILL whose
 * allocation failed. Any user-space errno, EINPROGRESS too (the helper's
 * claim once told an abandoned delivery by it).
 */
static void check_fill_refusal(struct dmaheap_helper_alloc good, int refusal)
{
	long long installed0 = helper_counter("fds_installed");
	long long allocs0 = helper_counter("allocations");
	long long live0 = helper_counter("live_buffers");
	struct dmaheap_helper_alloc a;
	struct filler f = { .a = &a, .refusal = refusal };
	pthread_t t;
	int r;

	expect_no_event("before a refused deferred ALLOC");
	a = good;
	as_own_heap_ioctl(&a);
	a.flags = DMAHEAP_HELPER_ALLOC_DEFER;
	a.cookie = 0x7777;
	f.tid = (pid_t)a.tid;
	CHECK(pthread_create(&t, NULL, refuser, &f) == 0, "refuser thread");
	r = ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a);
	CHECK(r == -1 && errno == refusal, "refused deferred ALLOC: %s, not %s",
	      r ? strerror(errno) : "success", strerror(refusal));
	pthread_join(t, NULL);
	CHECK(f.bad[0] == EINVAL && f.bad[1] == EINVAL && f.bad[2] == EINVAL,
	      "FILL with error 1, -512, INT32_MIN: %s, %s, %s",
	      strerror(f.bad[0]), strerror(f.bad[1]), strerror(f.bad[2]));
	CHECK(f.r == 0, "FILL with -%d: %s", refusal, strerror(f.r));
	CHECK(f.again == ESRCH, "FILL after the refusal: %s", strerror(f.again));
	CHECK(helper_counter("fds_installed") == installed0 &&
	      helper_counter("allocations") == allocs0,
	      "refused, yet installed %lld, allocated %lld",
	      helper_counter("fds_installed") - installed0,
	      helper_counter("allocations") - allocs0);
	CHECK(helper_counter("live_buffers") == live0, "live buffers %lld, was %lld",
	      helper_counter("live_buffers"), live0);
	expect_next_event("the refused ALLOC", 0x7777, a.id, good.len);
	expect_no_event("after a refused deferred ALLOC");
	printf("FILL with error -%-23d -> caller %s, no buffer, its event; bad errors EINVAL\n",
	       refusal, strerror(refusal));
}

/* FILL as soon as the ALLOC has answered, before it returns. */
static void *early_filler(void *arg)
{
	struct filler *f = arg;

	f->r = fill(answered_id(f->a), f->tid, 0, 0);
	return NULL;
}

/*
 * A daemon that FILLs from another thread before its deferred ALLOC has
 * returned, and that ALLOC then fails to queue the delivery (the
 * defer_filled site: it waits for the FILL, then fails as task_work_add()
 * does for an exiting caller): the buffer FILL made is dropped, not
 * leaked, and the ALLOC's event follows it.
 */
static void check_fill_before_failed_alloc(struct dmaheap_helper_alloc good)
{
	long long dropped0 = helper_counter("deliveries_dropped");
	long long allocs0 = helper_counter("allocations");
	long long live0 = helper_counter("live_buffers");
	struct dmaheap_helper_alloc a = good;
	struct filler f = { .a = &a };
	pthread_t t;

	expect_no_event("before a FILL racing a failed ALLOC");
	a.tid = (uint32_t)syscall(SYS_gettid);
	a.flags = DMAHEAP_HELPER_ALLOC_DEFER;
	a.cookie = 0x4444;
	f.tid = (pid_t)a.tid;
	fault_arm("defer_filled");
	CHECK(pthread_create(&t, NULL, early_filler, &f) == 0, "filler");
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == -1 &&
	      errno == ESRCH, "ALLOC did not fail with ESRCH: %s",
	      strerror(errno));
	pthread_join(t, NULL);
	CHECK(!fault_armed(), "defer_filled not reached");
	CHECK(f.r == 0, "FILL: %s", strerror(f.r));
	CHECK(helper_counter("allocations") == allocs0 + 1, "no buffer made");
	CHECK(helper_counter("deliveries_dropped") == dropped0 + 1,
	      "dropped %lld", helper_counter("deliveries_dropped") - dropped0);
	CHECK(wait_live_buffers(live0, 2000) == live0,
	      "FILL's buffer leaked: live buffers %lld, was %lld",
	      helper_counter("live_buffers"), live0);
	expect_next_event("FILL's buffer", 0x4444, a.id, good.len);
	expect_no_event("after a FILL racing a failed ALLOC");
	printf("%-40s -> ALLOC ESRCH, FILL's buffer dropped, its event\n",
	       "FILL before a failed deferred ALLOC");
}

int main(void)
{
	struct dmaheap_helper_info info;
	struct dmaheap_helper_alloc good = {
		.len = 4096, .user_addr = 0x10000, .kind = 0,
		.fd_flags = O_RDWR, .cmd = DMA_HEAP_IOCTL_ALLOC,
		.node_major = 246, .node_minor = 0,
	}, a;
	long long dropped0, live0, installed0;
	pthread_t t;

	alarm(120);	/* a blocking read() that never returns fails */
	helper = open("/dev/" DMAHEAP_HELPER_DEVNAME, O_RDWR | O_CLOEXEC);
	CHECK(helper >= 0, "open the helper (is the daemon stopped?)");

	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_INFO, &info) == 0, "INFO");
	CHECK(info.version == DMAHEAP_HELPER_VERSION, "version %u",
	      info.version);
	CHECK(info.features & DMAHEAP_HELPER_FEATURE_SYSTEM, "features");
	CHECK(info.page_size == (uint64_t)sysconf(_SC_PAGESIZE), "page size");
	/* Version 4's STATS: the counters are read in sysfs only. */
	CHECK(ioctl(helper, _IOR(DMAHEAP_HELPER_IOC_MAGIC, 2, char[64]),
		    &info) < 0 && errno == ENOTTY, "the old STATS answered");
	printf("version %u, features 0x%llx, the old STATS -> ENOTTY\n",
	       info.version, (unsigned long long)info.features);

	check_pool();

	/* A thread of ours, asleep in pause(): not in a heap ioctl. */
	signal(SIGUSR1, on_usr1);
	CHECK(pthread_create(&t, NULL, sleeper, NULL) == 0, "thread");
	while (!sleeper_tid)
		sleep_ms(10);
	sleep_ms(50);
	good.tid = (uint32_t)syscall(SYS_gettid);
	check_pool_charged(good);
	check_memcg_pools(good);

	a = good; a.region = 1;
	expect_alloc(a, EINVAL, "region set for a system buffer");
	if (info.features & DMAHEAP_HELPER_FEATURE(DMAHEAP_HELPER_KIND_REGION)) {
		a = good; a.kind = DMAHEAP_HELPER_KIND_REGION; a.region = 8;
		expect_alloc(a, EINVAL, "a region never claimed");
	}
	a = good; a.reserved[0] = 1;
	expect_alloc(a, EINVAL, "reserved[0] set");
	a = good; memset(a.name, 'x', sizeof(a.name));
	expect_alloc(a, EINVAL, "name without its NUL");
	a = good; a.id = 5;
	expect_alloc(a, EINVAL, "id set on input");
	a = good; a.tgid = 1;
	expect_alloc(a, EINVAL, "tgid set on input");
	a = good; a.comm[15] = 'x';
	expect_alloc(a, EINVAL, "comm set on input");
	a = good; a.start_time = 1;
	expect_alloc(a, EINVAL, "start_time set on input");
	a = good; a.flags = 1u << 4;
	expect_alloc(a, EINVAL, "unknown flag");
	a = good; a.flags = DMAHEAP_HELPER_ALLOC_DEFERRED;
	expect_alloc(a, EINVAL, "DEFERRED set on input");
	a = good; a.len = 0;
	expect_alloc(a, EINVAL, "len 0");
	a = good; a.len = 4095;
	expect_alloc(a, EINVAL, "len not page aligned");
	a = good; a.fd_flags = O_NONBLOCK;
	expect_alloc(a, EINVAL, "fd_flags O_NONBLOCK");
	a = good; a.kind = 99;
	expect_alloc(a, EOPNOTSUPP, "unknown kind");
	CHECK(info.contig_max >= (4u << 20), "contig_max %llu",
	      (unsigned long long)info.contig_max);
	a = good; a.kind = DMAHEAP_HELPER_KIND_CONTIGUOUS;
	a.len = info.contig_max + info.page_size;
	expect_alloc(a, ENOMEM, "contiguous, beyond contig_max");
	a = good; a.tid = 0x3fffffff;
	expect_alloc(a, ESRCH, "no such thread");
	a = good; a.tid = 2;	/* kthreadd */
	expect_alloc(a, ESRCH, "a kernel thread");
	a = good; a.node_major = 0;
	expect_alloc(a, EINVAL, "no node device number");
	a = good; a.node_minor = 1u << 20;
	expect_alloc(a, EINVAL, "minor number beyond 20 bits");

	/* Queued on threads that are not in a heap ioctl: never delivered. */
	dropped0 = helper_counter("deliveries_dropped");
	live0 = helper_counter("live_buffers");
	installed0 = helper_counter("fds_installed");
	a = good;	/* this thread: its helper ioctl returns first */
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0,
	      "ALLOC for the calling thread");
	CHECK(helper_counter("deliveries_dropped") == dropped0 + 1,
	      "not dropped on the helper ioctl's return");
	a = good; a.tid = (uint32_t)sleeper_tid;
	CHECK(ioctl(helper, DMAHEAP_HELPER_IOC_ALLOC, &a) == 0,
	      "ALLOC for a thread in pause()");
	check_process(&a);
	a = good; a.tid = (uint32_t)sleeper_tid;
	expect_alloc(a, EBUSY, "a second one for that thread");
	CHECK(pthread_kill(t, SIGUSR1) == 0, "wake the sleeper");
	CHECK(wait_counter("deliveries_dropped", dropped0 + 2, 5000),
	      "not dropped when pause() returned");
	CHECK(wait_live_buffers(live0, 2000) == live0, "live buffers %lld",
	      helper_counter("live_buffers"));
	CHECK(helper_counter("fds_installed") == installed0, "an fd went out");
	printf("%-40s -> dropped, no fd\n", "buffer for a thread not in a heap ioctl");
	check_node_matters(good);
	check_events(good);
	check_deferred(good);
	check_fill_refusal(good, ENFILE);
	check_fill_refusal(good, EINPROGRESS);
	check_fill_before_failed_alloc(good);
	check_closed_file(good);

	check_region_add(&info);

	CHECK(ioctl(helper, _IO(DMAHEAP_HELPER_IOC_MAGIC, 9)) == -1 &&
	      errno == ENOTTY, "unknown command");
	printf("%-40s -> %s\n", "unknown command", strerror(ENOTTY));
	close(helper);
	return 0;
}
