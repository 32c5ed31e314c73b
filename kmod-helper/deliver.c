// SPDX-License-Identifier: GPL-2.0
/*
 * Delivery of a dma-buf fd into the thread that asked the CUSE heap node:
 * task work that runs when that thread's ioctl returns, checks that it is
 * the very ioctl the daemon answered, and installs the fd there.
 *
 * A deferred delivery is queued before its buffer exists: the daemon
 * replies, then FILL makes the buffer while the caller is being woken up.
 * Its task work waits for FILL if it comes first. Under dmahp_pending_lock
 * its state goes WAITING (queued) -> FILLING (FILL making the buffer) ->
 * DONE (a buffer, or FILL's errno), and then the task work claims it; a
 * task work that claims it while FILLING marks it ABANDONED and leaves it to
 * FILL to end. Whoever ends a deferred delivery without a buffer posts its
 * release event, so that the daemon's ALLOC still ends in one.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#include <uapi/linux/dma-heap.h>

#include "dmaheap_helper.h"

#define DMAHP_TAIL_DELAY_MS	5000
/*
 * How long a deferred delivery spins for FILL before it sleeps. FILL comes
 * right after the daemon's reply and takes a buffer made ahead: usually it
 * is done before the caller has woken up, and a sleep would cost another
 * wake-up. A buffer exported in place under TCG takes some tens of us.
 */
#define DMAHP_FILL_SPIN_NS	(100 * NSEC_PER_USEC)
/* The defer_filled fault site: how long it waits for a FILL, at most. */
#define DMAHP_DEFER_FILLED_WAIT	(10 * HZ)

/* In this order: a delivery waits while its state is below DONE. */
enum dmahp_fill {
	DMAHP_FILL_NONE,	/* not deferred: the buffer came queued */
	DMAHP_FILL_WAITING,
	DMAHP_FILL_FILLING,
	DMAHP_FILL_DONE,
	DMAHP_FILL_ABANDONED,	/* set by the claim only, after it waited */
};

struct dmahp_delivery {
	struct callback_head work;
	struct hlist_node node;		/* dmahp_pending: reserved, queued */
	pid_t tid;			/* global */
	struct dma_buf *dmabuf;
	u64 user_addr;
	dev_t node_dev;
	u32 cmd;
	u32 fd_flags;
	bool compat;
	bool deferred;			/* by dmahp_deliver_defer() */
	/* Deferred deliveries: under dmahp_pending_lock until claimed. */
	enum dmahp_fill fill;
	int fill_err;			/* DONE without a buffer */
	struct completion filled;	/* DONE */
	struct dmahp_deferred def;	/* its ctx held */
};

/*
 * Threads with a delivery reserved or queued, by global tid: one each. A
 * small table under a spinlock: it holds what is in flight, a few entries.
 */
static DEFINE_HASHTABLE(dmahp_pending, 6);
static DEFINE_SPINLOCK(dmahp_pending_lock);

/**
 * dmahp_deliver_reserve() - claim @task's one delivery slot
 * @task: the caller
 *
 * Return: the delivery, for dmahp_deliver() or dmahp_deliver_unreserve();
 * ERR_PTR(-EBUSY) if a delivery is already reserved or queued for @task,
 * ERR_PTR(-ENOMEM).
 */
struct dmahp_delivery *dmahp_deliver_reserve(struct task_struct *task)
{
	struct dmahp_delivery *d, *other;
	pid_t tid = task_pid_nr(task);

	d = dmahp_fault("reserve") ? NULL : kmalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->tid = tid;
	d->deferred = false;
	d->fill = DMAHP_FILL_NONE;

	spin_lock(&dmahp_pending_lock);
	hash_for_each_possible(dmahp_pending, other, node, tid) {
		if (other->tid == tid) {
			spin_unlock(&dmahp_pending_lock);
			kfree(d);
			return ERR_PTR(-EBUSY);
		}
	}
	hash_add(dmahp_pending, &d->node, tid);
	spin_unlock(&dmahp_pending_lock);
	return d;
}

static void dmahp_deliver_unlist(struct dmahp_delivery *d)
{
	spin_lock(&dmahp_pending_lock);
	hash_del(&d->node);
	spin_unlock(&dmahp_pending_lock);
}

