/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels the helper builds for (6.1 to 7.2), each
 * named by what changed. Kbuild tests the kernel's headers for the changes
 * that no macro shows (DMAHP_HAVE_*), so that no file tests a kernel version.
 */
#ifndef DMAHEAP_HELPER_COMPAT_H
#define DMAHEAP_HELPER_COMPAT_H

#include <linux/list_lru.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

/*
 * The largest order the page allocator serves: MAX_ORDER - 1 until 6.4
 * made MAX_ORDER inclusive, which 6.8 renamed MAX_PAGE_ORDER.
 */
#if defined(MAX_PAGE_ORDER)
#define DMAHP_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif defined(DMAHP_HAVE_MAX_ORDER_EXCLUSIVE)
#define DMAHP_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#else
#define DMAHP_MAX_PAGE_ORDER	MAX_ORDER
#endif

/* Symbol namespaces are strings since 6.13. */
#ifdef DMAHP_HAVE_NS_IDENTIFIER
#define DMAHP_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS(DMA_BUF)
#else
#define DMAHP_IMPORT_NS_DMA_BUF()	MODULE_IMPORT_NS("DMA_BUF")
#endif

/*
 * Whether kernel memory is charged to memory cgroups: on once a cgroup
 * other than the root has come online, never with cgroup.memory=nokmem.
 * memcg_kmem_enabled() before 6.3.
 */
#ifdef DMAHP_HAVE_MEMCG_KMEM_ONLINE
#define dmahp_memcg_kmem_online	memcg_kmem_online
#else
#define dmahp_memcg_kmem_online	memcg_kmem_enabled
#endif

/*
 * list_lru_add() and list_lru_del() name the sublist since 6.8; the
 * _obj() variants find it from a slab object, as they did before.
 */
#ifdef DMAHP_HAVE_LIST_LRU_ADD_OBJ
#define dmahp_list_lru_add_obj	list_lru_add_obj
#define dmahp_list_lru_del_obj	list_lru_del_obj
#else
#define dmahp_list_lru_add_obj	list_lru_add
#define dmahp_list_lru_del_obj	list_lru_del
#endif

/**
 * dmahp_shrinker_create() - allocate and register a shrinker
 * @name:	its name, in debugfs
 * @count:	its count_objects
 * @scan:	its scan_objects
 * @flags:	SHRINKER_* flags, such as SHRINKER_MEMCG_AWARE
 * @seeks:	what an object costs to make again, DEFAULT_SEEKS; 0: the
 *		kernel asks for half of what is counted on every pass
 *
 * Shrinkers are allocated by the shrinker core since 6.7
 * (shrinker_alloc(), shrinker_register(), shrinker_free()); before, the
 * caller owned the struct and registered it.
 *
 * Return: the registered shrinker, or NULL.
 */
static inline struct shrinker *
dmahp_shrinker_create(const char *name,
		      unsigned long (*count)(struct shrinker *,
					     struct shrink_control *),
		      unsigned long (*scan)(struct shrinker *,
					    struct shrink_control *),
		      unsigned int flags, int seeks)
{
	struct shrinker *shrinker;

#ifdef DMAHP_HAVE_SHRINKER_ALLOC
	shrinker = shrinker_alloc(flags, "%s", name);
	if (!shrinker)
		return NULL;
	shrinker->count_objects = count;
	shrinker->scan_objects = scan;
	shrinker->seeks = seeks;
	shrinker_register(shrinker);
#else
	shrinker = kzalloc(sizeof(*shrinker), GFP_KERNEL);
	if (!shrinker)
		return NULL;
	shrinker->count_objects = count;
	shrinker->scan_objects = scan;
	shrinker->seeks = seeks;
	shrinker->flags = flags;
	if (register_shrinker(shrinker, "%s", name)) {
		kfree(shrinker);
		return NULL;
	}
#endif
	return shrinker;
}

/**
 * dmahp_shrinker_destroy() - unregister and free a shrinker
 * @shrinker:	from dmahp_shrinker_create()
 */
static inline void dmahp_shrinker_destroy(struct shrinker *shrinker)
{
#ifdef DMAHP_HAVE_SHRINKER_ALLOC
	shrinker_free(shrinker);
#else
	unregister_shrinker(shrinker);
	kfree(shrinker);
#endif
}

#endif /* DMAHEAP_HELPER_COMPAT_H */
