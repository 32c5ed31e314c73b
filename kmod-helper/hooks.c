// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks, built only with `meson -Dtest_hooks=true` (Kbuild's
 * DMAHEAP_TEST_HOOKS=y): dmahp_fault(), which every fault site asks, and
 * the fault_inject parameter that names the one chosen error path to fail;
 * the debugfs list of every buffer's physical pages. DKMS and packages
 * never build them (docs/fault-injection.md).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>

#include "dmaheap-helper.h"
#include "dmaheap_helper.h"

static char dmahp_fault_site[32];
module_param_string(fault_inject, dmahp_fault_site, sizeof(dmahp_fault_site),
		    0600);
MODULE_PARM_DESC(fault_inject,
		 "for tests: the next pass through this failure path fails");
static DEFINE_SPINLOCK(dmahp_fault_lock);

/**
 * dmahp_fault() - should the failure path @site fail now?
 * @site:	the fault site's name (docs/fault-injection.md)
 *
 * Context: process context; takes dmahp_fault_lock (not IRQ-safe) only
 * while a site is named.
 * Return: true once when fault_inject names @site, which it then clears.
 */
bool dmahp_fault(const char *site)
{
	bool hit;

	if (likely(!READ_ONCE(dmahp_fault_site[0])))
		return false;
	spin_lock(&dmahp_fault_lock);
	hit = sysfs_streq(dmahp_fault_site, site);
	if (hit) {
		dmahp_fault_site[0] = '\0';
		pr_info("fault injected: %s\n", site);
	}
	spin_unlock(&dmahp_fault_lock);
	return hit;
}

/* How long a stretched give-back waits for a failed pass, at most. */
#define DMAHP_GIVE_BACK_DELAY_MS	10000

static atomic_t dmahp_hook_failed_passes = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(dmahp_hook_wq);

/**
 * dmahp_hook_pass_failed() - a charged client's pass over the orders failed
 *
 * Context: process context, before the pass's dmahp_mpool_drop().
 */
void dmahp_hook_pass_failed(void)
{
	atomic_inc(&dmahp_hook_failed_passes);
	wake_up_all(&dmahp_hook_wq);
}

/**
 * dmahp_hook_await_failed_pass() - the mpool_give_back site's stretch
 *
 * Waits until a charged client's pass over the orders fails, or 10 s: pages
 * detached from a pool and not freed yet meet that client's allocation.
 *
 * Context: may sleep.
 */
void dmahp_hook_await_failed_pass(void)
{
	int n = atomic_read(&dmahp_hook_failed_passes);

	wait_event_timeout(dmahp_hook_wq,
			   atomic_read(&dmahp_hook_failed_passes) != n,
			   msecs_to_jiffies(DMAHP_GIVE_BACK_DELAY_MS));
}

DEFINE_SHOW_ATTRIBUTE(dmahp_buffers);

static struct dentry *dmahp_debugfs;

/**
 * dmahp_hooks_init() - create debugfs dmaheap-helper/buffers
 *
 * The file lists which physical pages each buffer has. Like all of debugfs,
 * it cannot fail the module's load.
 */
void dmahp_hooks_init(void)
{
	dmahp_debugfs = debugfs_create_dir(DMAHEAP_HELPER_DEVNAME, NULL);
	debugfs_create_file("buffers", 0400, dmahp_debugfs, NULL,
			    &dmahp_buffers_fops);
}

/**
 * dmahp_hooks_exit() - remove what dmahp_hooks_init() created
 */
void dmahp_hooks_exit(void)
{
	debugfs_remove(dmahp_debugfs);
}
