#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The daemon SIGKILLed: a buffer handed out before stays mapped and
# readable; a client waiting for an answer gets an error, nothing leaks;
# a new daemon serves again.
. "$(dirname "$0")/lib.sh"
dir=$(dirname "$0")

rm -f /tmp/daemon-kill.ready
"$dir/hold-buffer" /tmp/daemon-kill.ready &
holder=$!
wait_for test -e /tmp/daemon-kill.ready || fail "holder did not get a buffer"
held=$(counter live_buffers)

daemon_stop
daemon_start --fault-inject=reply-delay
"$dir/t-daemon-kill" "$(pidof dmaheapd)" || fail "in-flight client"
wait_for daemon_gone || fail "daemon still there"
wait_for node_gone || fail "$(heap_node) still there after the daemon died"
[ "$(counter live_buffers)" = "$held" ] || fail "live_buffers $(counter live_buffers), want $held"

kill -USR1 "$holder"
wait "$holder" || fail "the held buffer was not intact after the daemon died"
wait_for test "$(counter live_buffers)" -eq 0 || fail "held buffer not released"
echo "buffer handed out before the kill: still mapped and intact"

daemon_start
"$dir/t-alloc" >/dev/null || fail "a new daemon does not serve"
echo "new daemon serves"
