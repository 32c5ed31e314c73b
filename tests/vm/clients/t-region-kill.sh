#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A client killed while its region buffer is being cleared: the clearing
# stops and the allocation fails (-EINTR), as the CMA kind's does, rather
# than clearing the rest of the range for nobody (docs/ioctl-contract.md).
# First a whole-region buffer is timed (its second allocation: the host maps
# the guest's pages on their first write); then the same allocation is killed
# a quarter of that time in: the allocation must be counted failed, not
# made (before, it was made and its delivery dropped, the killed client
# gone 0.7-0.8 s after the kill of a 1 s allocation, on Debian 12), no
# buffer left, and the whole region allocatable again. On 6.12 the range
# clears in a tenth of that time under TCG: too soon to land a kill in.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
st=/tmp/region-kill
DMAHEAP=/dev/dma_heap/memory@40000000-contiguous
export DMAHEAP
size=512M

cleanup() {
	[ -n "${client:-}" ] && kill -9 "$client" 2>/dev/null && wait "$client" 2>/dev/null
}
trap cleanup EXIT

live0=$(counter live_buffers)

# start: h-memcg-fill stopped before it allocates one $size buffer.
start() {
	rm -rf $st
	mkdir -p $st
	"$d/h-memcg-fill" $st $size 1 </dev/null >/dev/null &
	client=$!
	wait_for test -e $st/started || fail "h-memcg-fill did not start"
}

# whole: one $size buffer allocated, held, freed; its time in $full.
whole() {
	start
	t0=$(now)
	kill -USR1 "$client"
	wait_long 120 test -e $st/step1 || fail "no $size buffer in 120 s"
	t1=$(now)
	[ "$(cat $st/step1)" = "1 0" ] || fail "a $size buffer of the region: $(cat $st/step1)"
	full=$(secs "$t0" "$t1")
	kill -USR1 "$client"
	wait_for test -e $st/freed || fail "h-memcg-fill did not free"
	kill -USR1 "$client"
	wait "$client" || fail "h-memcg-fill exited with $?"
	client=
}

# Twice: the host maps the guest's pages on their first write.
whole
first=$full
whole
echo "a $size buffer of the region: $first s, then $full s"

start
made0=$(counter allocations)
failed0=$(counter alloc_failures)
dropped0=$(counter deliveries_dropped)
kill_at=$(awk -v f="$full" 'BEGIN { printf "%.2f", f / 4 }')
kill -USR1 "$client"
sleep "$kill_at"
[ -e $st/step1 ] && fail "the allocation ended before the kill ($(cat $st/step1))"
kill_client 120
made=$(($(counter allocations) - made0))
failed=$(($(counter alloc_failures) - failed0))
dropped=$(($(counter deliveries_dropped) - dropped0))
echo "killed $kill_at s in: gone $killed_in s after the kill; allocations +$made, alloc_failures +$failed, deliveries_dropped +$dropped"
[ "$made" -eq 0 ] && [ "$failed" -eq 1 ] ||
	fail "the killed client's allocation went on (allocations +$made, alloc_failures +$failed): want it stopped"
wait_for counter_is live_buffers "$live0" || fail "live_buffers $(counter live_buffers), want $live0"

whole
echo "the whole region allocatable again: $full s"