/**
 * dmahp_deliver_unreserve() - free a reserved delivery that will not be queued
 * @d:	from dmahp_deliver_reserve(); freed
 */
void dmahp_deliver_unreserve(struct dmahp_delivery *d)
{
	dmahp_deliver_unlist(d);
	kfree(d);
}

/*
 * ioctl's number for AArch32 processes on arm64: the ARM EABI's, fixed by
 * that ABI. The kernel's own name for it changed (__NR_compat32_ioctl
 * since 6.11, generated; before, only unistd32.h's __NR_ioctl, which
 * clashes with the native one), so it is written here.
 */
#define DMAHP_AARCH32_NR_IOCTL	54

/**
 * dmahp_compat_supported() - can a 32-bit caller get its fd?
 *
 * 32-bit callers on a 64-bit kernel come in the ABIs below, and FUSE marks
 * each compat (in_compat_syscall()). On x86: ia32 (int 0x80, sysenter, the
 * ia32 numbers) and x32 (the 64-bit entry with __X32_SYSCALL_BIT in the
 * number, which orig_ax keeps). On arm64: AArch32 (CONFIG_COMPAT, the
 * ARM EABI's numbers).
 *
 * Return: true if the kernel has one of them.
 */
bool dmahp_compat_supported(void)
{
	return IS_ENABLED(CONFIG_IA32_EMULATION) ||
	       IS_ENABLED(CONFIG_X86_X32_ABI) ||
	       (IS_ENABLED(CONFIG_ARM64) && IS_ENABLED(CONFIG_COMPAT));
}

/*
 * The number ioctl() has in the ABI of the syscall current is in: taken
 * from the syscall itself, not from the daemon's word, so that the check
 * below compares like with like. -1 for a compat ABI the helper does not
 * know.
 */
static int dmahp_ioctl_nr(void)
{
#ifdef CONFIG_X86_X32_ABI
	if (in_x32_syscall())
		return __X32_SYSCALL_BIT | __NR_x32_ioctl;
#endif
#ifdef CONFIG_IA32_EMULATION
	if (in_ia32_syscall())
		return __NR_ia32_ioctl;
#endif
	if (IS_ENABLED(CONFIG_ARM64) && in_compat_syscall())
		return DMAHP_AARCH32_NR_IOCTL;
	return in_compat_syscall() ? -1 : __NR_ioctl;
}

/* Is file descriptor @fd of current the heap node @node? */
static bool dmahp_fd_is_node(unsigned int fd, dev_t node)
{
	struct file *file = fget(fd);
	bool ret;

	if (!file)
		return false;
	ret = S_ISCHR(file_inode(file)->i_mode) &&
	      file_inode(file)->i_rdev == node;
	fput(file);
	return ret;
}

/*
 * Is current returning from ioctl(fd, cmd, user_addr), the syscall the
 * daemon answered? The work runs on the first return to user mode after it
 * was queued, and the caller sits in that ioctl until the daemon replies:
 * a match is that very ioctl. Anything else means the daemon named a
 * thread that was not its caller, and the syscall is not ours to touch.
 * On a match, *@ret_fd is the fd the ioctl was made on.
 */
static bool dmahp_is_the_ioctl(struct dmahp_delivery *d, struct pt_regs *regs,
			       unsigned int *ret_fd)
{
	int nr = syscall_get_nr(current, regs), want = dmahp_ioctl_nr();
	unsigned long args[6];

	if (want < 0)
		return false;
	/*
	 * arm64's do_signal() forgets the syscall (syscallno = NO_SYSCALL,
	 * -1) before get_signal() runs task work: with a signal pending as
	 * the ioctl returns (FUSE waits for the reply through a non-fatal
	 * one) this work sees no number. It still runs on the caller's first
	 * return to user mode since it was queued, the ioctl's, whose
	 * arguments and result are still in their registers (only x0 is
	 * written on return), checked below as always (t-signal).
	 */
	if (nr != want && !(IS_ENABLED(CONFIG_ARM64) && nr == -1))
		return false;
	syscall_get_arguments(current, regs, args);
	if ((u32)args[1] != d->cmd)
		return false;
	/* Compat pointers are 32 bits; x32's upper register half is junk. */
	if (in_compat_syscall() ? (u32)args[2] != (u32)d->user_addr :
				  args[2] != d->user_addr)
		return false;
	*ret_fd = (unsigned int)args[0];
	return true;
}

