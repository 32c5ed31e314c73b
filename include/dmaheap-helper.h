/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dmaheap-helper UAPI: the interface between dmaheapd and the dmaheap_helper
 * kernel module. Only the daemon uses it; applications use <linux/dma-heap.h>.
 */
#ifndef _UAPI_DMAHEAP_HELPER_H
#define _UAPI_DMAHEAP_HELPER_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

/* The helper's misc device, /dev/dmaheap-helper (root only, one opener). */
#define DMAHEAP_HELPER_DEVNAME		"dmaheap-helper"
/*
 * The counters, one file each below /sys/class/misc/dmaheap-helper/, readable
 * by root only: live_buffers, live_bytes, fds_installed, deliveries_dropped,
 * allocations, alloc_failures, pool_bytes, pool_hits, pool_misses,
 * ready_buffers, ready_hits, memcg_pools, memcg_pool_bytes, memcg_pool_hits,
 * memcg_pool_misses (docs/helper-interface.md says what each counts). Their
 * only channel: there is no ioctl for them; DMAHEAP_HELPER_IOC_MEMCG_POOLS
 * lists the pools kept per memory cgroup.
 */
#define DMAHEAP_HELPER_SYSFS		"/sys/class/misc/" DMAHEAP_HELPER_DEVNAME

#define DMAHEAP_HELPER_VERSION		8

/* Room for a heap's name in &dmaheap_helper_alloc, its NUL included. */
#define DMAHEAP_HELPER_NAME_LEN		72

/**
 * enum dmaheap_helper_kind - where a buffer's memory comes from
 * @DMAHEAP_HELPER_KIND_SYSTEM:	zeroed pages of order 8, 4 and 0, like the
 *				kernel's system heap
 * @DMAHEAP_HELPER_KIND_CONTIGUOUS: one physically contiguous block of buddy
 *				pages, at most &dmaheap_helper_info.contig_max
 *				bytes
 * @DMAHEAP_HELPER_KIND_CMA:	physically contiguous, from the kernel's
 *				default CMA area (kernels with CONFIG_DMA_CMA)
 * @DMAHEAP_HELPER_KIND_REGION:	physically contiguous, from a physical range
 *				claimed with DMAHEAP_HELPER_IOC_REGION_ADD
 *				(kernels with CONFIG_ZONE_DEVICE)
 *
 * A kind the loaded helper can serve has its bit set in
 * &dmaheap_helper_info.features.
 */
enum dmaheap_helper_kind {
	DMAHEAP_HELPER_KIND_SYSTEM = 0,
	DMAHEAP_HELPER_KIND_CONTIGUOUS = 1,
	DMAHEAP_HELPER_KIND_CMA = 2,
	DMAHEAP_HELPER_KIND_REGION = 3,
};

#define DMAHEAP_HELPER_FEATURE(kind)	_BITULL(kind)
#define DMAHEAP_HELPER_FEATURE_SYSTEM \
	DMAHEAP_HELPER_FEATURE(DMAHEAP_HELPER_KIND_SYSTEM)

/**
 * struct dmaheap_helper_info - what the loaded helper is and can do
 * @version:	DMAHEAP_HELPER_VERSION of the module
 * @reserved0:	zero
 * @features:	DMAHEAP_HELPER_FEATURE_* bits
 * @page_size:	PAGE_SIZE of the kernel
 * @contig_max:	largest buffer of kind CONTIGUOUS, in bytes (the largest
 *		block the page allocator hands out)
 * @reserved:	zero
 */
struct dmaheap_helper_info {
	__u32 version;
	__u32 reserved0;
	__u64 features;
	__u64 page_size;
	__u64 contig_max;
	__u64 reserved[4];
};

