// SPDX-License-Identifier: GPL-2.0
/*
 * Release events: a buffer allocated with a cookie tells the open file of
 * the helper that allocated it when its last reference goes, through read()
 * and poll() on that file. The event is allocated with the buffer, so its
 * release, which cannot fail, only has to queue it.
 */
#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "dmaheap-helper.h"
#include "dmaheap_helper.h"

/*
 * One open file of the helper: its file->private_data. It outlives the file
 * while an event or a deferred delivery refers to it, and so does the
 * module: @pin is a file of the module's own, whose last fput() drops the
 * module's reference only after the code that put the context has
 * returned (__fput() runs as task work or from a workqueue).
 */
struct dmahp_ctx {
	struct kref ref;		/* the file's, each unqueued event's */
	spinlock_t lock;		/* events, closed */
	struct list_head events;	/* queued, oldest first */
	wait_queue_head_t wait;		/* readers and pollers */
	bool closed;			/* the file was released */
	struct file *pin;		/* holds the module */
};

static const struct file_operations dmahp_pin_fops = {
	.owner = THIS_MODULE,
};

struct dmahp_event {
	struct list_head node;		/* in dmahp_ctx.events, queued */
	struct dmahp_ctx *ctx;		/* a reference, until queued */
	struct dmaheap_helper_event ev;
};

/**
 * dmahp_ctx_create() - the context of a new open file of the helper
 *
 * Return: the context, for the file's private_data, or NULL.
 */
struct dmahp_ctx *dmahp_ctx_create(void)
{
	struct dmahp_ctx *ctx;

	ctx = dmahp_fault("open") ? NULL : kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return NULL;
	ctx->pin = anon_inode_getfile("[dmaheap-helper]", &dmahp_pin_fops,
				      NULL, O_RDONLY);
	if (IS_ERR(ctx->pin)) {
		kfree(ctx);
		return NULL;
	}
	kref_init(&ctx->ref);
	spin_lock_init(&ctx->lock);
	INIT_LIST_HEAD(&ctx->events);
	init_waitqueue_head(&ctx->wait);
	return ctx;
}

static void dmahp_ctx_free(struct kref *ref)
{
	struct dmahp_ctx *ctx = container_of(ref, struct dmahp_ctx, ref);
	struct file *pin = ctx->pin;

	kfree(ctx);
	fput(pin);
}

/**
 * dmahp_ctx_get() - another reference on @ctx, and so on the module
 * @ctx:	a context with a reference held by the caller
 */
void dmahp_ctx_get(struct dmahp_ctx *ctx)
{
	kref_get(&ctx->ref);
}

/**
 * dmahp_ctx_put() - drop a reference on @ctx
 * @ctx:	the context
 *
 * The last one frees it and lets the module go once the caller returns.
 */
void dmahp_ctx_put(struct dmahp_ctx *ctx)
{
	kref_put(&ctx->ref, dmahp_ctx_free);
}

/**
 * dmahp_ctx_close() - the file is released: drop what was not read
 * @ctx:	the file's context; the file's reference is dropped
 *
 * Buffers still alive keep the context until they go, and drop their event
 * then.
 */
void dmahp_ctx_close(struct dmahp_ctx *ctx)
{
	struct dmahp_event *event, *tmp;
	LIST_HEAD(events);

	spin_lock(&ctx->lock);
	ctx->closed = true;
	list_splice_init(&ctx->events, &events);
	spin_unlock(&ctx->lock);

	list_for_each_entry_safe(event, tmp, &events, node)
		kfree(event);
	dmahp_ctx_put(ctx);
}

/**
 * dmahp_event_create() - the release event of a buffer about to be allocated
 * @ctx:	the file that allocates it
 * @cookie:	the daemon's name for the buffer, not zero
 *
 * Return: the event, holding a reference on @ctx, or NULL.
 */
struct dmahp_event *dmahp_event_create(struct dmahp_ctx *ctx, u64 cookie)
{
	struct dmahp_event *event;

	event = dmahp_fault("event") ? NULL :
		kzalloc(sizeof(*event), GFP_KERNEL);
	if (!event)
		return NULL;
	kref_get(&ctx->ref);
	event->ctx = ctx;
	event->ev.cookie = cookie;
	event->ev.type = DMAHEAP_HELPER_EVENT_RELEASED;
	return event;
}

