#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# sd_notify(3) as systemd's Type=notify needs it: READY=1 once the nodes
# exist, STATUS= naming them, STOPPING=1 on SIGTERM; to a socket path and
# to an abstract socket. The systemd boot test (tests/system) checks the
# same with systemd itself.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")

daemon_stop
for sock in /tmp/notify.sock @dmaheapd-test-notify; do
	rm -f /tmp/notify.sock /tmp/notify.out
	"$d/h-notify-listen" $sock "$(heap_node)" >/tmp/notify.out 2>&1 &
	listener=$!
	wait_for grep -q listening /tmp/notify.out || fail "no listener"
	NOTIFY_SOCKET=$sock
	export NOTIFY_SOCKET
	daemon_start
	unset NOTIFY_SOCKET
	daemon_stop
	wait $listener
	rc=$?
	sed 's/^/    /' /tmp/notify.out
	[ $rc -eq 0 ] || { daemon_start; fail "notifications to $sock"; }
done
daemon_start