/**
 * struct dmaheap_helper_alloc - allocate a buffer for a waiting caller
 * @len:	in: bytes, page aligned by the daemon, not zero
 * @user_addr:	in: address of the caller's struct dma_heap_allocation_data
 * @kind:	in: enum dmaheap_helper_kind
 * @fd_flags:	in: O_CLOEXEC and O_ACCMODE bits only
 * @tid:	in: caller's thread id as the daemon sees it (its pid namespace)
 * @cmd:	in: the ioctl command the caller issued on the heap node
 * @flags:	in: DMAHEAP_HELPER_ALLOC_* bits; out: DEFERRED added when the
 *		buffer is deferred (below)
 * @node_major:	in: major number of the heap node the caller's ioctl is on
 * @node_minor:	in: its minor number
 * @region:	in: region id for kind REGION, else zero
 * @id:		out: the buffer's id, unique while the module is loaded
 * @cookie:	in: the daemon's name for the buffer, echoed in its
 *		&dmaheap_helper_event when it is released; 0: no event
 * @tgid:	out: the caller's process id (the daemon's pid namespace)
 * @reserved0:	in: zero
 * @comm:	out: the caller's thread name, NUL terminated
 * @name:	in: the heap's name (its node's, in /dev/dma_heap), NUL
 *		terminated: the dma-buf's exporter name, as the kernel's heaps
 *		give theirs (exp_name in /proc/PID/fdinfo/FD); empty: the
 *		kind's name
 * @start_time:	out: when the caller's process started, in nanoseconds of
 *		the kernel's boot-time clock (CLOCK_BOOTTIME), as recorded for
 *		its thread group leader: the instant /proc/@tgid/stat field 22
 *		shows in clock ticks (outside a time namespace). With @tgid it
 *		names the process: a pid reused by a later process comes with
 *		a later start time.
 * @reserved:	in: zero
 *
 * The caller must be blocked in ioctl(@cmd, @user_addr) on the heap node
 * @node_major:@node_minor, whose daemon has not replied yet. The helper
 * allocates and exports the buffer, then queues its delivery on the caller's
 * thread: once that ioctl returns 0, the dma-buf fd is written at
 * @user_addr + 8 and installed in the caller's file table; when it cannot be
 * (the fd the ioctl was made on is no longer the node, the caller is dying,
 * has no free fd or an unwritable struct), the buffer is dropped and that
 * ioctl fails (-EIO, -EMFILE or -ENOMEM, -EFAULT) rather than return 0. Any
 * other syscall returning first gets nothing and the buffer is dropped. The
 * daemon must call this before it replies. One delivery per thread at a
 * time: a second one for the same thread gets -EBUSY.
 *
 * With DMAHEAP_HELPER_ALLOC_DEFER, a request that a buffer made ahead can
 * serve (one page of kind SYSTEM, read-write) gets its delivery queued and
 * its @id and caller's details now, and DMAHEAP_HELPER_ALLOC_DEFERRED set
 * in @flags; the buffer itself is made by DMAHEAP_HELPER_IOC_FILL, which
 * the daemon calls right after its reply, while the caller is still being
 * woken up. The caller's delivery waits for it: briefly spinning, then
 * asleep, until FILL, a fatal signal, or the release of the helper's file
 * that made the ALLOC (-EIO). A delivery that ends without a buffer (the
 * caller's ioctl failed or ended first, FILL failed, the file was
 * released) still queues the release event of @cookie, with @id and @len,
 * so that every ALLOC that succeeded ends in one event. So does one that
 * failed (-ESRCH) after another thread's FILL had found its delivery. Other
 * requests are served at once, as without the flag.
 *
 * With DMAHEAP_HELPER_ALLOC_CHARGE, the pages are charged to the memory
 * cgroup of the caller (kinds SYSTEM and CONTIGUOUS, and a CMA block that
 * came from ordinary pages: one page, or one the area could not serve,
 * where the kernel does not export cma_alloc(); the CMA area and REGION
 * memory are set aside at boot and charged to nobody): past its memory.max
 * the allocation fails with -ENOMEM, never an OOM kill. Such buffers take
 * pages only from their cgroup's own pool (DMAHEAP_HELPER_POOL_PER_MEMCG),
 * charged to it already, never from the uncharged one.
 */
struct dmaheap_helper_alloc {
	__u64 len;
	__u64 user_addr;
	__u32 kind;
	__u32 fd_flags;
	__u32 tid;
	__u32 cmd;
	__u32 flags;
	__u32 node_major;
	__u32 node_minor;
	__u32 region;
	__u64 id;
	__u64 cookie;
	__u32 tgid;
	__u32 reserved0;
	char comm[16];
	char name[DMAHEAP_HELPER_NAME_LEN];
	__u64 start_time;
	__u64 reserved[1];
};

