#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The udev mark (docs/udev.md): once CUSE has created its node, dmaheapd
# writes "change UUID DMAHEAPD=1" to the node's sysfs uevent file and the
# kernel sends it as a synthetic event, after the node's own "add". The
# kernel refuses a malformed line (e.g. "_" in a key) with EINVAL: this is
# where a real kernel says it takes ours. No udev runs in this VM: the
# daemon does not wait for it, and says why in its debug log. The system
# test (tests/system) checks what udev makes of the mark.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")

daemon_stop
: >/tmp/dmaheapd.log
timeout 60 "$d/t-uevent-listen" "$(heap_name)" >/tmp/uevent.out 2>&1 &
listener=$!
wait_for grep -q listening /tmp/uevent.out || fail "no listener"
daemon_start --debug
wait $listener
rc=$?
sed 's/^/    /' /tmp/uevent.out
grep -E 'udev|uevent' /tmp/dmaheapd.log | sed 's/^/    dmaheapd.log: /'
[ $rc -eq 0 ] || fail "no marked change event of $(heap_node) after its add"
if grep -q "cannot mark" /tmp/dmaheapd.log; then
	fail "dmaheapd could not mark its node"
fi
grep -q "udev is not running" /tmp/dmaheapd.log ||
	fail "no debug line saying dmaheapd did not wait for udev"
echo "ok: $(heap_node) marked for udev after its add"
