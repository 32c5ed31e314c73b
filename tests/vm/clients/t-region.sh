#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The region heap of configs/stock.conf on memmap=64M$0x30000000: buffers
# are one run inside the range, zeroed on reuse, -ENOMEM when it is full and
# room again after a free; the alias is the same heap; unchanged clients,
# vgem (attach, map, sync) and vivid (vmap) work on it; the helper refuses
# an overlapping claim and gives the same id for the same range; a region
# of ordinary RAM is refused with the fix named, one of what the firmware
# reserved (not RAM in its map) with -ENXIO and a size past the cap with
# -EINVAL.
. "$(dirname "$0")/lib.sh"
need_test_hooks
DMAHEAP=/dev/dma_heap/memory@30000000-contiguous
export DMAHEAP
d=$(dirname "$0")
base=0x30000000 size=0x4000000

# in_range OUTPUT: every "PFN 0x..." of h-contig lies in the region.
in_range() {
	echo "$1"
	for pfn in $(echo "$1" | sed -n 's/.*PFN \(0x[0-9a-f]*\).*/\1/p'); do
		[ $((pfn * 4096)) -ge $((base)) ] &&
			[ $((pfn * 4096)) -lt $((base + size)) ] ||
			fail "PFN $pfn is outside the region"
	done
}

out=$("$d/h-contig" contiguity 4K 1M 16M 64M) || fail "contiguity: $out"
in_range "$out"
out=$(DMAHEAP=/dev/dma_heap/video@30000000 "$d/h-contig" contiguity 2M) ||
	fail "alias: $out"
in_range "$out"
"$d/h-contig" reuse 1M || fail reuse
"$d/h-contig" exhaust 16M 10 || fail exhaustion
"$d/h-contig" too-big 128M || fail "128 MiB"
"$d/h-inject" alloc sg_table ENOMEM || fail "sg_table fault"
for t in t-alloc t-zero t-vgem t-vivid; do
	"$d/$t" || fail "$t on the region heap"
done

# fw_reserved: 2 MiB, 2 MiB aligned, inside a range the firmware's map
# (/sys/firmware/memmap, which memmap= does not change) calls Reserved and
# the kernel shows as a "Reserved" resource: what the helper once accepted.
fw_reserved() {
	for e in /sys/firmware/memmap/*; do
		[ "$(cat "$e/type")" = Reserved ] || continue
		s=$(($(cat "$e/start"))) end=$(($(cat "$e/end")))
		a=$(((s + 0x1fffff) & ~0x1fffff))
		[ $((a + 0x1fffff)) -le "$end" ] || continue
		grep -qi "^ *0*$(printf %x $s)-.* : Reserved" /proc/iomem || continue
		printf '0x%x\n' $a
		return 0
	done
	return 1
}
fwbase=$(fw_reserved) || fail "no 2 MiB-aligned firmware Reserved range in /sys/firmware/memmap"
echo "    the firmware reserved $fwbase+2M, a Reserved resource in /proc/iomem"

daemon_stop
"$d/h-region-claim" claims $base $size $fwbase || { daemon_start; fail "claims"; }
expect_refusal region-ram.conf "0x10000000" "memmap="
printf '[Heap]\nName=memory@%x-contiguous\nKind=region\nBase=%s\nSize=2M\n' \
	$fwbase $fwbase >/tmp/region-fw.conf
out=$(timeout 10 dmaheapd --config /tmp/region-fw.conf </dev/null 2>&1)
rc=$?
echo "$out" | sed 's|^|    region-fw.conf: |'
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "dmaheapd with region-fw.conf: $rc"
echo "$out" | grep -qF "not RAM in the firmware's memory map" ||
	fail "the firmware's reservation not named"

# Claiming fails at each step (fault_inject): the daemon refuses to start,
# nothing stays claimed, and the next claim works. A fresh module, since
# a claimed region stays until unload.
rmmod dmaheap_helper || fail "rmmod with no buffer alive"
insmod /lib/modules/dmaheap_helper.ko || fail "insmod"
param=/sys/module/dmaheap_helper/parameters/fault_inject
for site in region region_bitmap region_resource region_memremap; do
	echo $site >$param
	expect_refusal stock.conf "memory@30000000-contiguous"
	[ -z "$(cat $param)" ] || fail "$site was not reached"
	grep -q "dmaheap-helper region" /proc/iomem && fail "$site left the range claimed"
	echo "    $site: refused, nothing claimed"
done
daemon_start
grep -q "dmaheap-helper region" /proc/iomem || fail "the region is not claimed after all"