/**
 * struct dmaheap_helper_region - claim a physical range for kind REGION
 * @base:	in: physical address, aligned to 2 MiB (memory hotplug's
 *		subsection size)
 * @size:	in: bytes, a non-zero multiple of 2 MiB
 * @id:		out: the region's id for &dmaheap_helper_alloc.region
 * @reserved0:	in: zero
 * @reserved:	in: zero
 *
 * The range must be RAM the administrator kept from the kernel at boot
 * (memmap=SIZE$BASE on x86): all of it RAM in the firmware's memory map
 * (/sys/firmware/memmap) and reserved in the kernel's. Errors: -EPERM under
 * kernel lockdown, as for /dev/mem, checked first; -EINVAL for a size of
 * 2^32 pages (16 TiB) or more, the page bitmap's limit; -EADDRNOTAVAIL for
 * a range that touches System RAM or is not all reserved in the kernel's
 * map (fix: memmap=); -ENXIO for a range not all RAM in the firmware's map
 * (device memory, what the firmware reserved, a hole); -EBUSY for one
 * overlapping a range already claimed (by this helper or a driver). Claiming
 * exactly a range the helper already holds returns its id again, so a
 * restarted daemon finds its regions. A region stays claimed until the
 * module is unloaded. Helpers built without the region kind (no x86
 * firmware map for modules, no ZONE_DEVICE) answer -EOPNOTSUPP.
 */
/* Memory hotplug adds ZONE_DEVICE memory in subsections of 2 MiB. */
#define DMAHEAP_HELPER_REGION_ALIGN	(2ULL << 20)

