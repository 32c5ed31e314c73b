#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Buffers charged to the caller's memory cgroup (docs/memcg.md; the daemon
# passes DMAHEAP_HELPER_ALLOC_CHARGE): a client's memory.current grows by
# the buffer while it holds it and drops after it is freed, the daemon's
# own cgroup does not move; past
# memory.max the allocation fails with ENOMEM, without the OOM killer and
# without a buffer left; below it, it succeeds.
. "$(dirname "$0")/lib.sh"
need_test_hooks
d=$(dirname "$0")
cg=/sys/fs/cgroup
st=/tmp/memcg
kib=1024
mib=1048576
buffers=/sys/kernel/debug/dmaheap-helper/buffers

daemon=$(pidof dmaheapd) || fail "dmaheapd is not running"
cleanup() {
	[ -n "${client:-}" ] && kill "$client" 2>/dev/null
	echo "$daemon" >$cg/cgroup.procs 2>/dev/null
	rmdir $cg/t-client $cg/t-daemon 2>/dev/null
	memcg_teardown
}
trap cleanup EXIT

memcg_setup
mkdir $cg/t-client $cg/t-daemon || fail "mkdir in $cg"
echo "$daemon" >$cg/t-daemon/cgroup.procs || fail "move dmaheapd to t-daemon"

current() { cat "$cg/$1/memory.current"; }
event() { sed -n "s/^$2 //p" "$cg/$1/memory.events"; }
kib() { echo $(($1 / kib)); }
# Conditions for wait_for, which runs them again: read the counters inside.

# start_client MIB: h-memcg-hold in t-client from its first page, stopped
# before it allocates.
start_client() {
	rm -rf $st
	mkdir $st
	sh -c "echo \$\$ >$cg/t-client/cgroup.procs && exec $d/h-memcg-hold $st $1" &
	client=$!
	wait_for test -e $st/started || fail "h-memcg-hold did not start"
}

# step FILE: let the client go on to its next step, which creates FILE.
step() {
	kill -USR1 "$client" || fail "h-memcg-hold is gone before $1"
	wait_for test -e $st/"$1" || fail "h-memcg-hold did not reach $1"
}

end_client() {
	kill -USR1 "$client"
	wait "$client" || fail "h-memcg-hold exited with $?"
	client=
}

# 1. Charged while held, uncharged when freed; the daemon's cgroup flat.
# What the helper keeps ahead for t-client (t-mpool.sh) is charged to it
# too: memory.current grows by the buffer and that, read when no refill ran
# in between; after the free, once that is given back, it is where it was.
kept() { cat /sys/class/misc/dmaheap-helper/memcg_pool_bytes; }
none_kept() { [ "$(kept)" -eq 0 ]; }
# t-client's memory.current without what is kept for it.
own() {
	while :; do
		_k=$(kept)
		_c=$(current t-client)
		[ "$_k" = "$(kept)" ] && break
		sleep 0.1
	done
	echo $((_c - _k))
}
# What earlier tests' clients left kept is given back first: from here on
# the helper's counter is t-client's.
wait_for none_kept || fail "$(kept) bytes kept before the test"
live0=$(counter live_buffers)
start_client 32
c0=$(current t-client)
d0=$(current t-daemon)
step alloc
[ "$(cat $st/alloc)" = 0 ] || fail "32 MiB in t-client: $(cat $st/alloc)"
while :; do
	k=$(kept)
	c1=$(current t-client)
	[ "$k" = "$(kept)" ] && break
	sleep 0.1
done
d1=$(current t-daemon)
grep -q ' charged$' $buffers || fail "no buffer listed as charged in $buffers"
step freed
wait_for none_kept || fail "$(kept) bytes still kept after the free"
c2=$(current t-client)
end_client
echo "32 MiB held: t-client memory.current $(kib "$c0") -> $(kib "$c1") KiB (+$(kib $((c1 - c0))) KiB, $(kib "$k") KiB of it kept ahead), freed: $(kib "$c2") KiB"
echo "daemon's cgroup: $(kib "$d0") -> $(kib "$d1") KiB"
delta=$((c1 - c0 - k))
near "$delta" $((32 * mib)) 512 ||
	fail "memory.current grew by $((c1 - c0)) bytes for a 32 MiB buffer and $k kept"
