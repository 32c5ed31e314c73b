// SPDX-License-Identifier: GPL-2.0
/*
 * The dma-buf every heap kind exports: attachments, DMA mapping, CPU access,
 * mmap, vmap and release. Modelled on drivers/dma-buf/heaps/system_heap.c.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "dmaheap_helper.h"

struct dmahp_attachment {
	struct device *dev;
	struct sg_table table;
	struct list_head list;
	bool mapped;
};

static atomic64_t dmahp_next_id = ATOMIC64_INIT(0);

#ifdef DMAHP_TEST_HOOKS
/* Every published buffer until its release, for the hooks' debugfs list. */
static LIST_HEAD(dmahp_live);
static DEFINE_MUTEX(dmahp_live_lock);

static void dmahp_live_add(struct dmahp_buffer *buffer)
{
	mutex_lock(&dmahp_live_lock);
	list_add_tail(&buffer->node, &dmahp_live);
	mutex_unlock(&dmahp_live_lock);
}

static void dmahp_live_del(struct dmahp_buffer *buffer)
{
	mutex_lock(&dmahp_live_lock);
	list_del(&buffer->node);
	mutex_unlock(&dmahp_live_lock);
}
#else
/* Only the test hooks list the buffers: without them, no list is kept. */
static void dmahp_live_add(struct dmahp_buffer *buffer) { }
static void dmahp_live_del(struct dmahp_buffer *buffer) { }
#endif

/**
 * dmahp_sg_set_contiguous() - describe @len contiguous bytes from @page
 * @table:	the table to allocate and fill
 * @page:	first page of the block
 * @len:	page-aligned size
 *
 * An entry's length is an unsigned int: blocks of 4 GiB and more take
 * several entries.
 *
 * Return: 0 or -ENOMEM.
 */
int dmahp_sg_set_contiguous(struct sg_table *table, struct page *page,
			    size_t len)
{
	struct scatterlist *sg;
	size_t chunk;
	int ret, i;

	ret = dmahp_fault("sg_table") ? -ENOMEM :
	      sg_alloc_table(table, DIV_ROUND_UP(len, SZ_1G), GFP_KERNEL);
	if (ret)
		return ret;

	for_each_sgtable_sg(table, sg, i) {
		chunk = min_t(size_t, len, SZ_1G);
		sg_set_page(sg, page, chunk, 0);
		page = pfn_to_page(page_to_pfn(page) + (chunk >> PAGE_SHIFT));
		len -= chunk;
	}
	return 0;
}

static int dmahp_dup_sg_table(struct sg_table *from, struct sg_table *to)
{
	struct scatterlist *sg, *new_sg;
	int ret, i;

	ret = sg_alloc_table(to, from->orig_nents, GFP_KERNEL);
	if (ret)
		return ret;

	new_sg = to->sgl;
	for_each_sgtable_sg(from, sg, i) {
		sg_set_page(new_sg, sg_page(sg), sg->length, sg->offset);
		new_sg = sg_next(new_sg);
	}
	return 0;
}

static int dmahp_attach(struct dma_buf *dmabuf,
			struct dma_buf_attachment *attach)
{
	struct dmahp_buffer *buffer = dmabuf->priv;
	struct dmahp_attachment *a;
	int ret;

	a = dmahp_fault("attach") ? NULL : kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	ret = dmahp_dup_sg_table(&buffer->sg_table, &a->table);
	if (ret) {
		kfree(a);
		return ret;
	}

	a->dev = attach->dev;
	INIT_LIST_HEAD(&a->list);
	attach->priv = a;

	mutex_lock(&buffer->lock);
	list_add(&a->list, &buffer->attachments);
	mutex_unlock(&buffer->lock);
	return 0;
}

static void dmahp_detach(struct dma_buf *dmabuf,
			 struct dma_buf_attachment *attach)
{
	struct dmahp_buffer *buffer = dmabuf->priv;
	struct dmahp_attachment *a = attach->priv;

	mutex_lock(&buffer->lock);
	list_del(&a->list);
	mutex_unlock(&buffer->lock);

	sg_free_table(&a->table);
	kfree(a);
}

static struct sg_table *dmahp_map_dma_buf(struct dma_buf_attachment *attach,
					  enum dma_data_direction dir)
{
	struct dmahp_attachment *a = attach->priv;
	int ret;

	ret = dmahp_fault("map") ? -ENOMEM :
	      dma_map_sgtable(attach->dev, &a->table, dir, 0);
	if (ret)
		return ERR_PTR(ret);

	a->mapped = true;
	return &a->table;
}

