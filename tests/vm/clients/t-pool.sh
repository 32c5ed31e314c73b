#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The pool of zeroed pages (docs/pool.md): PoolSize= sizes it, it fills to
# its limit in the background, allocations hit it and still come zeroed
# after dirty buffers were freed, memory pressure empties it, a failed
# refill is retried, and stopping the daemon gives it back.
. "$(dirname "$0")/lib.sh"
need_test_hooks
d=$(dirname "$0")
fault=/sys/module/dmaheap_helper/parameters/fault_inject
mib=1048576

meminfo() { sed -n "s/^$1: *\([0-9]*\) kB$/\1/p" /proc/meminfo; }

# PoolSize= reaches the helper; the pool fills to it: 7/8 in blocks of
# 1 MiB, 1/8 in blocks of 64 KiB.
daemon_stop
daemon_with "PoolSize=16M"
pool_is_set $((16 * mib)) || fail "pool_max is not 16 MiB: $(dmaheapctl status | grep pool_max)"
wait_for counter_is pool_bytes $((16 * mib)) || fail "pool at $(counter pool_bytes), not 16 MiB"
tid=$(grep -lx dmaheap-pool /proc/[0-9]*/comm | cut -d/ -f3)
[ -n "$tid" ] || fail "no dmaheap-pool thread"
[ "$(cut -d' ' -f19 /proc/$tid/stat)" -eq 19 ] || fail "dmaheap-pool at nice $(cut -d' ' -f19 /proc/$tid/stat)"
echo "PoolSize=16M: filled to $(counter pool_bytes) bytes by a thread at nice 19"

# More than half of RAM is refused, and the daemon says so.
daemon_stop
printf '[Daemon]\nChargeClients=no\nPoolSize=1T\n[Heap]\nName=%s\n' "$(heap_name)" >/tmp/pool.conf
out=$(timeout 10 dmaheapd --config /tmp/pool.conf </dev/null 2>&1) &&
	fail "dmaheapd started with PoolSize=1T"
echo "$out" | grep -q "PoolSize=1099511627776 is more than half" ||
	fail "no reason given for PoolSize=1T: $out"
echo "PoolSize=1T: refused, $(echo "$out" | grep -o 'is more than half.*')"
daemon_with "PoolSize=16M"

# Dirty buffers freed, new ones from the pool: still zero. The pool is
# smaller than what t-zero frees, so refills take back dirty pages.
hits=$(counter pool_hits)
"$d/t-zero" || fail "t-zero with the pool on"
[ "$(counter pool_hits)" -gt "$hits" ] || fail "no pool hit"
echo "t-zero: all zero, $(($(counter pool_hits) - hits)) blocks from the pool"
wait_for counter_is pool_bytes $((16 * mib)) || fail "pool not refilled"

# Lowering the limit gives the excess back at once; 0 turns the pool off.
# (Each order holds whole blocks of its share: 8 MiB is 7 + 16 x 64 KiB.)
pool_set $((8 * mib))
counter_is pool_bytes $((8 * mib)) || fail "pool at $(counter pool_bytes) after lowering to 8 MiB"
pool_set 0
counter_is pool_bytes 0 || fail "pool at $(counter pool_bytes) after PoolSize=0"
misses=$(counter pool_misses)
hits=$(counter pool_hits)
"$d/t-alloc" >/dev/null || fail "t-alloc with the pool off"
if [ "$(counter pool_misses)" -ne "$misses" ] ||
	[ "$(counter pool_hits)" -ne "$hits" ]; then
	fail "the pool counted while off"
fi
echo "PoolSize= lowered by a reload: excess given back at once; 0: empty, not counted"

# A refill that fails stops until the next allocation kicks it again.
echo pool_refill >$fault
pool_set $((8 * mib))
fault_cleared() { [ -z "$(cat $fault)" ]; }
wait_for fault_cleared || fail "pool_refill was not reached"
sleep 1
counter_is pool_bytes 0 || fail "pool at $(counter pool_bytes) after a failed refill"
"$d/t-alloc" >/dev/null || fail "t-alloc after a failed refill"
wait_for counter_is pool_bytes $((8 * mib)) || fail "pool not refilled after the fault"
echo "pool_refill fault: the pool stays empty, refilled after the next allocation"

# Memory pressure: fill a tmpfs (no swap) 16 MiB at a time until the
# shrinker has taken pages back, at most 96 MiB beyond what the kernel
# calls available, more than the 64 MiB pool: MemAvailable is an estimate
# (on sid's 7.2 the pool was still whole 34 MiB past it), but that much
# can only come from the pool, without the OOM killer. (Reclaim asks slab
# caches for little while it finds other memory, so the pool gives back
# late, and only what reclaim needs.)
pool_set $((64 * mib))
wait_for counter_is pool_bytes $((64 * mib)) || fail "pool not filled to 64 MiB"
mkdir -p /tmp/pressure
mount -t tmpfs -o size=100% none /tmp/pressure || fail "mount tmpfs"
avail=$(($(meminfo MemAvailable) / 1024))
chunks=$((avail / 16 + 6))
n=0
while [ $n -lt $chunks ] && counter_is pool_bytes $((64 * mib)); do
	dd if=/dev/zero of=/tmp/pressure/f$n bs=1M count=16 2>/dev/null ||
		break
	n=$((n + 1))
done
left=$(counter pool_bytes)
rm -f /tmp/pressure/f*
umount /tmp/pressure
[ "$left" -lt $((64 * mib)) ] ||
	fail "pool still full with $((n * 16)) MiB in tmpfs, $avail MiB were available"
dmesg | grep -q "Out of memory" && fail "the OOM killer ran"
echo "pressure ($((n * 16)) MiB in tmpfs): the pool shrank from 64 MiB to $((left / mib)) MiB"
# Refills wait a second after the shrinker, then the next allocation.
sleep 1.2
"$d/t-alloc" >/dev/null || fail "t-alloc after the pressure"
wait_for counter_is pool_bytes $((64 * mib)) || fail "pool not refilled after the pressure: $(counter pool_bytes)"
echo "pressure gone: refilled to 64 MiB"

# Stopping the daemon frees a full pool: a module without its daemon
# keeps nothing ahead; the module then unloads.
free=$(meminfo MemFree)
daemon_stop
gained=$((($(meminfo MemFree) - free) / 1024))
counter_is pool_bytes 0 || fail "the daemon stopped, the pool still holds $(counter pool_bytes) bytes"
[ "$gained" -ge 60 ] || fail "the daemon stopped with a full pool: only $gained MiB more free"
echo "the daemon stopped with 64 MiB in the pool: $gained MiB more free, pool_bytes 0"
rmmod dmaheap_helper || fail "rmmod"
insmod /lib/modules/dmaheap_helper.ko || fail "insmod"
daemon_start
