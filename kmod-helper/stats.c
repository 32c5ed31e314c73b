// SPDX-License-Identifier: GPL-2.0
/*
 * The helper's counters, which every other file updates, and their one
 * channel: a file each in the misc device's sysfs directory,
 * /sys/class/misc/dmaheap-helper/COUNTER, one number a file, readable by
 * root only, as they show every user's activity (docs/helper-interface.md).
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "dmaheap_helper.h"

struct dmahp_counters dmahp_counters;

static ssize_t dmahp_counter_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct dev_ext_attribute *ea;

	ea = container_of(attr, struct dev_ext_attribute, attr);
	return sysfs_emit(buf, "%lld\n", atomic64_read(ea->var));
}

/* The file @_name shows @_counter, as DEVICE_ULONG_ATTR() does a ulong. */
#define DMAHP_COUNTER(_name, _counter)					\
	struct dev_ext_attribute dmahp_counter_attr_##_name = {		\
		__ATTR(_name, 0400, dmahp_counter_show, NULL), &(_counter) \
	}

static DMAHP_COUNTER(live_buffers, dmahp_counters.live_buffers);
static DMAHP_COUNTER(live_bytes, dmahp_counters.live_bytes);
static DMAHP_COUNTER(fds_installed, dmahp_counters.fds_installed);
static DMAHP_COUNTER(deliveries_dropped, dmahp_counters.deliveries_dropped);
static DMAHP_COUNTER(allocations, dmahp_counters.allocations);
static DMAHP_COUNTER(alloc_failures, dmahp_counters.alloc_failures);
static DMAHP_COUNTER(pool_bytes, dmahp_counters.pool_bytes);
static DMAHP_COUNTER(pool_hits, dmahp_counters.pool_hits);
static DMAHP_COUNTER(pool_misses, dmahp_counters.pool_misses);
static DMAHP_COUNTER(ready_buffers, dmahp_counters.ready_buffers);
static DMAHP_COUNTER(ready_hits, dmahp_counters.ready_hits);
static DMAHP_COUNTER(memcg_pools, dmahp_counters.memcg_pools);
static DMAHP_COUNTER(memcg_pool_bytes, dmahp_counters.memcg_pool_bytes);
static DMAHP_COUNTER(memcg_pool_hits, dmahp_counters.memcg_pool_hits);
static DMAHP_COUNTER(memcg_pool_misses, dmahp_counters.memcg_pool_misses);

static struct attribute *dmahp_stats_attrs[] = {
	&dmahp_counter_attr_live_buffers.attr.attr,
	&dmahp_counter_attr_live_bytes.attr.attr,
	&dmahp_counter_attr_fds_installed.attr.attr,
	&dmahp_counter_attr_deliveries_dropped.attr.attr,
	&dmahp_counter_attr_allocations.attr.attr,
	&dmahp_counter_attr_alloc_failures.attr.attr,
	&dmahp_counter_attr_pool_bytes.attr.attr,
	&dmahp_counter_attr_pool_hits.attr.attr,
	&dmahp_counter_attr_pool_misses.attr.attr,
	&dmahp_counter_attr_ready_buffers.attr.attr,
	&dmahp_counter_attr_ready_hits.attr.attr,
	&dmahp_counter_attr_memcg_pools.attr.attr,
	&dmahp_counter_attr_memcg_pool_bytes.attr.attr,
	&dmahp_counter_attr_memcg_pool_hits.attr.attr,
	&dmahp_counter_attr_memcg_pool_misses.attr.attr,
	NULL
};

static const struct attribute_group dmahp_stats_group = {
	.attrs = dmahp_stats_attrs,
};

/* The misc device's groups (main.c): its sysfs files are the counters. */
const struct attribute_group *dmahp_stats_groups[] = {
	&dmahp_stats_group,
	NULL
};
