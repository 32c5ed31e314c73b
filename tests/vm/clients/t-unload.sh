#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The module cannot be unloaded while a buffer lives, even with the daemon
# gone; a buffer outlives the daemon and stays mapped and readable.
. "$(dirname "$0")/lib.sh"
dir=$(dirname "$0")

# A client holds a mapped buffer with a pattern, reports ready, then waits
# for SIGUSR1 to check the pattern again and exit.
rm -f /tmp/unload.ready
"$dir/h-hold-buffer" /tmp/unload.ready &
holder=$!
wait_for test -e /tmp/unload.ready || fail "holder did not get a buffer"
[ "$(counter live_buffers)" -ge 1 ] || fail "live_buffers is $(counter live_buffers)"

daemon_stop
if rmmod dmaheap_helper 2>/tmp/rmmod.err; then
	fail "rmmod succeeded while a buffer lives"
fi
echo "rmmod with a live buffer refused: $(cat /tmp/rmmod.err)"

kill -USR1 "$holder"
wait "$holder" || fail "the buffer was not readable after the daemon stopped"
wait_for counter_is live_buffers 0 || fail "buffer not released"
rmmod dmaheap_helper || fail "rmmod failed with no buffer left"
echo "rmmod once the buffer was freed: ok"
insmod /lib/modules/dmaheap_helper.ko || fail "insmod again"
daemon_start
echo "helper reloaded, daemon serving again"
