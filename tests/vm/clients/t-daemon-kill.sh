#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The daemon SIGKILLed: a buffer handed out before stays mapped and
# readable; a client waiting for an answer gets an error, nothing leaks;
# a new daemon serves again. Then again under load.
. "$(dirname "$0")/lib.sh"
dir=$(dirname "$0")

rm -f /tmp/daemon-kill.ready
"$dir/h-hold-buffer" /tmp/daemon-kill.ready &
holder=$!
wait_for test -e /tmp/daemon-kill.ready || fail "holder did not get a buffer"
held=$(counter live_buffers)

daemon_stop
daemon_start --fault-inject=reply-delay
"$dir/h-daemon-kill" "$(pidof dmaheapd)" || fail "in-flight client"
wait_for daemon_gone || fail "daemon still there"
wait_for node_gone || fail "$(heap_node) still there after the daemon died"
[ "$(counter live_buffers)" = "$held" ] || fail "live_buffers $(counter live_buffers), want $held"

kill -USR1 "$holder"
wait "$holder" || fail "the held buffer was not intact after the daemon died"
wait_for counter_is live_buffers 0 || fail "held buffer not released"
echo "buffer handed out before the kill: still mapped and intact"

daemon_start
"$dir/t-alloc" >/dev/null || fail "a new daemon does not serve"
echo "new daemon serves"

# Under load: 4 clients allocating in a loop, each with a buffer kept.
pids=""
for i in 1 2 3 4; do
	rm -f /tmp/load.$i
	"$dir/h-load" /tmp/load.$i >/tmp/load.$i.out 2>&1 &
	pids="$pids $!"
done
for i in 1 2 3 4; do
	wait_for test -e /tmp/load.$i || fail "load client $i did not start"
done
kill -KILL "$(pidof dmaheapd)"
for pid in $pids; do
	wait "$pid" || { cat /tmp/load.*.out; fail "a load client failed or hung"; }
done
sed 's/^/    /' /tmp/load.1.out
wait_for counter_is live_buffers 0 ||
	fail "live_buffers $(counter live_buffers) after the load clients exited"
echo "daemon killed under 4 clients' load: each got an error, kept buffers intact and importable, none leaked"
daemon_start
"$dir/t-alloc" >/dev/null || fail "a new daemon does not serve"