/*
 * May the buffer go to current, in its ioctl on @node_fd? 0, or -EIO,
 * logged unless the caller is being killed.
 */
static int dmahp_deliver_check(struct dmahp_delivery *d, unsigned int node_fd)
{
	/*
	 * A killed caller runs task work from get_signal() or do_exit(),
	 * there after its files are gone: nobody would ever see the fd, drop
	 * the buffer before anything looks at the file table.
	 */
	if (current->flags & PF_EXITING || fatal_signal_pending(current))
		return -EIO;
	if (d->compat != in_compat_syscall()) {
		pr_info_ratelimited("%s[%d]: the daemon said %s, the ioctl is %s: buffer dropped\n",
				    current->comm, task_pid_nr(current),
				    d->compat ? "compat" : "64-bit",
				    in_compat_syscall() ? "compat" : "64-bit");
		return -EIO;
	}
	/* Another thread put something else at the fd (dup2) meanwhile. */
	if (!dmahp_fd_is_node(node_fd, d->node_dev)) {
		pr_info_ratelimited("%s[%d]: fd %u is no longer the heap node, buffer dropped\n",
				    current->comm, task_pid_nr(current),
				    node_fd);
		return -EIO;
	}
	return 0;
}

/*
 * A free fd of current, written into the caller's struct: the fd, not yet
 * installed, or an errno (logged) with nothing left to undo.
 */
static int dmahp_deliver_get_fd(struct dmahp_delivery *d)
{
	u32 __user *ufd;
	int fd;

	fd = get_unused_fd_flags(d->fd_flags);
	if (fd < 0) {
		pr_info_ratelimited("%s[%d]: no free fd, buffer dropped\n",
				    current->comm, task_pid_nr(current));
		return fd;
	}

	ufd = u64_to_user_ptr(d->user_addr +
			      offsetof(struct dma_heap_allocation_data, fd));
	if (put_user(fd, ufd)) {
		pr_info_ratelimited("%s[%d]: cannot write the fd at 0x%llx, buffer dropped\n",
				    current->comm, task_pid_nr(current),
				    d->user_addr);
		put_unused_fd(fd);
		return -EFAULT;
	}
	return fd;
}

/* Free @d; a deferred one's context last, which may let the module go. */
static void dmahp_deliver_free(struct dmahp_delivery *d)
{
	struct dmahp_ctx *ctx = d->deferred ? d->def.ctx : NULL;

	kfree(d);
	if (ctx)
		dmahp_ctx_put(ctx);
}

/*
 * A deferred delivery ends without a buffer: its event tells the daemon,
 * as a buffer's release would have.
 */
static void dmahp_deliver_end_unfilled(struct dmahp_delivery *d)
{
	if (d->def.event)
		dmahp_event_post(d->def.event, d->def.id, d->def.req.len);
	d->def.event = NULL;
}

/*
 * Wait for FILL: spin a little, unless another task wants this CPU (it may
 * be the daemon, about to FILL), then sleep until FILL, the helper's file
 * closing or a fatal signal; the claim reads which. Freezable: a daemon
 * frozen between its reply and FILL must not hold a suspend up.
 */
static void dmahp_deliver_wait(struct dmahp_delivery *d)
{
	u64 end = ktime_get_ns() + DMAHP_FILL_SPIN_NS;

	while (READ_ONCE(d->fill) < DMAHP_FILL_DONE) {
		if (need_resched() || ktime_get_ns() > end) {
			wait_for_completion_state(&d->filled, TASK_KILLABLE |
						  TASK_FREEZABLE);
			return;
		}
		cpu_relax();
	}
}

