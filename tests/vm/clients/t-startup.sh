#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The daemon refuses to start with a clear message naming the cause and the
# fix: no /dev/cuse, no helper, helper already held, node already there.
. "$(dirname "$0")/lib.sh"

refused "another dmaheapd is running" -- --heap other
daemon_stop

# The modules really missing, not just a wrong path.
rmmod dmaheap_helper || fail "rmmod dmaheap_helper"
refused "modprobe dmaheap_helper" -- --heap "$(heap_name)"
insmod /lib/modules/dmaheap_helper.ko || fail "insmod dmaheap_helper"
cuse_ko=$(find /lib/modules -name 'cuse.ko*' | head -n 1)
if [ -n "$cuse_ko" ] && rmmod cuse 2>/dev/null; then
	refused "modprobe cuse" -- --heap "$(heap_name)"
	insmod "$cuse_ko" || fail "insmod $cuse_ko"
fi
refused "modprobe dmaheap_helper" -- --helper /dev/no-such-helper --heap "$(heap_name)"
refused "modprobe cuse" -- --cuse /dev/no-such-cuse --heap "$(heap_name)"
mkdir -p /tmp/fakedev/dma_heap
: >/tmp/fakedev/dma_heap/taken
refused "already exists" -- --dev-dir /tmp/fakedev --heap taken
refused "invalid heap name" -- --heap a/b
# A --dev-dir whose paths would be cut (two nodes' could become one).
long=/tmp/$(printf '%0150d' 0)/$(printf '%0150d' 1)
mkdir -p "$long/dma_heap"
refused "--dev-dir: 306 bytes, at most 255" -- --dev-dir "$long" --heap system
rm -rf "/tmp/$(printf '%0150d' 0)"
# A kernel with its own heaps (the reference kernel): with KernelHeaps=keep
# its node is refused (the default, move, takes it over: t-takeover.sh).
if [ "$(heap_name)" != system ] && [ -e /dev/dma_heap/system ]; then
	refused "/dev/dma_heap/system already exists" -- \
		--config "$(dirname "$0")/configs/system-clash.conf"
fi
daemon_start
