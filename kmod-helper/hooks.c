// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks, built only with `meson -Dtest_hooks=true` (Kbuild's
 * DMAHEAP_TEST_HOOKS=y): the fault_inject parameter that fails one chosen
 * error path, and the debugfs list of every buffer's physical pages. DKMS
 * and packages never build them (docs/fault-injection.md).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>

#include "dmaheap-helper.h"
#include "dmaheap_helper.h"

static char dh_fault_site[32];
module_param_string(fault_inject, dh_fault_site, sizeof(dh_fault_site), 0600);
MODULE_PARM_DESC(fault_inject,
		 "for tests: the next pass through this failure path fails");
static DEFINE_SPINLOCK(dh_fault_lock);

bool dh_fault(const char *site)
{
	bool hit;

	if (likely(!READ_ONCE(dh_fault_site[0])))
		return false;
	spin_lock(&dh_fault_lock);
	hit = sysfs_streq(dh_fault_site, site);
	if (hit) {
		dh_fault_site[0] = '\0';
		pr_info("fault injected: %s\n", site);
	}
	spin_unlock(&dh_fault_lock);
	return hit;
}

DEFINE_SHOW_ATTRIBUTE(dh_buffers);

static struct dentry *dh_debugfs;

/* debugfs dmaheap-helper/buffers: which physical pages each buffer has. */
void dh_hooks_init(void)
{
	dh_debugfs = debugfs_create_dir(DMAHEAP_HELPER_DEVNAME, NULL);
	debugfs_create_file("buffers", 0400, dh_debugfs, NULL,
			    &dh_buffers_fops);
}

void dh_hooks_exit(void)
{
	debugfs_remove(dh_debugfs);
}
