#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The contiguous heap from the CMA area and the caller's memory cgroup
# (docs/memcg.md, "The CMA kind"). With ChargeClients=yes (the default),
# what dma_alloc_pages() serves from ordinary pages, a block of one page or
# one that the full area cannot serve, is charged to the client: past its
# memory.max that is ENOMEM, never an OOM kill, and the charge goes with the
# buffer. Blocks from the area itself are charged to nobody. Where the
# kernel exports cma_alloc() (sid), the helper takes only the area; its
# test parameter cma_dma_api takes the dma_alloc_pages() path of the other
# kernels, so that both are checked on a kernel with a memory controller.
. "$(dirname "$0")/lib.sh"
need_test_hooks
d=$(dirname "$0")
cg=/sys/fs/cgroup
st=/tmp/cma-memcg
kib=1024
mib=1048576
buffers=/sys/kernel/debug/dmaheap-helper/buffers
param=/sys/module/dmaheap_helper/parameters/cma_dma_api
DMAHEAP=/dev/dma_heap/default_cma_region
export DMAHEAP

cleanup() {
	[ -n "${client:-}" ] && kill "$client" 2>/dev/null && wait "$client" 2>/dev/null
	rmdir $cg/t-client 2>/dev/null
	memcg_teardown
	[ -e $param ] && echo 0 >$param
}
trap cleanup EXIT

memcg_setup
cma=$(awk '$1 == "CmaTotal:" { print $2 * 1024 }' /proc/meminfo)
[ "${cma:-0}" -gt 0 ] || fail "no CMA area (CmaTotal $cma)"

current() { cat "$cg/t-client/memory.current"; }
event() { sed -n "s/^$1 //p" "$cg/t-client/memory.events"; }
kib() { echo $(($1 / kib)); }
ooms() { dmesg | grep -ci "out of memory"; }
live0=$(counter live_buffers)

# start_client [-d] SIZE COUNT...: h-memcg-fill in a new t-client from its
# first page, stopped before it allocates; c0 is then its memory.current.
start_client() {
	opt=
	[ "$1" = -d ] && opt=-d && shift
	rm -rf $st
	mkdir $st
	rmdir $cg/t-client 2>/dev/null
	mkdir $cg/t-client || fail "mkdir $cg/t-client"
	sh -c "echo \$\$ >$cg/t-client/cgroup.procs && exec $d/h-memcg-fill $opt $st $*" &
	client=$!
	wait_for test -e $st/started || fail "h-memcg-fill did not start"
	c0=$(current)
}