static void dmahp_unmap_dma_buf(struct dma_buf_attachment *attach,
				struct sg_table *table,
				enum dma_data_direction dir)
{
	struct dmahp_attachment *a = attach->priv;

	a->mapped = false;
	dma_unmap_sgtable(attach->dev, table, dir, 0);
}

static int dmahp_begin_cpu_access(struct dma_buf *dmabuf,
				  enum dma_data_direction dir)
{
	struct dmahp_buffer *buffer = dmabuf->priv;
	struct dmahp_attachment *a;

	mutex_lock(&buffer->lock);
	if (buffer->vmap_cnt)
		invalidate_kernel_vmap_range(buffer->vaddr, buffer->len);

	list_for_each_entry(a, &buffer->attachments, list) {
		if (a->mapped)
			dma_sync_sgtable_for_cpu(a->dev, &a->table, dir);
	}
	mutex_unlock(&buffer->lock);
	return 0;
}

static int dmahp_end_cpu_access(struct dma_buf *dmabuf,
				enum dma_data_direction dir)
{
	struct dmahp_buffer *buffer = dmabuf->priv;
	struct dmahp_attachment *a;

	mutex_lock(&buffer->lock);
	if (buffer->vmap_cnt)
		flush_kernel_vmap_range(buffer->vaddr, buffer->len);

	list_for_each_entry(a, &buffer->attachments, list) {
		if (a->mapped)
			dma_sync_sgtable_for_device(a->dev, &a->table, dir);
	}
	mutex_unlock(&buffer->lock);
	return 0;
}

static int dmahp_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct dmahp_buffer *buffer = dmabuf->priv;
	unsigned long addr = vma->vm_start;
	struct sg_page_iter piter;
	int ret;

	for_each_sgtable_page(&buffer->sg_table, &piter, vma->vm_pgoff) {
		struct page *page = sg_page_iter_page(&piter);

		ret = remap_pfn_range(vma, addr, page_to_pfn(page), PAGE_SIZE,
				      vma->vm_page_prot);
		if (ret)
			return ret;
		addr += PAGE_SIZE;
		if (addr >= vma->vm_end)
			return 0;
	}
	return 0;
}

static void *dmahp_do_vmap(struct dmahp_buffer *buffer)
{
	unsigned long npages = buffer->len >> PAGE_SHIFT;
	struct sg_page_iter piter;
	struct page **pages, **tmp;
	void *vaddr;

	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return ERR_PTR(-ENOMEM);

	tmp = pages;
	for_each_sgtable_page(&buffer->sg_table, &piter, 0) {
		if (WARN_ON(tmp - pages >= npages))
			break;
		*tmp++ = sg_page_iter_page(&piter);
	}

	vaddr = dmahp_fault("vmap") ? NULL :
		vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	return vaddr ? vaddr : ERR_PTR(-ENOMEM);
}

static int dmahp_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dmahp_buffer *buffer = dmabuf->priv;
	void *vaddr;
	int ret = 0;

	mutex_lock(&buffer->lock);
	if (!buffer->vmap_cnt) {
		vaddr = dmahp_do_vmap(buffer);
		if (IS_ERR(vaddr)) {
			ret = PTR_ERR(vaddr);
			goto out_unlock;
		}
		buffer->vaddr = vaddr;
	}
	buffer->vmap_cnt++;
	iosys_map_set_vaddr(map, buffer->vaddr);
out_unlock:
	mutex_unlock(&buffer->lock);
	return ret;
}

static void dmahp_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct dmahp_buffer *buffer = dmabuf->priv;

	mutex_lock(&buffer->lock);
	if (!--buffer->vmap_cnt) {
		vunmap(buffer->vaddr);
		buffer->vaddr = NULL;
	}
	mutex_unlock(&buffer->lock);
	iosys_map_clear(map);
}

static void dmahp_buffer_free(struct dmahp_buffer *buffer)
{
	buffer->kind->free(buffer);
	sg_free_table(&buffer->sg_table);
	kfree(buffer);
}

/**
 * dmahp_buffer_free_memory() - free a ready buffer's memory now
 * @buffer:	exported, never published, held only by the caller
 *
 * Its pages go back (and are uncharged) at once, before its file: a file's
 * last reference put by a user task goes only when the task returns to
 * user mode. Its release then frees the empty buffer.
 */
void dmahp_buffer_free_memory(struct dmahp_buffer *buffer)
{
	buffer->kind->free(buffer);
	sg_free_table(&buffer->sg_table);
	memset(&buffer->sg_table, 0, sizeof(buffer->sg_table));
}

