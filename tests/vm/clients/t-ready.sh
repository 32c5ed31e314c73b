#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Ready buffers (docs/pool.md): with the pool on, the helper keeps one-page
# buffers exported ahead. They are not live until taken, a 4 KiB read-write
# allocation takes one, ready_max and the pool's size bound them, memory pressure
# and a failed refill empty them, and the daemon's end, even by SIGKILL,
# drops them all so that the module unloads.
. "$(dirname "$0")/lib.sh"
need_test_hooks
d=$(dirname "$0")
params=/sys/module/dmaheap_helper/parameters
debugfs=/sys/kernel/debug/dmaheap-helper/buffers

ready_above() { [ "$(counter ready_buffers)" -gt "$1" ]; }
fault_cleared() { [ -z "$(cat $params/fault_inject)" ]; }

pool_on() { [ "$(counter pool_bytes)" -gt 0 ]; }

# No daemon, nothing kept: the pool the last one sized goes with it, and
# no ready buffer is made.
daemon_stop
daemon_with "PoolSize=16M"
wait_for pool_on || fail "the pool is off with PoolSize=16M"
daemon_stop
sleep 0.5
counter_is pool_bytes 0 || fail "$(counter pool_bytes) bytes in the pool with no daemon"
counter_is ready_buffers 0 || fail "$(counter ready_buffers) ready buffers with no daemon"
live=$(counter live_buffers)
listed=$(grep -c . $debugfs)

# With the pool on (the default with ChargeClients=no): ready_max of them,
# neither live nor listed.
daemon_with ""
[ "$(cat $params/ready_max)" -eq 32 ] || fail "ready_max is $(cat $params/ready_max)"
wait_for counter_is ready_buffers 32 || fail "$(counter ready_buffers) ready buffers, not 32"
[ "$(counter live_buffers)" -eq "$live" ] || fail "ready buffers counted live"
[ "$(grep -c . $debugfs)" -eq "$listed" ] || fail "ready buffers listed in debugfs"
# The refill's thread runs at nice 19 (field 19 of its stat).
tid=$(grep -lx dmaheap-ready /proc/[0-9]*/comm | cut -d/ -f3)
[ -n "$tid" ] || fail "no dmaheap-ready thread"
[ "$(cut -d' ' -f19 /proc/$tid/stat)" -eq 19 ] || fail "dmaheap-ready at nice $(cut -d' ' -f19 /proc/$tid/stat)"
dmaheapctl status | grep -qx "ready_buffers *32" ||
	fail "dmaheapctl status: $(dmaheapctl status | grep ready_)"
echo "PoolSize default: 32 ready buffers, not live, not listed; dmaheapctl status shows them; refilled at nice 19"

"$d/h-ready" || fail "h-ready"

# The daemon's ledger got the release events of the buffers it handed out.
ledger_empty() { dmaheapctl status | grep -qx "live_buffers *0"; }

# Taken ones are refilled once half are gone (more than 16 are left after
# each take); dirtied and freed buffers do not come back.
hits=$(counter ready_hits)
"$d/t-zero" || fail "t-zero with ready buffers"
[ "$(counter ready_hits)" -ge $((hits + 32)) ] ||
	fail "t-zero took $(($(counter ready_hits) - hits)) ready buffers, not 32 or more"
wait_for ready_above 16 || fail "not refilled: $(counter ready_buffers)"
wait_for ledger_empty || fail "the daemon still counts live buffers: $(dmaheapctl status | grep live_)"
echo "t-zero: $(($(counter ready_hits) - hits)) ready buffers taken, all zero, more than 16 left; the daemon's ledger back to 0"

echo 0 >$params/ready_max
echo 32 >$params/ready_max
wait_for counter_is ready_buffers 32 || fail "not 32 again"

# The bounds: ready_max, at most 1024, and a sixteenth of the pool (64 MiB).
echo 4 >$params/ready_max
counter_is ready_buffers 4 || fail "$(counter ready_buffers) after ready_max=4"
echo 1025 >$params/ready_max 2>/dev/null && fail "ready_max=1025 accepted"
echo 1024 >$params/ready_max
wait_for counter_is ready_buffers 1024 || fail "$(counter ready_buffers) with ready_max=1024, pool 64 MiB"
pool_set $((1 << 20))
counter_is ready_buffers 16 || fail "$(counter ready_buffers) with PoolSize=1M, not 16"
pool_set 0
counter_is ready_buffers 0 || fail "$(counter ready_buffers) with the pool off"
"$d/t-alloc" >/dev/null || fail "t-alloc with the pool off"
echo 32 >$params/ready_max
pool_set $((16 << 20))
wait_for counter_is ready_buffers 32 || fail "not back to 32: $(counter ready_buffers)"
echo "ready_max 4 and 1024, 1025 refused; PoolSize=1M: 16; pool off: none"

# Memory pressure: the shrinker gives them back (drop_caches asks every
# shrinker for all it has); refills wait a second, then the next take.
echo 2 >/proc/sys/vm/drop_caches
counter_is ready_buffers 0 || fail "$(counter ready_buffers) after drop_caches"
sleep 1.2
"$d/t-alloc" >/dev/null || fail "t-alloc after drop_caches"
wait_for ready_above 16 || fail "not refilled after the shrinker: $(counter ready_buffers)"
echo "shrinker: all given back, refilled after the next allocation"

# A refill that fails stops until the next take kicks it again.
echo 0 >$params/ready_max
echo ready_refill >$params/fault_inject
echo 8 >$params/ready_max
wait_for fault_cleared || fail "ready_refill was not reached"
sleep 0.5
counter_is ready_buffers 0 || fail "$(counter ready_buffers) after a failed refill"
"$d/t-alloc" >/dev/null || fail "t-alloc after a failed refill"
wait_for ready_above 4 || fail "not refilled after the fault: $(counter ready_buffers)"
echo 32 >$params/ready_max
echo "ready_refill fault: none made, refilled after the next allocation"

# The daemon's end drops them, SIGTERM or SIGKILL, and nothing is left to
# keep the module loaded.
wait_for counter_is ready_buffers 32 || fail "not 32 before the daemon stops"
daemon_stop
counter_is ready_buffers 0 || fail "$(counter ready_buffers) left after SIGTERM"
daemon_with ""
wait_for counter_is ready_buffers 32 || fail "not 32 after a restart"
kill -9 "$(pidof dmaheapd)"
wait_for daemon_gone || fail "dmaheapd survived SIGKILL"
wait_for counter_is ready_buffers 0 || fail "$(counter ready_buffers) left after SIGKILL"
[ "$(counter live_buffers)" -eq "$live" ] || fail "live_buffers $(counter live_buffers), not $live"
# (The last file references may be dropped by a deferred fput().)
unload() { rmmod dmaheap_helper 2>/dev/null; }
wait_for unload || fail "rmmod after the daemon was killed with ready buffers: $(rmmod dmaheap_helper 2>&1)"
insmod /lib/modules/dmaheap_helper.ko || fail "insmod"
echo "daemon stopped, then killed: no ready buffer left, rmmod works"
daemon_start