/*
 * Take a deferred delivery over from FILL, after waiting for it if @wait.
 * Return: 0 with its buffer in d->dmabuf; an errno, the delivery ended
 * without a buffer (FILL's, which may be any the daemon refused with).
 * If FILL is still making it and now ends it (@d is no longer current's),
 * *@ret_ctx holds a reference of current's on its context, the module's,
 * to put last; else it is NULL.
 */
static int dmahp_deliver_claim(struct dmahp_delivery *d, bool wait,
			       struct dmahp_ctx **ret_ctx)
{
	int ret;

	*ret_ctx = NULL;
	if (wait)
		dmahp_deliver_wait(d);

	spin_lock(&dmahp_pending_lock);
	hash_del(&d->node);
	switch (d->fill) {
	case DMAHP_FILL_FILLING:
		WRITE_ONCE(d->fill, DMAHP_FILL_ABANDONED);
		*ret_ctx = d->def.ctx;
		dmahp_ctx_get(*ret_ctx);
		spin_unlock(&dmahp_pending_lock);
		return 0;
	case DMAHP_FILL_DONE:
		ret = d->fill_err;
		break;
	default:	/* not waited for, or killed while waiting */
		ret = -EIO;
		break;
	}
	spin_unlock(&dmahp_pending_lock);

	put_task_struct(d->def.caller);
	if (!d->dmabuf)
		dmahp_deliver_end_unfilled(d);
	return ret;
}

static void dmahp_deliver_work(struct callback_head *head)
{
	struct dmahp_delivery *d = container_of(head, struct dmahp_delivery,
						work);
	struct pt_regs *regs = task_pt_regs(current);
	struct dmahp_ctx *ctx;
	unsigned int node_fd;
	struct file *file;
	bool stretch, ours;
	int ret = 0, fd;

	/*
	 * Another syscall, or ours failed (daemon error, FUSE copy): drop,
	 * and leave its result alone.
	 */
	ours = dmahp_is_the_ioctl(d, regs, &node_fd) &&
	       syscall_get_return_value(current, regs) == 0;
	if (!d->deferred) {
		dmahp_deliver_unlist(d);
	} else {
		/* A caller being killed does not wait: its fd would not last. */
		ret = dmahp_deliver_claim(d, ours &&
					  !(current->flags & PF_EXITING) &&
					  !fatal_signal_pending(current), &ctx);
		if (ctx) {
			/* A killed caller: FILL ends it. Last: may free. */
			dmahp_ctx_put(ctx);
			return;
		}
	}
	if (!ours)
		goto out_drop;
	if (ret)
		goto out_fail;

	/*
	 * From here on, the caller's ioctl returns 0 unless told otherwise: a
	 * dropped buffer must fail it, or the caller would take the struct's
	 * fd (still 0, as it went in) for a dma-buf it does not have.
	 */
	ret = dmahp_deliver_check(d, node_fd);
	if (ret)
		goto out_fail;
	fd = dmahp_deliver_get_fd(d);
	if (fd < 0) {
		ret = fd;
		goto out_fail;
	}

	/*
	 * Once installed, another thread may close the fd at once: the rest
	 * of this function runs on a reference of its own, and the buffer
	 * holds the module. Its fput() drops the last one only if the fd
	 * has gone meanwhile, and then defers the release to task work of
	 * current, run after this callback has returned: no module code runs
	 * after the module may go. For tests, the tail can be stretched for
	 * an unload to race (t-unload-tail.sh); the fault site, which takes a
	 * lock, is asked before.
	 */
	stretch = dmahp_fault("installed");
	file = get_file(d->dmabuf->file);
	dmahp_deliver_free(d);
	atomic64_inc(&dmahp_counters.fds_installed);
	fd_install(fd, file);
	if (stretch)
		mdelay(DMAHP_TAIL_DELAY_MS);
	fput(file);
	return;

out_fail:
	syscall_set_return_value(current, regs, ret, 0);
out_drop:
	atomic64_inc(&dmahp_counters.deliveries_dropped);
	pr_debug("dropped the delivery to %s[%d]\n", current->comm,
		 task_pid_nr(current));
	if (d->dmabuf)
		dma_buf_put(d->dmabuf);
	dmahp_deliver_free(d);
}

