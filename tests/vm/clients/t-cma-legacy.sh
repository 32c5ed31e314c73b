#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A kernel with a default CMA area and no CMA heap (configs/cma.conf): the
# contiguous heap's legacy node, the area's name, is dmaheapd's, and its
# buffers come from the area: contiguous, larger than the page allocator's
# largest block, and counted by the area's own statistics where the kernel
# keeps them (CONFIG_CMA_SYSFS).
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
area=$(ls /sys/kernel/mm/cma 2>/dev/null | head -n 1)
[ -n "$area" ] || area=reserved
node=/dev/dma_heap/$area
[ -c "$node" ] || fail "$node, the legacy node of the CMA area \"$area\", is not served"
[ "$(stat -c '%t:%T' "$node")" = "$(stat -c '%t:%T' /dev/dma_heap/default_cma_region)" ] &&
	fail "$node is default_cma_region's own node, not an alias of its own"
stats=/sys/kernel/mm/cma/$area/alloc_pages_success
before=$(cat "$stats" 2>/dev/null)
for n in default_cma_region "$area"; do
	DMAHEAP=/dev/dma_heap/$n "$d/h-contig" contiguity 16M || fail "16 MiB from $n"
done
if [ -n "$before" ]; then
	after=$(cat "$stats")
	grown=$((after - before))
	# 16 MiB twice: 8192 pages at least.
	[ "$grown" -ge 8192 ] || fail "the CMA area \"$area\" counted $grown pages, want 8192 or more"
	echo "CMA area \"$area\": alloc_pages_success +$grown pages for 2 x 16 MiB"
else
	echo "no CMA sysfs statistics on this kernel; contiguity checked only"
fi
echo "$node and default_cma_region: 16 MiB contiguous each"