# step FILE: let the client go on to its next step, which creates FILE;
# its "N ERR" are then in $n and $err. Up to 150 s: thousands of
# allocations under TCG on a shared machine.
step() {
	kill -USR1 "$client" || fail "h-memcg-fill is gone before $1"
	_n=1500
	while ! [ -e $st/"$1" ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || fail "h-memcg-fill did not reach $1 in 150 s"
		[ "$(event oom_kill)" -eq 0 ] ||
			fail "h-memcg-fill was OOM-killed before $1: $(dmesg | grep -i 'killed process' | tail -n 1)"
		sleep 0.1
	done
	read -r n err <$st/"$1"
}

end_client() {
	step freed
	c2=$(current)
	kill -USR1 "$client"
	wait "$client" || fail "h-memcg-fill exited with $?"
	client=
	# Slack: the charge stock (lib.sh) and 128 KiB more.
	[ $((c2 - c0)) -le $((charge_stock + 128 * kib)) ] ||
		fail "memory.current $(kib "$c2") KiB once freed, $(kib "$c0") KiB before"
	wait_for counter_is live_buffers "$live0" || fail "live_buffers $(counter live_buffers), want $live0"
}

# charged_lines: the CMA kind's buffers listed as charged.
charged_lines() { grep -c " dmaheapd-cma .* charged\$" $buffers; }

# 1. One-page buffers: dma_alloc_pages() never takes those from the area.
# memory.max 1 MiB above the client: 512 x 4 KiB (2 MiB) must stop at ENOMEM.
# The client then closes them (-d), or its next charge would OOM-kill it:
# memory.peak shows what they charged.
small_pages_charged() {
	oom0=$(ooms)
	start_client -d 4K 512
	echo $((c0 + mib)) >$cg/t-client/memory.max || fail "set memory.max"
	step step1
	c1=$(cat $cg/t-client/memory.peak)
	echo "$1: memory.max +1 MiB, 4 KiB buffers: $n allocated, then $err; memory.current $(kib "$c0") KiB, peak $(kib "$c1") KiB, memory.events max $(event max)"
	[ "$err" = ENOMEM ] && [ "$n" -lt 512 ] ||
		fail "$n x 4 KiB held ($((n * 4)) KiB) with memory.max 1 MiB above the client: the pages from the page allocator are not charged (want ENOMEM before 512)"
	# memory.peak cannot pass memory.max (c0 + 1 MiB): what the stock
	# held at the start is what lets n x 4 KiB pass 1 MiB.
	[ $((c1 - c0)) -ge $((n * 4 * kib - charge_stock)) ] ||
		fail "memory.peak $(kib $((c1 - c0))) KiB above the start for $n x 4 KiB"
	end_client
	echo "$1: freed, memory.current $(kib "$c2") KiB"
	[ "$(event oom_kill)" -eq 0 ] || fail "oom_kill in memory.events: $(event oom_kill)"
	[ "$(ooms)" -eq "$oom0" ] ||
		fail "the OOM killer ran: $(dmesg | grep -i 'out of memory' | tail -n 1)"
}

# 2. The area full: 8 MiB blocks (never from ordinary pages: beyond the
# page allocator's 4 MiB) until ENOMEM, then 4 MiB ones, which
# dma_alloc_pages() serves from ordinary pages once the area cannot: with
# memory.max 2 MiB above the client, ENOMEM; without a limit, charged.
full_area_charged() {
	oom0=$(ooms)
	n4=$((cma / (4 * mib) + 4))
	start_client 8M 32 4M $n4 4M 2
	echo $((c0 + 2 * mib)) >$cg/t-client/memory.max || fail "set memory.max"
	step step1
	c1=$(current)
	echo "$1: 8 MiB buffers: $n allocated, then $err; memory.current $(kib "$c0") -> $(kib "$c1") KiB"
	[ "$err" = ENOMEM ] && [ "$n" -ge 1 ] || fail "8 MiB buffers: $n, then $err"
	[ $((c1 - c0)) -le $((512 * kib)) ] ||
		fail "blocks from the CMA area charged $(kib $((c1 - c0))) KiB"
	step step2
	c1=$(current)
	echo "$1: area full, memory.max +2 MiB, 4 MiB buffers: $n allocated, then $err; memory.current $(kib "$c1") KiB"
	[ "$err" = ENOMEM ] && [ "$n" -le 2 ] ||
		fail "$n x 4 MiB held past a full CMA area of $((cma / mib)) MiB with memory.max 2 MiB above the client: the blocks from the page allocator are not charged (want ENOMEM)"
	echo max >$cg/t-client/memory.max
	c1=$(current)
	step step3
	c3=$(current)
	listed=$(charged_lines)
	echo "$1: no limit, 2 x 4 MiB past the full area: $n allocated, memory.current +$(kib $((c3 - c1))) KiB, $listed listed as charged"
	[ "$n" -eq 2 ] || fail "2 x 4 MiB without a limit: $n, then $err"
	near $((c3 - c1)) $((8 * mib)) 512 ||
		fail "memory.current grew by $(kib $((c3 - c1))) KiB for 2 x 4 MiB from the page allocator"
	[ "$listed" -eq 2 ] || fail "$listed CMA-kind buffers listed as charged, want the 2 from the page allocator"
	end_client
	echo "$1: freed, memory.current $(kib "$c2") KiB"
	[ "$(event oom_kill)" -eq 0 ] || fail "oom_kill in memory.events: $(event oom_kill)"
	[ "$(ooms)" -eq "$oom0" ] ||
		fail "the OOM killer ran: $(dmesg | grep -i 'out of memory' | tail -n 1)"
}

# 3. Where cma_alloc() is exported: only the area, charged to nobody, so
# memory.max does not stop 512 x 4 KiB.
area_uncharged() {
	start_client 4K 512
	echo $((c0 + mib)) >$cg/t-client/memory.max || fail "set memory.max"
	step step1
	c1=$(current)
	listed=$(charged_lines)
	echo "$1: memory.max +1 MiB, 4 KiB buffers: $n allocated, then $err; memory.current $(kib "$c0") -> $(kib "$c1") KiB, $listed listed as charged"
	[ "$n" -eq 512 ] || fail "512 x 4 KiB from the area: $n, then $err"
	[ $((c1 - c0)) -le $((512 * kib)) ] ||
		fail "blocks from the CMA area charged $(kib $((c1 - c0))) KiB"
	[ "$listed" -eq 0 ] || fail "$listed blocks from the area listed as charged"
	end_client
}

echo "CMA area: $((cma / mib)) MiB"
if [ -e $param ]; then
	echo 0 >$param
	area_uncharged "cma_alloc()"
	echo 1 >$param
fi
small_pages_charged "dma_alloc_pages()"
full_area_charged "dma_alloc_pages()"
"$d/h-contig" contiguity 1M || fail "the heap does not serve afterwards"
echo "the heap serves"
