// SPDX-License-Identifier: GPL-2.0
/*
 * dmaheap_helper: the kernel half of dmaheapd. A misc device that only the
 * daemon opens, allocating dma-bufs for callers of its CUSE heap nodes and
 * handing their fds to those callers. Policy lives in the daemon, not here.
 *
 * This file: module init and exit, the misc device, its file operations and
 * the dispatch of its ioctls, with ALLOC's checks and steps. The rest is in
 * the file named for it: buffer.c (the dma-buf), the kinds (system.c,
 * contig.c, cma.c, region.c), pool.c, mpool.c and ready.c (made ahead),
 * deliver.c (the fd), event.c (release events), name.c (exporter names),
 * stats.c (the counters, in sysfs) and hooks.c (test hooks: fault sites,
 * debugfs).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dmaheap-helper.h"
#include "compat.h"
#include "dmaheap_helper.h"

struct device *dmahp_dev;

static atomic_t dmahp_opened = ATOMIC_INIT(0);

static const struct dmahp_kind *const dmahp_kinds[] = {
	[DMAHEAP_HELPER_KIND_SYSTEM] = &dmahp_system_kind,
	[DMAHEAP_HELPER_KIND_CONTIGUOUS] = &dmahp_contig_kind,
	[DMAHEAP_HELPER_KIND_CMA] = DMAHP_CMA_KIND,
	[DMAHEAP_HELPER_KIND_REGION] = DMAHP_REGION_KIND,
};

/* The kind numbered @kind, if built and usable here; or NULL. */
static const struct dmahp_kind *dmahp_kind(u32 kind)
{
	const struct dmahp_kind *k;

	if (kind >= ARRAY_SIZE(dmahp_kinds))
		return NULL;
	k = dmahp_kinds[array_index_nospec(kind, ARRAY_SIZE(dmahp_kinds))];
	return k && (!k->usable || k->usable()) ? k : NULL;
}

static int dmahp_open(struct inode *inode, struct file *file)
{
	struct dmahp_ctx *ctx;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (atomic_cmpxchg(&dmahp_opened, 0, 1))
		return -EBUSY;
	ret = nonseekable_open(inode, file);
	if (ret)
		goto out_unmark;
	ctx = dmahp_ctx_create();
	if (!ctx) {
		ret = -ENOMEM;
		goto out_unmark;
	}
	/* Replaces the miscdevice that misc_open() put there. */
	file->private_data = ctx;
	dmahp_ready_open(file->f_cred);
	dmahp_mpool_open(file->f_cred);
	return 0;

out_unmark:
	atomic_set(&dmahp_opened, 0);
	return ret;
}

static int dmahp_release(struct inode *inode, struct file *file)
{
	dmahp_mpool_close();
	dmahp_ready_close();
	dmahp_pool_close();
	dmahp_deliver_close(file->private_data);
	dmahp_ctx_close(file->private_data);
	atomic_set(&dmahp_opened, 0);
	return 0;
}

static ssize_t dmahp_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	return dmahp_ctx_read(file->private_data, buf, count,
			      file->f_flags & O_NONBLOCK);
}

static __poll_t dmahp_poll(struct file *file, struct poll_table_struct *wait)
{
	return dmahp_ctx_poll(file->private_data, file, wait);
}

static u64 dmahp_features(void)
{
	u64 features = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(dmahp_kinds); i++)
		if (dmahp_kind(i))
			features |= 1ULL << i;
	return features;
}

