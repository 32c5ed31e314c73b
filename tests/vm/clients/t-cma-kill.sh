#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A client killed while its contiguous buffer is being taken from the CMA
# area: the migration of what the area holds stops (docs/heap-kinds.md).
# The kernel stops it for a fatal signal of the thread that allocates,
# which the helper runs in a kernel thread of its own for that reason and
# kills with the caller; the daemon's own thread, which it would be
# otherwise, never sees the caller's kill. h-cma-hog fills the area with
# pages each shared by 48 processes, which move slowly; the client is
# killed once /proc/vmstat shows them moving. Then the area's allocation
# must have failed (cma_alloc_fail), not succeeded, and few pages moved
# after the kill. Where cma_alloc() is exported (sid), both paths, as in
# t-cma-memcg.sh.
. "$(dirname "$0")/lib.sh"
need_test_hooks
d=$(dirname "$0")
st=/tmp/cma-kill
sharers=48
param=/sys/module/dmaheap_helper/parameters/cma_dma_api
DMAHEAP=/dev/dma_heap/default_cma_region
export DMAHEAP

cleanup() {
	[ -n "${client:-}" ] && kill -9 "$client" 2>/dev/null && wait "$client" 2>/dev/null
	[ -n "${hog:-}" ] && kill "$hog" 2>/dev/null && wait "$hog" 2>/dev/null
	[ -e $param ] && echo 0 >$param
}
trap cleanup EXIT

cma=$(awk '$1 == "CmaTotal:" { print int($2 / 1024) }' /proc/meminfo)
[ "${cma:-0}" -gt 0 ] || fail "no CMA area (CmaTotal $cma)"
# Most of the area, and more than the page allocator's 4 MiB: never served
# from ordinary pages.
size=$((cma - 16))M
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
live0=$(counter live_buffers)
migrated() { [ "$(vmstat pgmigrate_success)" -ge $((mig0 + 256)) ]; }
moving_or_done() { migrated || [ -e $st/c/step1 ]; }

kill_during_migration() {
	rm -rf $st
	mkdir -p $st/c
	"$d/h-cma-hog" $st $sharers &
	hog=$!
	wait_long 300 test -e $st/ready || fail "h-cma-hog not ready in 300 s"
	read -r chunks cmafree <$st/ready
	echo "$1: h-cma-hog touched $chunks MiB until CmaFree was $cmafree KiB, unmapped every other MiB, $sharers children share the rest"
	# Background migration (compaction) settled: the count moves for us.
	n=0
	while :; do
		mig0=$(vmstat pgmigrate_success)
		sleep 1
		[ "$(vmstat pgmigrate_success)" -eq "$mig0" ] && break
		n=$((n + 1))
		[ "$n" -lt 30 ] || fail "pages kept migrating for 30 s before the test"
	done
	ok0=$(vmstat cma_alloc_success)
	fail0=$(vmstat cma_alloc_fail)

	"$d/h-memcg-fill" $st/c $size 1 &
	client=$!
	wait_for test -e $st/c/started || fail "h-memcg-fill did not start"
	t0=$(now)
	kill -USR1 "$client"
	wait_long 300 moving_or_done || fail "no page migrated in 300 s for $size"
	[ -e $st/c/step1 ] &&
		fail "the $size allocation ended ($(cat $st/c/step1)) before the test saw pages move: too few to move for a kill to land"
	mig1=$(vmstat pgmigrate_success)
	t1=$(now)
	kill_client 300
	mig2=$(vmstat pgmigrate_success)
	ok=$(($(vmstat cma_alloc_success) - ok0))
	failed=$(($(vmstat cma_alloc_fail) - fail0))
	echo "$1: $size: killed $(secs "$t0" "$t1") s in, $((mig1 - mig0)) pages moved; gone $killed_in s after the kill, $((mig2 - mig1)) pages moved since; cma_alloc_success +$ok, cma_alloc_fail +$failed"
	[ "$ok" -eq 0 ] && [ "$failed" -eq 1 ] ||
		fail "the CMA allocation of a killed client went on to the end (cma_alloc_success +$ok, cma_alloc_fail +$failed): want it stopped"
	wait_for counter_is live_buffers "$live0" || fail "live_buffers $(counter live_buffers), want $live0"
	kill "$hog"
	wait "$hog"
	hog=
}

if [ -e $param ]; then
	echo 0 >$param
	kill_during_migration "cma_alloc()"
	echo 1 >$param
fi
kill_during_migration "dma_alloc_pages()"
"$d/h-contig" contiguity 1M || fail "the heap does not serve afterwards"
echo "the heap serves"