/*
 * Queue @d's task work on @task. TWA_RESUME: no wake-up, no signal, so FUSE
 * does not see an interrupt; the work runs on the way back to user mode,
 * or in do_exit() if the caller is killed. 0, or -ESRCH if @task is exiting.
 */
static int dmahp_deliver_queue(struct dmahp_delivery *d,
			       struct task_struct *task)
{
	init_task_work(&d->work, dmahp_deliver_work);
	return dmahp_fault("task_work") ? -ESRCH :
	       task_work_add(task, &d->work, TWA_RESUME);
}

/**
 * dmahp_deliver() - queue the fd delivery of @dmabuf on @task
 * @d:		the delivery dmahp_deliver_reserve() returned for @task;
 *		consumed
 * @task:	the thread blocked in ioctl(@cmd, @user_addr) on @node
 * @dmabuf:	the buffer; its reference is consumed on success and on error
 * @node:	device number of the heap node
 * @compat:	@task is in a 32-bit syscall
 * @cmd:	the ioctl command the daemon saw
 * @user_addr:	the caller's struct dma_heap_allocation_data
 * @fd_flags:	flags for the new fd
 *
 * Return: 0 when queued; -ESRCH if @task is exiting.
 */
int dmahp_deliver(struct dmahp_delivery *d, struct task_struct *task,
		  struct dma_buf *dmabuf, dev_t node, bool compat, u32 cmd,
		  u64 user_addr, u32 fd_flags)
{
	int ret;

	d->dmabuf = dmabuf;
	d->user_addr = user_addr;
	d->node_dev = node;
	d->cmd = cmd;
	d->fd_flags = fd_flags;
	d->compat = compat;
	ret = dmahp_deliver_queue(d, task);
	if (ret) {
		dmahp_deliver_unreserve(d);
		atomic64_inc(&dmahp_counters.deliveries_dropped);
		dma_buf_put(dmabuf);
	}
	return ret;
}

/**
 * dmahp_deliver_defer() - queue the delivery of a buffer FILL will make
 * @d:		the delivery dmahp_deliver_reserve() returned for the caller
 * @def:	what FILL makes, copied; its caller reference and its event
 *		are consumed, whatever the result, and its ctx held. The
 *		ioctl to deliver into is its request's (node, compat, command,
 *		struct, fd flags), as dmahp_deliver() is told them.
 *
 * Return: 0 when queued; -ESRCH if the caller is exiting, @d unreserved.
 */
int dmahp_deliver_defer(struct dmahp_delivery *d,
			const struct dmahp_deferred *def)
{
	const struct dmaheap_helper_alloc *req = &def->req;
	bool filled;
	int ret;

	d->dmabuf = NULL;
	d->user_addr = req->user_addr;
	d->node_dev = MKDEV(req->node_major, req->node_minor);
	d->cmd = req->cmd;
	d->fd_flags = req->fd_flags;
	d->compat = req->flags & DMAHEAP_HELPER_ALLOC_COMPAT;
	d->def = *def;
	d->deferred = true;
	d->fill_err = 0;
	init_completion(&d->filled);
	dmahp_ctx_get(def->ctx);

	/*
	 * FILL may find it from now on: before the task work is queued,
	 * which may run at once if the daemon named a thread that is not
	 * its caller. The daemon was told the id already.
	 */
	spin_lock(&dmahp_pending_lock);
	WRITE_ONCE(d->fill, DMAHP_FILL_WAITING);
	spin_unlock(&dmahp_pending_lock);

	/*
	 * For tests, a FILL from another thread of the daemon's first, then
	 * a failed queue, as for an exiting caller.
	 */
	if (dmahp_fault("defer_filled")) {
		wait_for_completion_timeout(&d->filled,
					    DMAHP_DEFER_FILLED_WAIT);
		ret = -ESRCH;
	} else {
		ret = dmahp_deliver_queue(d, def->caller);
	}
	if (!ret)
		return 0;

	/*
	 * A FILL from another thread of the daemon's, sent before this ALLOC
	 * returned, may be making the buffer: it then ends @d. Or it has
	 * made it, or failed: the ALLOC's event follows all the same.
	 */
	spin_lock(&dmahp_pending_lock);
	hash_del(&d->node);
	if (d->fill == DMAHP_FILL_FILLING) {
		WRITE_ONCE(d->fill, DMAHP_FILL_ABANDONED);
		spin_unlock(&dmahp_pending_lock);
		return ret;
	}
	filled = d->fill == DMAHP_FILL_DONE;
	spin_unlock(&dmahp_pending_lock);
	atomic64_inc(&dmahp_counters.deliveries_dropped);
	put_task_struct(d->def.caller);
	if (d->dmabuf)
		dma_buf_put(d->dmabuf);
	else if (filled)
		dmahp_deliver_end_unfilled(d);
	else
		dmahp_event_free(d->def.event);
	dmahp_deliver_free(d);
	return ret;
}

