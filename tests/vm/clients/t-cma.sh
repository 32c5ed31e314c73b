#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The contiguous heap on the reference kernel (configs/refkernel.conf): from
# its default CMA area (64 MiB there, 96 on sid), so larger than the page allocator's 4 MiB;
# zeroed on reuse; -ENOMEM when the area is full, room again after a free;
# vgem imports it, vivid captures into it.
. "$(dirname "$0")/lib.sh"
need_test_hooks
DMAHEAP=/dev/dma_heap/default_cma_region
export DMAHEAP
d=$(dirname "$0")

grep CmaTotal /proc/meminfo
cma=$(awk '$1 == "CmaTotal:" { print int($2 / 1024) }' /proc/meminfo)
[ "$cma" -ge 32 ] || fail "a CMA area of $cma MiB: the checks below need 32 MiB or more"
"$d/h-contig" contiguity 64K 1M 16M 32M || fail contiguity
# reuse holds 8 buffers at once: a sixteenth of the area each, half of it
# in all (arm64's default 64 MiB area, which the kernel's own devices use
# too, has no room for 8 x 8 MiB).
"$d/h-contig" reuse "$((cma / 16))M" || fail reuse
"$d/h-contig" exhaust 8M 16 || fail exhaustion
"$d/h-contig" too-big 128M || fail "128 MiB"
"$d/t-vgem" || fail "t-vgem"
# A camera's capture into a contiguous buffer: vivid, where it was loaded.
"$d/t-vivid"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "t-vivid"
# Its failure paths: no block, no sg table (fault_inject).
for site in pages sg_table; do
	"$d/h-inject" alloc $site ENOMEM || fail "$site fault"
done
