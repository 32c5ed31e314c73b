#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# MaxBytesPerProcess= counts a process, not a pid (docs/policy.md): A
# allocates the limit, hands the buffer to a keeper and exits; B, forked
# at A's pid, gets its own full limit and not a page more, while A's
# buffer lives on; dmaheapctl shows two processes with that pid.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
node=/dev/dma_heap/perprocess
log=/tmp/dmaheapd.log

daemon_with_heap perprocess MaxBytesPerProcess=1M
base=$(counter live_buffers)

# Run while the keeper holds A's buffer and B its own: both live, both
# listed under the one pid, as two processes with two start times.
check='dmaheapctl buffers | sed "s/^/    /"
rows=$(dmaheapctl buffers --json | grep -o "\"pid\":$PID,\"start\":[0-9]*,\"comm\":\"h-pidreuse\",\"uid\":0,\"heap\":\"perprocess\",\"buffers\":1,\"bytes\":1048576")
n=$(echo "$rows" | grep -c .)
starts=$(echo "$rows" | grep -o "\"start\":[0-9]*" | sort -u | wc -l)
echo "  dmaheapctl buffers: $n processes with pid $PID, 1M each, $starts start times"
[ "$n" -eq 2 ] && [ "$starts" -eq 2 ]'
"$d/h-pidreuse" $node 1048576 "$check"
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || {
	grep "MaxBytesPerProcess" $log | tail -n 2 | sed 's/^/    dmaheapd.log: /'
	fail "h-pidreuse exited $rc"
}
wait_for counter_is live_buffers "$base" ||
	fail "helper: $(counter live_buffers) live, not $base"
daemon_stop
daemon_start