[ $((c2 - c0)) -le $((512 * kib)) ] ||
	fail "memory.current $c2 after the free, $c0 before the allocation"
ddelta=$((d1 - d0))
[ "${ddelta#-}" -le "$mib" ] || fail "the daemon's cgroup moved by $ddelta bytes"
wait_for counter_is live_buffers "$live0" || fail "live_buffers $(counter live_buffers), want $live0"

# 2. memory.max 16 MiB above what the client uses: 32 MiB is ENOMEM, the
# client lives, nothing is left charged or live, no OOM kill.
ooms0=$(dmesg | grep -ci "out of memory")
failures0=$(counter alloc_failures)
start_client 32
c0=$(current t-client)
echo $((c0 + 16 * mib)) >$cg/t-client/memory.max || fail "set memory.max"
max0=$(event t-client max)
step alloc
[ "$(cat $st/alloc)" = ENOMEM ] || fail "32 MiB past memory.max: $(cat $st/alloc), want ENOMEM"
kill -0 "$client" || fail "h-memcg-hold died"
wait_for counter_is live_buffers "$live0" ||
	fail "live_buffers $(counter live_buffers) after ENOMEM, want $live0"
c1=$(own)
[ $((c1 - c0)) -le $((512 * kib)) ] || fail "memory.current $c1 after ENOMEM, $c0 before"
[ "$(counter alloc_failures)" -eq $((failures0 + 1)) ] || fail "alloc_failures not counted"
step freed
end_client
[ "$(event t-client oom_kill)" -eq 0 ] || fail "oom_kill in memory.events: $(event t-client oom_kill)"
[ "$(dmesg | grep -ci "out of memory")" -eq "$ooms0" ] ||
	fail "the OOM killer ran: $(dmesg | grep -i 'out of memory' | tail -n 1)"
echo "memory.max +16 MiB: 32 MiB -> ENOMEM, h-memcg-hold alive, memory.current $(kib "$c0") -> $(kib "$c1") KiB, memory.events max $max0 -> $(event t-client max), no OOM kill, live_buffers $live0"

# 3. memory.max 40 MiB above: 32 MiB fits.
start_client 32
c0=$(current t-client)
echo $((c0 + 40 * mib)) >$cg/t-client/memory.max || fail "set memory.max"
step alloc
[ "$(cat $st/alloc)" = 0 ] || fail "32 MiB under memory.max: $(cat $st/alloc)"
c1=$(current t-client)
step freed
end_client
echo "memory.max +40 MiB: 32 MiB allocated, +$(kib $((c1 - c0))) KiB"

# 4. When the VM serves them (vm-heaps): a contiguous buffer is charged,
# a region buffer is not (the range was kept from the kernel at boot).
# check_kind NODE KIND WANT-KIB: 4 MiB from NODE charges about WANT-KIB.
check_kind() {
	DMAHEAP=$1
	export DMAHEAP
	start_client 4
	c0=$(own)
	step alloc
	[ "$(cat $st/alloc)" = 0 ] || fail "4 MiB from $1: $(cat $st/alloc)"
	c1=$(own)
	listed=$(grep -c " $2 .* charged\$" $buffers)
	step freed
	end_client
	unset DMAHEAP
	delta=$(((c1 - c0) / kib))
	echo "4 MiB from $1 ($2): memory.current +$delta KiB, $listed listed as charged"
	[ "$delta" -ge $(($3 - 256)) ] && [ "$delta" -le $(($3 + 512)) ] ||
		fail "$2: +$delta KiB, want about $3"
	[ "$listed" -eq $(($3 ? 1 : 0)) ] || fail "$2: $listed listed as charged"
}
if [ -e /dev/dma_heap/system-contiguous ]; then
	check_kind /dev/dma_heap/system-contiguous dmaheapd-contiguous 4096
fi
for h in /dev/dma_heap/memory@*-contiguous; do
	[ -e "$h" ] && check_kind "$h" dmaheapd-region 0
done

[ "$(pidof dmaheapd)" = "$daemon" ] || fail "the daemon did not survive"
"$d/t-alloc" >/dev/null || fail "the daemon does not serve afterwards"
echo "the same daemon serves"
