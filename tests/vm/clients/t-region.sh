#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The region heap of configs/stock.conf on memmap=64M$0x30000000: buffers
# are one run inside the range, zeroed on reuse, -ENOMEM when it is full and
# room again after a free; the alias is the same heap; unchanged clients,
# vgem (attach, map, sync) and vivid (vmap) work on it; the helper refuses
# an overlapping claim and gives the same id for the same range; a region
# of ordinary RAM is refused with the fix named.
. "$(dirname "$0")/lib.sh"
DMAHEAP=/dev/dma_heap/memory@30000000-contiguous
export DMAHEAP
d=$(dirname "$0")
base=0x30000000 size=0x4000000

# in_range OUTPUT: every "PFN 0x..." of t-contig lies in the region.
in_range() {
	echo "$1"
	for pfn in $(echo "$1" | sed -n 's/.*PFN \(0x[0-9a-f]*\).*/\1/p'); do
		[ $((pfn * 4096)) -ge $((base)) ] &&
			[ $((pfn * 4096)) -lt $((base + size)) ] ||
			fail "PFN $pfn is outside the region"
	done
}

out=$("$d/t-contig" contiguity 4K 1M 16M 64M) || fail "contiguity: $out"
in_range "$out"
out=$(DMAHEAP=/dev/dma_heap/video@30000000 "$d/t-contig" contiguity 2M) ||
	fail "alias: $out"
in_range "$out"
"$d/t-contig" reuse 1M || fail reuse
"$d/t-contig" exhaust 16M 10 || fail exhaustion
"$d/t-contig" too-big 128M || fail "128 MiB"
for t in t-alloc t-zero t-vgem t-vivid; do
	"$d/$t" || fail "$t on the region heap"
done

daemon_stop
"$d/t-region-claim" $base $size || { daemon_start; fail "claims"; }
expect_refusal region-ram.conf "0x10000000" "memmap="
daemon_start
