#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The udev mark (docs/udev.md): dmaheapd lists its nodes beside its control
# socket; dmaheapd --mark-nodes (the unit's ExecStartPost=) writes "change
# UUID DMAHEAPD=1" to each node's sysfs uevent file and the kernel sends it
# as a synthetic event, after the node's own "add". The kernel refuses a
# malformed line (e.g. "_" in a key) with EINVAL: this is where a real
# kernel says it takes ours. No udev runs in this VM: --mark-nodes does not
# wait for it, and says why. A list naming a device that is not ours any
# more marks nothing. The system test (tests/system) checks what udev
# makes of the mark.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")

daemon_stop
: >/tmp/dmaheapd.log
timeout 60 "$d/h-uevent-listen" "$(heap_name)" >/tmp/uevent.out 2>&1 &
listener=$!
wait_for grep -q listening /tmp/uevent.out || fail "no listener"
daemon_start --debug
list=/run/dmaheapd/nodes
dev=$(cat "/sys/class/cuse/dma_heap!$(heap_name)/dev")
grep -qx "$dev $(heap_name)" $list || fail "$list does not list $dev $(heap_name): $(cat $list)"
dmaheapd --mark-nodes >/tmp/mark.out 2>&1 || fail "dmaheapd --mark-nodes: $(cat /tmp/mark.out)"
wait $listener
rc=$?
sed 's/^/    /' /tmp/uevent.out
sed 's/^/    --mark-nodes: /' /tmp/mark.out
[ $rc -eq 0 ] || fail "no marked change event of $(heap_node) after its add"
grep -q "cannot mark" /tmp/mark.out && fail "dmaheapd --mark-nodes could not mark the node"
grep -q "udev is not running" /tmp/mark.out ||
	fail "no line saying --mark-nodes did not wait for udev"
echo "ok: $(heap_node) listed as $dev and marked for udev after its add"

# A list that names a device by another name: not marked.
cp $list /tmp/nodes.saved
echo "$dev not-$(heap_name)" >$list
dmaheapd --mark-nodes >/tmp/mark.out 2>&1
sed 's/^/    --mark-nodes: /' /tmp/mark.out
grep -q "is not dmaheapd's node dma_heap/not-$(heap_name) any more: not marked" /tmp/mark.out ||
	fail "a device listed under another name was not refused"
cp /tmp/nodes.saved $list
# Stopped, the daemon takes its list away.
daemon_stop
[ ! -e $list ] || fail "$list left after the daemon stopped"
daemon_start
echo "ok: a device listed under another name is not marked; no list once the daemon stopped"