static void dmahp_release(struct dma_buf *dmabuf)
{
	struct dmahp_buffer *buffer = dmabuf->priv;
	struct dmahp_event *event = buffer->event;
	size_t len = buffer->len;
	u64 id = buffer->id;

	/* A ready buffer never taken (ready.c) was never live. */
	if (buffer->live) {
		dmahp_live_del(buffer);
		atomic64_dec(&dmahp_counters.live_buffers);
		atomic64_sub(len, &dmahp_counters.live_bytes);
	}
	dmahp_buffer_free(buffer);

	/* Last: whoever reads the event finds the memory already freed. */
	if (event)
		dmahp_event_post(event, id, len);
}

static const struct dma_buf_ops dmahp_buf_ops = {
	.attach = dmahp_attach,
	.detach = dmahp_detach,
	.map_dma_buf = dmahp_map_dma_buf,
	.unmap_dma_buf = dmahp_unmap_dma_buf,
	.begin_cpu_access = dmahp_begin_cpu_access,
	.end_cpu_access = dmahp_end_cpu_access,
	.mmap = dmahp_mmap,
	.vmap = dmahp_vmap,
	.vunmap = dmahp_vunmap,
	.release = dmahp_release,
};

#ifdef DMAHP_TEST_HOOKS
/*
 * One buffer: "ID INO KIND LEN PFN+PAGES[,PFN+PAGES...][ charged]", runs
 * merged; "charged" only for buffers charged to a memory cgroup, so the
 * lines of the others read as they always did.
 */
static void dmahp_buffer_show(struct seq_file *m, struct dmahp_buffer *buffer)
{
	unsigned long start = 0, n = 0, pfn;
	struct sg_page_iter piter;
	char sep = ' ';

	seq_printf(m, "%llu %lu %s %zu", buffer->id, buffer->ino,
		   buffer->kind->name, buffer->len);
	for_each_sgtable_page(&buffer->sg_table, &piter, 0) {
		pfn = page_to_pfn(sg_page_iter_page(&piter));
		if (n && pfn == start + n) {
			n++;
			continue;
		}
		if (n) {
			seq_printf(m, "%c%#lx+%lu", sep, start, n);
			sep = ',';
		}
		start = pfn;
		n = 1;
	}
	seq_printf(m, "%c%#lx+%lu%s\n", sep, start, n,
		   buffer->charged ? " charged" : "");
}

/**
 * dmahp_buffers_show() - debugfs dmaheap-helper/buffers (hooks.c)
 * @m:		the file
 * @unused:	the show function's data, none
 *
 * The physical runs of every live buffer, one line each.
 *
 * Return: 0.
 */
int dmahp_buffers_show(struct seq_file *m, void *unused)
{
	struct dmahp_buffer *buffer;

	mutex_lock(&dmahp_live_lock);
	list_for_each_entry(buffer, &dmahp_live, node)
		dmahp_buffer_show(m, buffer);
	mutex_unlock(&dmahp_live_lock);
	return 0;
}
#endif

/*
 * The kind allocates with @memcg active: the pages it gets with dmahp_gfp()
 * are charged there, not to the daemon or worker whose thread this is. A
 * kind that allocates in a thread of its own (cma.c) makes buffer->memcg
 * active there.
 */
static int dmahp_allocate_memcg(struct dmahp_buffer *buffer,
				struct task_struct *caller,
				struct mem_cgroup *memcg)
{
	struct mem_cgroup *old;
	int ret;

	buffer->memcg = memcg;
	old = set_active_memcg(memcg);
	ret = buffer->kind->allocate(buffer, caller);
	set_active_memcg(old);
	buffer->memcg = NULL;
	return ret;
}

/*
 * Charged to the memory cgroup of @caller's mm. A caller without an mm any
 * more is charged nothing.
 */
static int dmahp_allocate_charged(struct dmahp_buffer *buffer,
				  struct task_struct *caller)
{
	struct mem_cgroup *memcg;
	struct mm_struct *mm;
	int ret;

	mm = get_task_mm(caller);
	if (!mm) {
		buffer->charged = false;
		return buffer->kind->allocate(buffer, caller);
	}
	memcg = get_mem_cgroup_from_mm(mm);
	ret = dmahp_allocate_memcg(buffer, caller, memcg);
	mem_cgroup_put(memcg);
	mmput(mm);
	return ret;
}

static int dmahp_allocate(struct dmahp_buffer *buffer,
			  struct task_struct *caller, struct mem_cgroup *memcg)
{
	if (dmahp_killed(caller))
		return -EINTR;
	if (buffer->charged && memcg)
		return dmahp_allocate_memcg(buffer, caller, memcg);
	if (buffer->charged)
		return dmahp_allocate_charged(buffer, caller);
	return buffer->kind->allocate(buffer, caller);
}