static long dmahp_ioctl_info(void __user *uarg)
{
	struct dmaheap_helper_info info = {
		.version = DMAHEAP_HELPER_VERSION,
		.features = dmahp_features(),
		.page_size = PAGE_SIZE,
		.contig_max = dmahp_contig_max(),
	};

	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

/* 0 and the kind that serves @req in *@ret_kind, or the errno. */
static int dmahp_check_alloc(const struct dmaheap_helper_alloc *req,
			     const struct dmahp_kind **ret_kind)
{
	if (req->flags & ~(DMAHEAP_HELPER_ALLOC_COMPAT |
			   DMAHEAP_HELPER_ALLOC_CHARGE |
			   DMAHEAP_HELPER_ALLOC_DEFER) || req->id ||
	    req->tgid || req->reserved0 || req->start_time ||
	    memchr_inv(req->comm, 0, sizeof(req->comm)) ||
	    !memchr(req->name, 0, sizeof(req->name)) ||
	    memchr_inv(req->reserved, 0, sizeof(req->reserved)))
		return -EINVAL;
	if (req->fd_flags & ~(O_CLOEXEC | O_ACCMODE))
		return -EINVAL;
	if (!req->len || !PAGE_ALIGNED(req->len) || req->len > SIZE_MAX)
		return -EINVAL;
	*ret_kind = dmahp_kind(req->kind);
	if (!*ret_kind)
		return -EOPNOTSUPP;
	if (req->kind == DMAHEAP_HELPER_KIND_REGION ?
	    !dmahp_region_get(req->region) : req->region != 0)
		return -EINVAL;
	if (req->flags & DMAHEAP_HELPER_ALLOC_COMPAT) {
		if (!dmahp_compat_supported())
			return -EOPNOTSUPP;
		/*
		 * A 32-bit caller's struct is below 4 GiB: the delivery
		 * matches it and writes the fd there so.
		 */
		if (req->user_addr > U32_MAX)
			return -EINVAL;
	}
	/* A device number that fits dev_t: 12 bits of major, 20 of minor. */
	if (!req->node_major || req->node_major > MAJOR(~0U) ||
	    req->node_minor > MINORMASK)
		return -EINVAL;
	return 0;
}

/* The caller of an ALLOC, and what the daemon is told about it. */
struct dmahp_caller {
	struct task_struct *task;	/* holds a reference */
	pid_t tgid;			/* in the daemon's pid namespace */
	u64 start;			/* its leader's start_boottime */
	char comm[TASK_COMM_LEN];
};

/* The thread @tid of the daemon's pid namespace, unless it is exiting. */
static struct task_struct *dmahp_find_task(pid_t tid)
{
	struct task_struct *task;
	struct pid *pid;

	pid = find_get_pid(tid);
	if (!pid)
		return NULL;
	task = get_pid_task(pid, PIDTYPE_PID);
	put_pid(pid);
	if (task && task->flags & (PF_EXITING | PF_KTHREAD)) {
		put_task_struct(task);
		task = NULL;
	}
	return task;
}

/*
 * Thread @tid, with what the daemon's accounting needs: the process, in the
 * daemon's pid namespace, and when it started, which tells a reused pid
 * apart. The start is the leader's, which an exec by another thread carries
 * over to the new leader; as task_tgid_nr_ns() does, the leader is looked
 * at only while the caller is still linked to it.
 *
 * Return: 0, with caller->task held (put it when done), or -ESRCH: no
 * such thread, or it is exiting; caller->task is not set then.
 */
static int dmahp_get_caller(pid_t tid, struct dmahp_caller *caller)
{
	struct task_struct *task;
	bool alive;

	task = dmahp_find_task(tid);
	if (!task)
		return -ESRCH;
	rcu_read_lock();
	alive = pid_alive(task);
	if (alive)
		caller->start = task->group_leader->start_boottime;
	rcu_read_unlock();
	if (!alive) {
		put_task_struct(task);
		return -ESRCH;
	}
	caller->task = task;
	caller->tgid = task_tgid_vnr(task);
	get_task_comm(caller->comm, task);
	return 0;
}

/*
 * A ready buffer serves what it was exported for: one page of the system
 * kind, read-write; charged to nobody (ready.c), or to the caller's memory
 * cgroup (mpool.c).
 */
static bool dmahp_ready_fits(const struct dmaheap_helper_alloc *req)
{
	return req->kind == DMAHEAP_HELPER_KIND_SYSTEM &&
	       req->len == PAGE_SIZE &&
	       (req->fd_flags & O_ACCMODE) == O_RDWR;
}

/*
 * The buffer @req asks for: a ready one if it fits, else exported now by
 * @kind, the one dmahp_check_alloc() found.
 * Return: the buffer, or an ERR_PTR, counted in alloc_failures.
 */
static struct dma_buf *
dmahp_alloc_buffer(const struct dmaheap_helper_alloc *req,
		   const struct dmahp_kind *kind, struct task_struct *caller)
{
	unsigned int flags = 0;
	struct dma_buf *dmabuf;

	if (req->flags & DMAHEAP_HELPER_ALLOC_CHARGE)
		flags |= DMAHP_BUF_CHARGE;
	dmabuf = !dmahp_ready_fits(req) ? NULL :
		 flags & DMAHP_BUF_CHARGE ? dmahp_mpool_ready_take(caller) :
		 dmahp_ready_take();
	if (!dmabuf)
		dmabuf = dmahp_buffer_export(kind,
					     dmahp_region_get(req->region),
					     req->len, req->fd_flags, caller,
					     NULL, flags);
	if (IS_ERR(dmabuf))
		atomic64_inc(&dmahp_counters.alloc_failures);
	return dmabuf;
}

/*
 * ALLOC's answer to the daemon, the buffer's id and caller, and its flags
 * with DEFERRED if the buffer comes with FILL: 0 or -EFAULT.
 */
static int dmahp_alloc_answer(struct dmaheap_helper_alloc __user *uarg,
			      u64 id, u32 flags,
			      const struct dmahp_caller *caller)
{
	if (put_user(id, &uarg->id) || put_user(flags, &uarg->flags) ||
	    put_user(caller->tgid, &uarg->tgid) ||
	    put_user(caller->start, &uarg->start_time) ||
	    copy_to_user(uarg->comm, caller->comm, sizeof(uarg->comm)))
		return -EFAULT;
	return 0;
}

/*
 * ALLOC with DEFER, for a buffer made ahead: the delivery queued now, the
 * buffer made by FILL once the daemon has replied. Consumes @event, the
 * reservation @delivery and @caller's reference, whatever the result.
 */
static long dmahp_alloc_defer(struct dmahp_ctx *ctx,
			      struct dmaheap_helper_alloc __user *uarg,
			      const struct dmaheap_helper_alloc *req,
			      const struct dmahp_kind *kind,
			      struct dmahp_event *event, const char *name,
			      u64 id, struct dmahp_delivery *delivery,
			      struct dmahp_caller *caller)
{
	struct dmahp_deferred def = {
		.req = *req,
		.kind = kind,
		.caller = caller->task,
		.event = event,
		.name = name,
		.ctx = ctx,
		.id = id,
	};
	int ret;

	/* As below: no delivery for a daemon that cannot be told the id. */
	ret = dmahp_alloc_answer(uarg, id,
				 req->flags | DMAHEAP_HELPER_ALLOC_DEFERRED,
				 caller);
	if (ret) {
		dmahp_deliver_unreserve(delivery);
		dmahp_event_free(event);
		put_task_struct(caller->task);
		return ret;
	}
	/* Takes over the reservation, the event and the caller. */
	return dmahp_deliver_defer(delivery, &def);
}

/*
 * ALLOC: a buffer for the caller, which is blocked in FUSE until the daemon
 * replies. Whether it is in the ioctl the daemon says is checked by the
 * delivery itself, in the caller's context: another thread's registers
 * cannot be read safely from a module (its stack cannot be pinned).
 */
static long dmahp_ioctl_alloc(struct dmahp_ctx *ctx,
			      struct dmaheap_helper_alloc __user *uarg)
{
	struct dmaheap_helper_alloc req;
	const struct dmahp_kind *kind;
	struct dmahp_event *event = NULL;
	struct dmahp_delivery *delivery;
	struct dmahp_caller caller;
	struct dma_buf *dmabuf;
	const char *name;
	u64 id;
	int ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = dmahp_check_alloc(&req, &kind);
	if (ret)
		return ret;

	ret = dmahp_get_caller(req.tid, &caller);
	if (ret)
		return ret;

	delivery = dmahp_deliver_reserve(caller.task);
	if (IS_ERR(delivery)) {
		ret = PTR_ERR(delivery);
		goto out_put_caller;
	}

	/* Allocated now: a buffer's release cannot fail. */
	if (req.cookie) {
		event = dmahp_event_create(ctx, req.cookie);
		if (!event) {
			ret = -ENOMEM;
			goto out_unreserve;
		}
	}

	name = req.name[0] ? dmahp_name_get(req.name) : NULL;
	id = dmahp_buffer_new_id();
	if (req.flags & DMAHEAP_HELPER_ALLOC_DEFER && dmahp_ready_fits(&req))
		return dmahp_alloc_defer(ctx, uarg, &req, kind, event, name, id,
					 delivery, &caller);

	dmabuf = dmahp_alloc_buffer(&req, kind, caller.task);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto out_free_event;
	}
	dmahp_buffer_publish(dmabuf, id, event, name);

	/*
	 * The answer before the delivery: a daemon that cannot be told the
	 * buffer's id must not have it delivered.
	 */
	ret = dmahp_alloc_answer(uarg, id, req.flags, &caller);
	if (ret) {
		atomic64_inc(&dmahp_counters.deliveries_dropped);
		dma_buf_put(dmabuf);
		goto out_unreserve;
	}

	/* Takes over the buffer and the reservation. */
	ret = dmahp_deliver(delivery, caller.task, dmabuf,
			    MKDEV(req.node_major, req.node_minor),
			    req.flags & DMAHEAP_HELPER_ALLOC_COMPAT, req.cmd,
			    req.user_addr, req.fd_flags);
	put_task_struct(caller.task);
	return ret;

out_free_event:
	dmahp_event_free(event);
out_unreserve:
	dmahp_deliver_unreserve(delivery);
out_put_caller:
	put_task_struct(caller.task);
	return ret;
}

