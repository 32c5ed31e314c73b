/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory cgroups by inode number, as the helper names them
 * (&dmaheap_helper_memcg_pool.cgroup_ino): the directory of the cgroup2
 * file system with that inode, for dmaheapctl status. Paths are
 * parameters, so that the unit tests look in a tree of their own.
 */
#ifndef DMAHEAPD_CGROUP_H
#define DMAHEAPD_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Where cgroup2 is mounted when /proc/self/mountinfo does not say. */
#define CGROUP_ROOT_DEFAULT	"/sys/fs/cgroup"
/* Levels below the mount that cgroup_paths() looks into. */
#define CGROUP_DEPTH_MAX	32

/*
 * cgroup2_mount() - the mount point of the first file system of type
 * cgroup2 in @mountinfo (the format of /proc/self/mountinfo), its octal
 * escapes undone, into @buf.
 * Return: 0, -ENOENT when there is none, -ENAMETOOLONG when it does not
 * fit, or the negative errno of opening @mountinfo.
 */
int cgroup2_mount(const char *mountinfo, char *buf, size_t size);

/*
 * cgroup_root() - where cgroup2 is mounted for this process: from
 * /proc/self/mountinfo, else CGROUP_ROOT_DEFAULT. Into @buf, never fails.
 */
void cgroup_root(char *buf, size_t size);

/*
 * cgroup_kmem_charged() - whether the kernel charges kernel memory, dma-buf
 * pages among it, to memory cgroups: not when booted with
 * cgroup.memory=nokmem, as @cmdline (the format of /proc/cmdline) says.
 * Return: 1, or 0 with nokmem; 1 when @cmdline cannot be read.
 */
int cgroup_kmem_charged(const char *cmdline);

/*
 * cgroup_paths() - the cgroups below @root whose directories have the
 * inode numbers @inos
 * @root:	the cgroup2 mount (or a test's tree)
 * @inos:	@n inode numbers; 0 is no cgroup (a kernel without a memory
 *		controller) and is not looked for
 * @ret:	@n pointers: for each inode number, its directory relative to
 *		@root with a leading "/" ("/" for @root itself), malloc()ed,
 *		or NULL when it is 0 or no directory has it (a cgroup removed
 *		meanwhile, another cgroup namespace)
 *
 * One walk for all of them (nftw(), FTW_PHYS | FTW_MOUNT: no symbolic
 * link followed, no other file system entered), at most CGROUP_DEPTH_MAX
 * levels deep, ended once each was found (the first directory found for
 * an inode number is the one). Free the strings with cgroup_paths_free().
 * Return: how many were found, or a negative errno when the walk failed
 * (@root missing, out of memory); those found by then are in @ret.
 */
int cgroup_paths(const char *root, const uint64_t *inos, size_t n,
		 char **ret);
void cgroup_paths_free(char **paths, size_t n);

#endif