/**
 * dmahp_buffer_export() - allocate zeroed memory of @kind and export it
 * @kind:	the heap kind that provides the memory
 * @pool:	what the kind allocates from (the region), or NULL
 * @len:	page-aligned size in bytes
 * @fd_flags:	O_CLOEXEC and access mode for the dma-buf file
 * @caller:	the thread the buffer is for; allocation stops if it is
 *		killed
 * @memcg:	with DMAHP_BUF_CHARGE, the memory cgroup to charge, held by
 *		the caller of this function; NULL: @caller's
 * @flags:	DMAHP_BUF_CHARGE: charge the pages to @memcg or @caller's
 *		memory cgroup, if @kind can; DMAHP_BUF_BACKGROUND: made ahead,
 *		by a worker, so the page allocator must not reclaim for it
 *
 * The buffer is not live yet: dmahp_buffer_publish() makes it so.
 *
 * Return: the dma-buf, holding a reference on this module, or an ERR_PTR.
 */
struct dma_buf *dmahp_buffer_export(const struct dmahp_kind *kind, void *pool,
				    size_t len, u32 fd_flags,
				    struct task_struct *caller,
				    struct mem_cgroup *memcg,
				    unsigned int flags)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dmahp_buffer *buffer;
	struct dma_buf *dmabuf;
	int ret;

	buffer = dmahp_fault("buffer") ? NULL :
		 kzalloc(sizeof(*buffer),
			 dmahp_meta_gfp(flags & DMAHP_BUF_BACKGROUND));
	if (!buffer)
		return ERR_PTR(-ENOMEM);

	buffer->kind = kind;
	buffer->pool = pool;
	buffer->len = len;
	buffer->charged = flags & DMAHP_BUF_CHARGE && kind->chargeable;
	buffer->background = flags & DMAHP_BUF_BACKGROUND;
	INIT_LIST_HEAD(&buffer->attachments);
	INIT_LIST_HEAD(&buffer->node);
	mutex_init(&buffer->lock);

	ret = dmahp_allocate(buffer, caller, memcg);
	if (ret)
		goto out_free_buffer;

	exp_info.exp_name = kind->name;
	exp_info.ops = &dmahp_buf_ops;
	exp_info.size = len;
	exp_info.flags = fd_flags;
	exp_info.priv = buffer;
	dmabuf = dmahp_fault("export") ? ERR_PTR(-ENOMEM) :
		 dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto out_free_memory;
	}
	buffer->dmabuf = dmabuf;
	buffer->ino = file_inode(dmabuf->file)->i_ino;
	return dmabuf;

out_free_memory:
	dmahp_buffer_free(buffer);
	return ERR_PTR(ret);
out_free_buffer:
	kfree(buffer);
	return ERR_PTR(ret);
}

/**
 * dmahp_buffer_new_id() - the id of a buffer about to be published
 *
 * Return: an id no other buffer has had since the module was loaded.
 */
u64 dmahp_buffer_new_id(void)
{
	return atomic64_inc_return(&dmahp_next_id);
}

/**
 * dmahp_buffer_publish() - an exported buffer goes to a caller: make it live
 * @dmabuf:	from dmahp_buffer_export()
 * @id:		from dmahp_buffer_new_id()
 * @event:	posted when the buffer is released, or NULL; taken over
 * @name:	the heap's name, kept by dmahp_name_get(), for the exporter
 *		name; NULL keeps the kind's
 *
 * It takes its id and enters the live counters (and, with the test hooks,
 * the debugfs list). A ready buffer was exported before anyone knew the
 * heap it would go to: its exporter name is set here, before its fd
 * exists.
 */
void dmahp_buffer_publish(struct dma_buf *dmabuf, u64 id,
			  struct dmahp_event *event, const char *name)
{
	struct dmahp_buffer *buffer = dmabuf->priv;

	/*
	 * Before the fd exists, only the dma-buf core's debugfs can read it:
	 * one aligned store, and the old and new names both stay valid.
	 */
	if (name)
		WRITE_ONCE(dmabuf->exp_name, name);
	buffer->id = id;
	buffer->event = event;
	buffer->live = true;
	dmahp_live_add(buffer);

	atomic64_inc(&dmahp_counters.allocations);
	atomic64_inc(&dmahp_counters.live_buffers);
	atomic64_add(buffer->len, &dmahp_counters.live_bytes);
}
