#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The daemon refuses to start with a clear message naming the cause and the
# fix: no /dev/cuse, no helper, helper already held, node already there.
. "$(dirname "$0")/lib.sh"

# expect_refusal PATTERN ARG...: dmaheapd ARG... exits non-zero, says PATTERN
expect_refusal() {
	pattern=$1
	shift
	if timeout 20 dmaheapd "$@" >/tmp/startup.out 2>&1; then
		fail "dmaheapd $* started"
	fi
	grep -q "$pattern" /tmp/startup.out ||
		fail "dmaheapd $*: no \"$pattern\" in: $(cat /tmp/startup.out)"
	echo "refused: $(head -n 1 /tmp/startup.out)"
}

expect_refusal "another dmaheapd is running" --heap other
daemon_stop
expect_refusal "modprobe dmaheap_helper" --helper /dev/no-such-helper
expect_refusal "modprobe cuse" --cuse /dev/no-such-cuse
mkdir -p /tmp/fakedev/dma_heap
: >/tmp/fakedev/dma_heap/taken
expect_refusal "already exists" --dev-dir /tmp/fakedev --heap taken
expect_refusal "invalid heap name" --heap a/b
daemon_start