/* FILL: the buffer of a deferred ALLOC, handed to its waiting delivery. */
static long dmahp_ioctl_fill(struct dmahp_ctx *ctx,
			     const struct dmaheap_helper_fill __user *uarg)
{
	struct dmaheap_helper_fill req;
	struct dmahp_deferred *def;
	struct dma_buf *dmabuf;
	pid_t tid;
	int err, ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	/* A refusal is a user-space errno: none of the kernel's restarts. */
	if (!req.id || req.error > 0 || req.error <= -ERESTARTSYS ||
	    memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	/* The delivery is listed by global tid; the daemon gave its own. */
	rcu_read_lock();
	tid = pid_nr(find_vpid(req.tid));
	rcu_read_unlock();
	def = tid ? dmahp_deliver_fill_begin(ctx, tid, req.id) : NULL;
	if (!def)
		return -ESRCH;

	if (req.error)
		return dmahp_deliver_fill_end(def, ERR_PTR(req.error));
	dmabuf = dmahp_alloc_buffer(&def->req, def->kind, def->caller);
	if (!IS_ERR(dmabuf)) {
		dmahp_buffer_publish(dmabuf, def->id, def->event, def->name);
		def->event = NULL;
	} else if (PTR_ERR(dmabuf) == -EINTR) {
		/*
		 * Made in the daemon's context: a daemon being killed
		 * interrupts it, which is no signal of the caller's.
		 */
		dmabuf = ERR_PTR(-EIO);
	}
	err = PTR_ERR_OR_ZERO(dmabuf);
	ret = dmahp_deliver_fill_end(def, dmabuf);
	return ret ? ret : err;
}

static long dmahp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DMAHEAP_HELPER_IOC_INFO:
		return dmahp_ioctl_info(uarg);
	case DMAHEAP_HELPER_IOC_ALLOC:
		return dmahp_ioctl_alloc(file->private_data, uarg);
	case DMAHEAP_HELPER_IOC_FILL:
		return dmahp_ioctl_fill(file->private_data, uarg);
	case DMAHEAP_HELPER_IOC_REGION_ADD:
		return dmahp_ioctl_region_add(uarg);
	case DMAHEAP_HELPER_IOC_POOL:
		return dmahp_ioctl_pool(uarg);
	case DMAHEAP_HELPER_IOC_MEMCG_POOLS:
		return dmahp_ioctl_memcg_pools(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations dmahp_fops = {
	.owner = THIS_MODULE,
	.open = dmahp_open,
	.release = dmahp_release,
	.read = dmahp_read,
	.poll = dmahp_poll,
	.unlocked_ioctl = dmahp_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice dmahp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DMAHEAP_HELPER_DEVNAME,
	.fops = &dmahp_fops,
	.groups = dmahp_stats_groups,
	.mode = 0600,
};

static int __init dmahp_init(void)
{
	struct device *dev;
	int ret;

	/*
	 * The device the CMA kind allocates on with the DMA API: it has no
	 * CMA area of its own, so blocks come from the default one. Not the
	 * misc device, which exists only once registered, and registering
	 * is the last step (below). A root device (/sys/devices/NAME): one
	 * call on every kernel built for, no bus or driver that could bind
	 * to it, no uevent; the mask is set as udmabuf sets its own.
	 */
	dev = dmahp_fault("init_dma_dev") ? ERR_PTR(-ENOMEM) :
	      root_device_register(KBUILD_MODNAME);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	ret = dmahp_fault("init_dma_mask") ? -EIO :
	      dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		goto out_unregister_dma_dev;
	dmahp_dev = dev;

	dmahp_hooks_init();

	ret = dmahp_pool_init();
	if (ret)
		goto out_hooks_exit;
	ret = dmahp_mpool_init();
	if (ret)
		goto out_pool_exit;
	ret = dmahp_ready_init();
	if (ret)
		goto out_mpool_exit;

	/*
	 * Last: once the node exists anyone may open it, so nothing may fail
	 * after it. Before, a failing init could unload the module under an
	 * opener that had raced it.
	 */
	ret = dmahp_fault("init_misc") ? -ENOMEM : misc_register(&dmahp_misc);
	if (ret)
		goto out_ready_exit;
	return 0;

out_ready_exit:
	dmahp_ready_exit();
out_mpool_exit:
	dmahp_mpool_exit();
out_pool_exit:
	dmahp_pool_exit();
out_hooks_exit:
	dmahp_hooks_exit();
out_unregister_dma_dev:
	dmahp_dev = NULL;
	root_device_unregister(dev);
	return ret;
}

static void __exit dmahp_exit(void)
{
	/*
	 * Nothing to wait for: every buffer holds the module, the last fput()
	 * of one in the delivery's task work runs after that work has
	 * returned (dmahp_deliver_work()), and the pools' threads, which may
	 * drop one too, are stopped below before anything is freed.
	 */
	misc_deregister(&dmahp_misc);
	dmahp_regions_exit();
	dmahp_ready_exit();
	dmahp_mpool_exit();
	dmahp_pool_exit();
	dmahp_hooks_exit();
	dmahp_names_exit();
	root_device_unregister(dmahp_dev);
}

module_init(dmahp_init);
module_exit(dmahp_exit);

MODULE_DESCRIPTION("dma-buf heap helper for the dmaheapd CUSE daemon");
MODULE_AUTHOR("The dmaheapd developers");
MODULE_LICENSE("GPL");
/* The project's version, from the build (Kbuild); dmaheapd compares it with its own. */
MODULE_VERSION(DMAHP_VERSION);
DMAHP_IMPORT_NS_DMA_BUF();