/**
 * dmahp_event_free() - free an event never queued
 * @event:	from dmahp_event_create(), or NULL
 *
 * For a buffer that could not be allocated.
 */
void dmahp_event_free(struct dmahp_event *event)
{
	if (!event)
		return;
	dmahp_ctx_put(event->ctx);
	kfree(event);
}

/**
 * dmahp_event_post() - buffer @id of @len bytes is gone: tell its file
 * @event:	the buffer's event, consumed
 * @id:		the buffer's id
 * @len:	its size
 *
 * Queued and readers woken, or dropped if the file was closed meanwhile.
 * Process context (dma-buf release).
 */
void dmahp_event_post(struct dmahp_event *event, u64 id, u64 len)
{
	struct dmahp_ctx *ctx = event->ctx;
	bool queued;

	event->ev.id = id;
	event->ev.len = len;

	spin_lock(&ctx->lock);
	queued = !ctx->closed;
	if (queued)
		list_add_tail(&event->node, &ctx->events);
	spin_unlock(&ctx->lock);

	/* A reader may free a queued event at once: do not touch it again. */
	if (queued)
		wake_up_interruptible_poll(&ctx->wait, EPOLLIN | EPOLLRDNORM);
	else
		kfree(event);
	dmahp_ctx_put(ctx);
}

static bool dmahp_ctx_pending(struct dmahp_ctx *ctx)
{
	bool pending;

	spin_lock(&ctx->lock);
	pending = !list_empty(&ctx->events);
	spin_unlock(&ctx->lock);
	return pending;
}

static struct dmahp_event *dmahp_ctx_take(struct dmahp_ctx *ctx)
{
	struct dmahp_event *event;

	spin_lock(&ctx->lock);
	event = list_first_entry_or_null(&ctx->events, struct dmahp_event,
					 node);
	if (event)
		list_del(&event->node);
	spin_unlock(&ctx->lock);
	return event;
}

/* A taken event that could not be copied out: the oldest again. */
static void dmahp_ctx_untake(struct dmahp_ctx *ctx, struct dmahp_event *event)
{
	spin_lock(&ctx->lock);
	list_add(&event->node, &ctx->events);
	spin_unlock(&ctx->lock);
}

/**
 * dmahp_ctx_read() - read() on the helper: whole events, as many as fit
 * @ctx:	the file's context
 * @buf:	where to
 * @count:	at least one event's size
 * @nonblock:	O_NONBLOCK: -EAGAIN rather than waiting for the first
 *
 * Return: bytes read, -EINVAL, -EAGAIN, -ERESTARTSYS or -EFAULT.
 */
ssize_t dmahp_ctx_read(struct dmahp_ctx *ctx, char __user *buf, size_t count,
		       bool nonblock)
{
	const size_t size = sizeof(struct dmaheap_helper_event);
	struct dmahp_event *event;
	size_t done = 0;
	int ret;

	if (count < size)
		return -EINVAL;

	while (count - done >= size) {
		event = dmahp_ctx_take(ctx);
		if (!event) {
			if (done)
				break;
			if (nonblock)
				return -EAGAIN;
			ret = wait_event_interruptible(ctx->wait,
						       dmahp_ctx_pending(ctx));
			if (ret)
				return ret;
			continue;
		}
		if (copy_to_user(buf + done, &event->ev, size)) {
			dmahp_ctx_untake(ctx, event);
			return done ? done : -EFAULT;
		}
		kfree(event);
		done += size;
	}
	return done;
}

/**
 * dmahp_ctx_poll() - poll() on the helper
 * @ctx:	the file's context
 * @file:	the file
 * @wait:	the poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM while an event is queued, else 0.
 */
__poll_t dmahp_ctx_poll(struct dmahp_ctx *ctx, struct file *file,
			struct poll_table_struct *wait)
{
	poll_wait(file, &ctx->wait, wait);
	return dmahp_ctx_pending(ctx) ? EPOLLIN | EPOLLRDNORM : 0;
}
