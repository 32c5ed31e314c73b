#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# LegacyNode=yes on the reference kernel: with the kernel's own "reserved"
# node moved out of the way, dmaheapd serves /dev/dma_heap/reserved (the
# default CMA area's name) beside its heap, and buffers from it are ours
# (listed by the helper) and contiguous. The kernel's node is put back.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
node=/dev/dma_heap/reserved

[ -c $node ] || fail "the kernel's $node is missing"
kdev=$(stat -c '%t %T' $node)
daemon_stop
rm $node
dmaheapd --config "$d/configs/legacy.conf" </dev/null >>/tmp/dmaheapd.log 2>&1 &
pid=$!
restore() {
	kill "$pid" 2>/dev/null
	wait_for daemon_gone
	[ -e $node ] || mknod $node c $((0x${kdev% *})) $((0x${kdev#* }))
	daemon_start
}
node_ours() { [ -c $node ] && [ "$(stat -c '%t %T' $node)" != "$kdev" ]; }
wait_for node_ours || { restore; fail "dmaheapd did not serve $node"; }
echo "$node: device $(stat -c '%t:%T' $node), the kernel's was ${kdev% *}:${kdev#* }"
for n in reserved camera-contiguous; do
	DMAHEAP=/dev/dma_heap/$n "$d/h-contig" contiguity 16M ||
		{ restore; fail "allocation from $n"; }
done
restore
[ "$(stat -c '%t %T' $node)" = "$kdev" ] || fail "the kernel's node is not back"