struct dmaheap_helper_region {
	__u64 base;
	__u64 size;
	__u32 id;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct dmaheap_helper_pool - size the pools of zeroed pages
 * @max_bytes:	in: bytes of pre-zeroed blocks of order 8 and 4 the helper
 *		keeps ahead for kind SYSTEM, at most half of RAM; 0 empties
 *		the pools and turns them off
 * @flags:	in: DMAHEAP_HELPER_POOL_PER_MEMCG or 0
 * @reserved:	in: zero
 *
 * The pools' only setting (there is no module parameter). Without flags,
 * one pool for buffers that are not charged: a background worker fills it
 * up to @max_bytes, allocations of kind SYSTEM without
 * DMAHEAP_HELPER_ALLOC_CHARGE take from it first, and memory pressure
 * empties it.
 *
 * With DMAHEAP_HELPER_POOL_PER_MEMCG, that pool is off and @max_bytes bounds
 * instead the pools kept for charged buffers, one per memory cgroup whose
 * processes allocate, all of them together: each is refilled in the
 * background with pages charged to its cgroup, grows with that cgroup's
 * demand of the last second up to a quarter of @max_bytes, and is given
 * back when the cgroup stops allocating, is removed, nears its memory.max
 * or memory.high, or under memory pressure (docs/pool.md). Closing the
 * helper's file turns them off.
 *
 * Lowering the limit gives the excess back at once. Helpers without a pool
 * answer -ENOTTY.
 */
struct dmaheap_helper_pool {
	__u64 max_bytes;
	__u32 flags;
	__u32 reserved0;
	__u64 reserved[2];
};

#define DMAHEAP_HELPER_POOL_PER_MEMCG	_BITUL(0)

/**
 * struct dmaheap_helper_memcg_pool - one memory cgroup's pool
 * @cgroup_ino:	inode number of the cgroup's directory in the cgroup2
 *		file system; 0 for the pool of a kernel without a memory
 *		controller, whose pages are charged to nobody
 * @bytes:	zeroed bytes kept for it now, charged to it
 * @target:	bytes it is refilled to, from its demand of the last second
 * @hits:	blocks its allocations took from the pool
 * @misses:	blocks they found the pool without
 */
struct dmaheap_helper_memcg_pool {
	__u64 cgroup_ino;
	__u64 bytes;
	__u64 target;
	__u64 hits;
	__u64 misses;
};

/**
 * struct dmaheap_helper_memcg_pools - list the pools kept per memory cgroup
 * @entries:	in: user address of an array of &dmaheap_helper_memcg_pool
 * @count:	in: its length; out: the number of pools, which may be more
 *		than were written (at most DMAHEAP_HELPER_MEMCG_POOLS_MAX)
 * @reserved0:	in: zero
 * @reserved:	in: zero
 */
struct dmaheap_helper_memcg_pools {
	__u64 entries;
	__u32 count;
	__u32 reserved0;
	__u64 reserved[2];
};

/* Memory cgroups with a pool of their own at once. */
#define DMAHEAP_HELPER_MEMCG_POOLS_MAX	16

/* The caller is in a 32-bit syscall, ia32 or x32 (FUSE_IOCTL_COMPAT). */
#define DMAHEAP_HELPER_ALLOC_COMPAT	_BITUL(0)
/* Charge the buffer's pages to the caller's memory cgroup. */
#define DMAHEAP_HELPER_ALLOC_CHARGE	_BITUL(1)
/* In: the buffer may come later, by DMAHEAP_HELPER_IOC_FILL. */
#define DMAHEAP_HELPER_ALLOC_DEFER	_BITUL(2)
/* Out, with DEFER: it will; call DMAHEAP_HELPER_IOC_FILL after the reply. */
#define DMAHEAP_HELPER_ALLOC_DEFERRED	_BITUL(3)

/**
 * struct dmaheap_helper_fill - make the buffer of a deferred ALLOC
 * @id:		in: &dmaheap_helper_alloc.id the deferred ALLOC returned
 * @tid:	in: &dmaheap_helper_alloc.tid it was given
 * @error:	in: 0 to make the buffer; or a user-space errno, negative
 *		(-511..-1), for the caller's ioctl to return instead: the
 *		daemon's refusal, when it checks its policy after its reply
 * @reserved:	in: zero
 *
 * Only the file that made the ALLOC can fill it. Errors: -EINVAL for a
 * zero @id, an @error out of its range or reserved fields set; -ESRCH if
 * no such delivery is waiting (another id or thread; the caller's ioctl
 * failed or returned first, or the caller died: that delivery has ended
 * already, its event queued; or it was filled already); the buffer's own
 * errors (-ENOMEM; -EIO for an allocation the daemon's death interrupted),
 * which the caller's ioctl then returns too, and the ALLOC's release event
 * follows. With @error, no buffer is made: the caller's ioctl returns
 * @error, the ALLOC's release event follows, and FILL returns 0 (or
 * -ESRCH, as above). @error came with version 8.
 */
struct dmaheap_helper_fill {
	__u64 id;
	__u32 tid;
	__s32 error;
	__u64 reserved[2];
};

/**
 * struct dmaheap_helper_event - what read() on the helper's fd returns
 * @cookie:	&dmaheap_helper_alloc.cookie of the buffer
 * @id:		&dmaheap_helper_alloc.id of the buffer
 * @len:	its size in bytes
 * @type:	DMAHEAP_HELPER_EVENT_RELEASED
 * @reserved:	zero
 *
 * A buffer allocated with a non-zero cookie queues one event on the file
 * that allocated it when its last reference goes (every fd closed, every
 * mapping and importer gone, or its delivery dropped). read() returns
 * whole events, as many as fit (at least one: a smaller count gets
 * -EINVAL), blocking unless O_NONBLOCK (-EAGAIN); poll() reports POLLIN
 * while one is queued. Events of a closed file are dropped: a restarted
 * daemon learns only of buffers it allocated itself.
 */
struct dmaheap_helper_event {
	__u64 cookie;
	__u64 id;
	__u64 len;
	__u32 type;
	__u32 reserved;
};

#define DMAHEAP_HELPER_EVENT_RELEASED	1

#define DMAHEAP_HELPER_IOC_MAGIC	0xDB

#define DMAHEAP_HELPER_IOC_INFO \
	_IOR(DMAHEAP_HELPER_IOC_MAGIC, 0, struct dmaheap_helper_info)
#define DMAHEAP_HELPER_IOC_ALLOC \
	_IOWR(DMAHEAP_HELPER_IOC_MAGIC, 1, struct dmaheap_helper_alloc)
/* Number 2 was STATS until version 5: the counters are in sysfs only. */
#define DMAHEAP_HELPER_IOC_REGION_ADD \
	_IOWR(DMAHEAP_HELPER_IOC_MAGIC, 3, struct dmaheap_helper_region)
#define DMAHEAP_HELPER_IOC_POOL \
	_IOW(DMAHEAP_HELPER_IOC_MAGIC, 4, struct dmaheap_helper_pool)
#define DMAHEAP_HELPER_IOC_MEMCG_POOLS \
	_IOWR(DMAHEAP_HELPER_IOC_MAGIC, 5, struct dmaheap_helper_memcg_pools)
#define DMAHEAP_HELPER_IOC_FILL \
	_IOW(DMAHEAP_HELPER_IOC_MAGIC, 6, struct dmaheap_helper_fill)

#endif /* _UAPI_DMAHEAP_HELPER_H */