/**
 * dmahp_deliver_fill_begin() - find the deferred delivery FILL names
 * @ctx:	the file FILL came through
 * @tid:	the caller, global tid
 * @id:		the buffer id its ALLOC returned
 *
 * Return: what to make the buffer of, for dmahp_deliver_fill_end(); NULL
 * if there is no such delivery waiting (its caller left, or it was filled).
 */
struct dmahp_deferred *dmahp_deliver_fill_begin(struct dmahp_ctx *ctx,
						pid_t tid, u64 id)
{
	struct dmahp_delivery *d;

	spin_lock(&dmahp_pending_lock);
	hash_for_each_possible(dmahp_pending, d, node, tid) {
		if (d->tid == tid && d->fill == DMAHP_FILL_WAITING &&
		    d->def.ctx == ctx && d->def.id == id) {
			WRITE_ONCE(d->fill, DMAHP_FILL_FILLING);
			spin_unlock(&dmahp_pending_lock);
			return &d->def;
		}
	}
	spin_unlock(&dmahp_pending_lock);
	return NULL;
}

/**
 * dmahp_deliver_fill_end() - hand FILL's buffer to the waiting delivery
 * @def:	from dmahp_deliver_fill_begin()
 * @dmabuf:	the buffer, published, its reference consumed; or an ERR_PTR
 *
 * Return: 0 when handed over, the buffer or the errno of @dmabuf, which
 * the caller's ioctl then returns; -ESRCH if the caller left meanwhile (the
 * buffer dropped).
 */
int dmahp_deliver_fill_end(struct dmahp_deferred *def, struct dma_buf *dmabuf)
{
	struct dmahp_delivery *d = container_of(def, struct dmahp_delivery,
						def);
	int err = PTR_ERR_OR_ZERO(dmabuf);

	spin_lock(&dmahp_pending_lock);
	if (d->fill == DMAHP_FILL_FILLING) {
		d->dmabuf = err ? NULL : dmabuf;
		d->fill_err = err;
		WRITE_ONCE(d->fill, DMAHP_FILL_DONE);
		/* Under the lock: the claim that frees @d takes it first. */
		complete(&d->filled);
		spin_unlock(&dmahp_pending_lock);
		return 0;
	}
	spin_unlock(&dmahp_pending_lock);

	/* ABANDONED: unlisted, and ours to end. */
	atomic64_inc(&dmahp_counters.deliveries_dropped);
	put_task_struct(def->caller);
	if (err)
		dmahp_deliver_end_unfilled(d);
	else
		dma_buf_put(dmabuf);
	dmahp_deliver_free(d);
	return -ESRCH;
}

/**
 * dmahp_deliver_close() - the file @ctx is released: nothing will FILL
 * @ctx:	its context
 *
 * Deferred deliveries still waiting for it end now, with -EIO, and their
 * callers stop waiting.
 */
void dmahp_deliver_close(struct dmahp_ctx *ctx)
{
	struct dmahp_delivery *d;
	int bkt;

	spin_lock(&dmahp_pending_lock);
	hash_for_each(dmahp_pending, bkt, d, node) {
		if (d->fill == DMAHP_FILL_WAITING && d->def.ctx == ctx) {
			d->fill_err = -EIO;
			WRITE_ONCE(d->fill, DMAHP_FILL_DONE);
			complete(&d->filled);
		}
	}
	spin_unlock(&dmahp_pending_lock);
}
