#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The helper's UAPI, tested directly with the daemon stopped.
. "$(dirname "$0")/lib.sh"
need_test_hooks

# The counters are root's: they show every user's allocations
# (docs/helper-interface.md).
"$(dirname "$0")/h-runas" 1001 1001 cat /sys/class/misc/dmaheap-helper/live_buffers \
	>/dev/null 2>&1 && fail "user 1001 read the helper's live_buffers"
echo "the helper's counters: root only"

daemon_stop
"$(dirname "$0")/h-helper-uapi"
rc=$?
daemon_start
exit $rc
