#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The pools kept per memory cgroup for charged clients (docs/pool.md,
# "Charged clients"), with the daemon as the VM started it: the default
# ChargeClients=yes and PoolSize=. Each client runs in a cgroup of its own
# from its first page, the daemon in another.
#  1. What is kept for a client is charged to its cgroup: its
#     memory.current grows by its buffer and its pool, nobody else's does,
#     the daemon's stays flat; dmaheapctl status --json lists the pool under
#     the cgroup's path; once the client stops allocating, the pool goes.
#     At 4 KiB, ready buffers: charged to it too, taken by its next ones.
#  2. Two clients in two cgroups: each cgroup is charged its own buffers and
#     pool only; both read zeroes in every buffer they get (t-zero).
#  3. Just under memory.max, a client is not refused because of what is
#     kept for it; past it, ENOMEM without an OOM kill.
#  4. The cgroup's own reclaim reaches its pool: memory.max lowered below
#     what it holds and has kept is met by giving the pool back, without
#     an OOM kill.
#  5. With the test hooks: the pool's struct failing to allocate fails
#     nothing; a refill failing leaves the pool empty a second, then it
#     fills; every order failing once drops the pool and tries again,
#     counting the block asked for once; pages the reaper has taken out
#     of the pool and not freed yet (mpool_give_back) are waited for by
#     an allocation that fails without them, not refused for.
#  5b. Under one cgroup's sustained demand, another's idle pool and a
#     removed cgroup's pool still go within seconds.
#  6. A removed cgroup's pool goes, and its parent's reclaim reaches it
#     meanwhile; drop_caches empties every pool; the
#     daemon SIGKILLed leaves none, counters back to 0, and the module
#     unloads.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
cg=/sys/fs/cgroup
kib=1024
mib=1048576

[ -e /sys/class/misc/dmaheap-helper/memcg_pools ] ||
	fail "the helper has no memcg_pools counter"
daemon=$(pidof dmaheapd) || fail "dmaheapd is not running"
live0=$(counter live_buffers)
cleanup() {
	for p in ${ca:-} ${cb:-}; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	pid=$(pidof dmaheapd) && echo "$pid" >$cg/cgroup.procs 2>/dev/null
	rmdir $cg/t-a $cg/t-b $cg/t-c $cg/t-d $cg/t-p/t-c $cg/t-p 2>/dev/null
	memcg_teardown
}
trap cleanup EXIT

memcg_setup
mkdir $cg/t-a $cg/t-b $cg/t-d || fail "mkdir in $cg"
echo "$daemon" >$cg/t-d/cgroup.procs || fail "move dmaheapd to t-d"

current() { cat "$cg/$1/memory.current"; }
event() { sed -n "s/^$2 //p" "$cg/$1/memory.events"; }
kib() { echo $(($1 / kib)); }
ooms() { dmesg | grep -ci "out of memory"; }
pool_of() {
	dmaheapctl status --json | tr '{' '\n' |
		sed -n "s|.*\"cgroup\":\"/$1\".*\"bytes\":\([0-9]*\).*|\1|p"
}
none_kept() {
	[ "$(counter memcg_pools)" -eq 0 ] && [ "$(counter memcg_pool_bytes)" -eq 0 ]
}

# settle CG: $kept (what dmaheapctl status lists as kept for CG) and $cur
# (CG's memory.current) read while no refill ran in between.
settle() {
	n=50
	while :; do
		_k1=$(pool_of "$1")
		cur=$(current "$1")
		kept=$(pool_of "$1")
		[ -n "$kept" ] && [ "$_k1" = "$kept" ] && break
		n=$((n - 1))
		[ "$n" -gt 0 ] || fail "what is kept for $1 does not settle: ${kept:-no pool}"
		sleep 0.1
	done
}
# What earlier tests' clients left kept is given back first: from here on
# the counters are this test's.
wait_for none_kept || fail "$(counter memcg_pool_bytes) bytes kept before the test"

# 1. Charged where it should be.
fill_start t-a /tmp/mpool-a 8M 1
ca=$pid
a0=$(current t-a) b0=$(current t-b) d0=$(current t-d)
fill_step "$ca" /tmp/mpool-a step1
[ "$(cat /tmp/mpool-a/step1)" = "1 0" ] || fail "8 MiB in t-a: $(cat /tmp/mpool-a/step1)"
wait_for some_kept || fail "nothing kept for t-a after 8 MiB"
settle t-a
total=$(counter memcg_pool_bytes)
b1=$(current t-b) d1=$(current t-d)
echo "8 MiB held in t-a: kept for it $(kib "$kept") KiB (dmaheapctl status --json, /t-a; all pools $(kib "$total") KiB), memory.current $(kib "$a0") -> $(kib "$cur") KiB (+$(kib $((cur - a0))) KiB); t-b +$(kib $((b1 - b0))) KiB; the daemon's +$(kib $((d1 - d0))) KiB"
[ "$kept" -ge "$mib" ] || fail "only $kept bytes kept for t-a"
near $((cur - a0)) $((8 * mib + kept)) ||
	fail "t-a grew by $((cur - a0)) bytes for 8 MiB and $kept kept"
near $((b1 - b0)) 0 256 || fail "t-b moved by $((b1 - b0)) bytes"
near $((d1 - d0)) 0 1024 || fail "the daemon's cgroup moved by $((d1 - d0)) bytes"
[ "$total" -le "$kept" ] || fail "$total bytes kept in all, $kept of them for t-a, the only cgroup that allocated"
t0=$(date +%s)
wait_for none_kept || fail "t-a's pool not given back: $(counter memcg_pool_bytes) bytes"
cur=$(current t-a)
echo "t-a idle: pool given back within $(($(date +%s) - t0)) s, memory.current $(kib "$cur") KiB"
near $((cur - a0)) $((8 * mib)) || fail "t-a at +$((cur - a0)) bytes with 8 MiB held"
fill_finish "$ca" /tmp/mpool-a
ca=

# 1b. 4 KiB: ready buffers, exported ahead with their page charged to the
# cgroup, as many as it asked for in the last second up to ready_max (32).
# Small charges reach memory.current in batches of 64 pages a CPU (the
# kernel's per-CPU charge stock): 512 buffers, and that much slack.
fill_start t-a /tmp/mpool-a 4K 512 4K 512
ca=$pid
a0=$(current t-a)
hits0=$(counter ready_hits)
fill_step "$ca" /tmp/mpool-a step1
[ "$(cat /tmp/mpool-a/step1)" = "512 0" ] || fail "512 x 4 KiB in t-a: $(cat /tmp/mpool-a/step1)"
kept_some() { k=$(pool_of t-a); [ "${k:-0}" -ge $((16 * 4096)) ]; }
wait_for kept_some || fail "no ready buffers kept for t-a: $(pool_of t-a)"
settle t-a
echo "512 x 4 KiB held in t-a: kept for it $(kib "$kept") KiB, memory.current +$(kib $((cur - a0))) KiB"
near $((cur - a0)) $((2 * mib)) $(((kept + charge_stock) / kib)) ||
	fail "t-a grew by $((cur - a0)) bytes for 512 x 4 KiB and $kept kept"
fill_step "$ca" /tmp/mpool-a step2
[ "$(cat /tmp/mpool-a/step2)" = "512 0" ] || fail "512 more x 4 KiB in t-a: $(cat /tmp/mpool-a/step2)"
hits=$(($(counter ready_hits) - hits0))
echo "1024 x 4 KiB in all: $hits of them taken ready"
[ "$hits" -ge 256 ] || fail "only $hits of 1024 x 4 KiB taken ready"
# ready_max lowered: what is kept above it goes at once, as from the
# uncharged pool (t-ready.sh), not at the reaper's next window.
wait_for kept_some || fail "no ready buffers kept for t-a after 1024 x 4 KiB"
echo 4 >/sys/module/dmaheap_helper/parameters/ready_max
k=$(pool_of t-a)
echo 32 >/sys/module/dmaheap_helper/parameters/ready_max
echo "ready_max 32 -> 4: $(kib "${k:-0}") KiB kept for t-a right after"
[ "${k:-0}" -le $((4 * 4096)) ] ||
	fail "ready_max 4: $k bytes still kept for t-a right after"
fill_finish "$ca" /tmp/mpool-a
ca=
wait_for none_kept || fail "t-a's ready buffers not given back: $(counter memcg_pool_bytes) bytes"

# 1c. At most a quarter of PoolSize= (16 MiB by default) of blocks a
# cgroup, also while its demand moves from 64 KiB blocks to 1 MiB ones:
# 256 x 64 KiB held (16 MiB of 64 KiB blocks wanted), then 16 x 1 MiB.
# The 1 MiB blocks take the quarter at once, not at the reaper's next
# window, up to a second later: 16 x 1 MiB more, 0.2 s after, are taken
# from the pool (0 of 16 without the refill's trim: Debian 12 and 13).
fill_start t-a /tmp/mpool-a 64K 256 1M 16 1M 16
ca=$pid
fill_step "$ca" /tmp/mpool-a step1
wait_for some_kept || fail "nothing kept for 64 KiB buffers"
peak=0
fill_step "$ca" /tmp/mpool-a step2
hits2=$(counter memcg_pool_hits)
sleep 0.2
fill_step "$ca" /tmp/mpool-a step3
hits3=$(($(counter memcg_pool_hits) - hits2))
echo "64 KiB then 1 MiB buffers in t-a: $hits3 of 16 x 1 MiB taken from the pool 0.2 s after the first 16"
[ "$hits3" -ge 8 ] || fail "only $hits3 of 16 x 1 MiB taken from the pool: the 64 KiB blocks kept the quarter"
for i in $(seq 30); do
	k=$(counter memcg_pool_bytes)
	[ "$k" -gt "$peak" ] && peak=$k
	sleep 0.1
done
echo "64 KiB then 1 MiB buffers in t-a: at most $(kib "$peak") KiB kept in the 3 s after"
[ "$peak" -le $((16 * mib + 32 * 4096)) ] || fail "$peak bytes kept for one cgroup, over 16 MiB"
fill_finish "$ca" /tmp/mpool-a
ca=
wait_for none_kept || fail "t-a's pool not given back: $(counter memcg_pool_bytes) bytes"

# 2. Two cgroups: each its own. t-zero in each (dirty, free, allocate
# again, every byte 0), then each holds a buffer while the other's pool is
# there.
sh -c "echo \$\$ >$cg/t-a/cgroup.procs && exec $d/t-zero" >/tmp/mpool-za 2>&1 &
za=$!
sh -c "echo \$\$ >$cg/t-b/cgroup.procs && exec $d/t-zero" >/tmp/mpool-zb 2>&1 &
zb=$!
wait "$za" || fail "t-zero in t-a: $(cat /tmp/mpool-za)"
wait "$zb" || fail "t-zero in t-b: $(cat /tmp/mpool-zb)"
echo "t-zero in t-a and t-b at once: every byte 0 ($(counter memcg_pool_hits) blocks taken from the pools so far)"
wait_for none_kept || fail "pools not given back after t-zero"
fill_start t-a /tmp/mpool-a 8M 1
ca=$pid
fill_start t-b /tmp/mpool-b 4M 1
cb=$pid
a0=$(current t-a) b0=$(current t-b)
fill_step "$ca" /tmp/mpool-a step1
fill_step "$cb" /tmp/mpool-b step1
wait_for some_kept || fail "nothing kept"
n=50
while :; do
	k1=$(counter memcg_pool_bytes)
	ka=$(pool_of t-a) kb=$(pool_of t-b)
	a1=$(current t-a) b1=$(current t-b)
	[ "$k1" = "$(counter memcg_pool_bytes)" ] && [ "$k1" = $((${ka:-0} + ${kb:-0})) ] && break
	n=$((n - 1))
	[ "$n" -gt 0 ] || fail "pools do not settle: $k1 bytes, t-a ${ka:-none}, t-b ${kb:-none}"
	sleep 0.1
done
echo "8 MiB in t-a, 4 MiB in t-b: kept $(kib "$ka") / $(kib "$kb") KiB, memory.current +$(kib $((a1 - a0))) / +$(kib $((b1 - b0))) KiB"
near $((a1 - a0)) $((8 * mib + ka)) || fail "t-a +$((a1 - a0)) bytes, want 8 MiB + $ka"
near $((b1 - b0)) $((4 * mib + kb)) || fail "t-b +$((b1 - b0)) bytes, want 4 MiB + $kb"
fill_finish "$ca" /tmp/mpool-a
fill_finish "$cb" /tmp/mpool-b
ca= cb=
wait_for none_kept || fail "pools not given back"

# 3. memory.max 20 MiB above t-a's use: 8 MiB held, its pool takes at most
# half of the room left; then 960 KiB buffers (order 4: none from the
# 1 MiB blocks kept) until ENOMEM get about all of the rest: the pool is
# given back rather than fail them.
ooms0=$(ooms)
fill_start t-a /tmp/mpool-a -d 8M 1 960K 40
ca=$pid
a0=$(current t-a)
echo $((a0 + 20 * mib)) >$cg/t-a/memory.max || fail "set memory.max"
max0=$(event t-a max)
fill_step "$ca" /tmp/mpool-a step1
[ "$(cat /tmp/mpool-a/step1)" = "1 0" ] || fail "8 MiB under memory.max: $(cat /tmp/mpool-a/step1)"
wait_for some_kept || fail "nothing kept for t-a under its memory.max"
sleep 1
settle t-a
echo "memory.max +20 MiB, 8 MiB held: kept $(kib "$kept") KiB, $(kib $((a0 + 20 * mib - cur))) KiB left below memory.max"
[ "$kept" -le $((a0 + 20 * mib - cur)) ] ||
	fail "$kept bytes kept with $((a0 + 20 * mib - cur)) left below memory.max"
fill_step "$ca" /tmp/mpool-a step2
set -- $(cat /tmp/mpool-a/step2)
echo "then 960 KiB buffers: $1 before $2 (memory.events max $max0 -> $(event t-a max), oom_kill $(event t-a oom_kill))"
[ "$2" = ENOMEM ] || fail "960 KiB x 40 past memory.max: $*"
# 12 MiB were left: 12 buffers fit, 11 with the daemon's own slack.
[ "$1" -ge 11 ] || fail "only $1 x 960 KiB under memory.max with 12 MiB left: refused because of the pool"
fill_finish "$ca" /tmp/mpool-a
ca=
echo max >$cg/t-a/memory.max
[ "$(event t-a oom_kill)" -eq 0 ] || fail "oom_kill in t-a's memory.events"
[ "$(ooms)" -eq "$ooms0" ] || fail "the OOM killer ran: $(dmesg | grep -i 'out of memory' | tail -n 1)"
wait_for counter_is live_buffers "$live0" || fail "live_buffers $(counter live_buffers), want $live0"

# 4. memory.max lowered to 1 MiB above what t-a holds: the cgroup's reclaim
# asks the helper's shrinker (memory-cgroup aware) for its pool. Without
# it, nothing reclaimable is left and the kernel OOM-kills the client.
ooms0=$(ooms)
fill_start t-a /tmp/mpool-a 8M 1
ca=$pid
fill_step "$ca" /tmp/mpool-a step1
wait_for some_kept || fail "nothing kept for t-a"
settle t-a
echo $((cur - kept + mib)) >$cg/t-a/memory.max || fail "lower memory.max"
c1=$(current t-a)
k1=$(pool_of t-a)
echo "memory.max lowered to 1 MiB above what t-a holds: kept $(kib "$kept") -> $(kib "${k1:-0}") KiB, memory.current $(kib "$cur") -> $(kib "$c1") KiB, oom_kill $(event t-a oom_kill)"
kill -0 "$ca" || fail "h-memcg-fill was killed"
[ "$(event t-a oom_kill)" -eq 0 ] || fail "oom_kill in t-a's memory.events"
[ "$(ooms)" -eq "$ooms0" ] || fail "the OOM killer ran: $(dmesg | grep -i 'out of memory' | tail -n 1)"
[ "$c1" -le $((cur - kept + mib)) ] || fail "memory.current $c1 above memory.max"
fill_finish "$ca" /tmp/mpool-a
ca=
echo max >$cg/t-a/memory.max

# 5. Faults (test hooks only): mpool, mpool_refill.
fault=/sys/module/dmaheap_helper/parameters/fault_inject
fault_cleared() { [ -z "$(cat $fault)" ]; }
if [ -e $fault ]; then
	wait_for none_kept || fail "pools not given back before the faults"
	echo mpool >$fault
	fill_start t-a /tmp/mpool-a 8M 1
	ca=$pid
	fill_step "$ca" /tmp/mpool-a step1
	[ "$(cat /tmp/mpool-a/step1)" = "1 0" ] || fail "8 MiB with the mpool fault: $(cat /tmp/mpool-a/step1)"
	fault_cleared || fail "mpool was not reached"
	fill_finish "$ca" /tmp/mpool-a
	wait_for none_kept || fail "pools not given back after the mpool fault"
	echo mpool_refill >$fault
	fill_start t-a /tmp/mpool-a 8M 1
	ca=$pid
	fill_step "$ca" /tmp/mpool-a step1
	wait_for fault_cleared || fail "mpool_refill was not reached"
	k=$(counter memcg_pool_bytes)
	wait_for some_kept || fail "the pool never filled after a failed refill"
	fill_finish "$ca" /tmp/mpool-a
	ca=
	echo "mpool fault: 8 MiB allocated all the same; mpool_refill fault: kept $(kib "$k") KiB right after it, $(kib "$(counter memcg_pool_bytes)") KiB later"

	# Every order failing once, as at memory.max (pages_pass): t-a's
	# pool, 1 MiB blocks only, is given back, the orders tried again,
	# and the 64 KiB block asked of the pool once is counted once: one
	# miss, not one per pass.
	wait_for none_kept || fail "pools not given back before pages_pass"
	fill_start t-a /tmp/mpool-a 8M 1 64K 1
	ca=$pid
	fill_step "$ca" /tmp/mpool-a step1
	wait_for some_kept || fail "nothing kept for t-a before pages_pass"
	h0=$(counter memcg_pool_hits)
	m0=$(counter memcg_pool_misses)
	echo pages_pass >$fault
	fill_step "$ca" /tmp/mpool-a step2
	h1=$(counter memcg_pool_hits)
	m1=$(counter memcg_pool_misses)
	fault_cleared || fail "pages_pass was not reached"
	[ "$(cat /tmp/mpool-a/step2)" = "1 0" ] || fail "64 KiB after pages_pass: $(cat /tmp/mpool-a/step2)"
	echo "pages_pass: 64 KiB allocated after the pool's drop; memcg_pool_hits +$((h1 - h0)), memcg_pool_misses +$((m1 - m0))"
	[ "$h1" -eq "$h0" ] || fail "a 64 KiB block came from t-a's pool: it kept some before"
	[ $((m1 - m0)) -eq 1 ] || fail "one 64 KiB block counted as $((m1 - m0)) misses"
	fill_finish "$ca" /tmp/mpool-a
	ca=

	# Pages taken out of t-a's pool by another thread, not freed yet,
	# are still charged to t-a. memory.max set 512 KiB above what t-a
	# uses: the reaper (each second) takes the whole pool out, and
	# mpool_give_back holds the pages until t-a's next allocation has
	# failed a pass. That allocation must wait for them rather than get
	# ENOMEM: then 1 MiB buffers get about what the pool held. When the
	# reaper ran between memory.max and the fault armed, again.
	wait_for none_kept || fail "pools not given back before mpool_give_back"
	tries=3
	while :; do
		fill_start t-a /tmp/mpool-a -d 8M 1 1M 32
		ca=$pid
		fill_step "$ca" /tmp/mpool-a step1
		wait_for some_kept || fail "nothing kept for t-a before mpool_give_back"
		settle t-a
		echo $((cur + 512 * kib)) >$cg/t-a/memory.max || fail "set memory.max"
		echo mpool_give_back >$fault
		wait_for fault_cleared && break
		echo >$fault
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || fail "mpool_give_back was not reached, three times"
		fill_finish "$ca" /tmp/mpool-a
		ca=
		echo max >$cg/t-a/memory.max
		wait_for none_kept || fail "t-a's pool not given back"
	done
	k1=$(pool_of t-a) c1=$(current t-a)
	echo "mpool_give_back: $(kib "$kept") KiB kept for t-a taken out of its pool ($(kib "${k1:-0}") KiB left in it), memory.current $(kib "$cur") -> $(kib "$c1") KiB: not freed yet"
	[ "${k1:-0}" -lt "$mib" ] || fail "$k1 bytes still in t-a's pool once taken out"
	[ "$kept" -ge $((2 * mib)) ] || fail "only $kept bytes kept for t-a"
	fill_step "$ca" /tmp/mpool-a step2
	set -- $(cat /tmp/mpool-a/step2)
	echo "mpool_give_back: then 1 MiB buffers with 512 KiB left below memory.max: $1 before $2"
	[ "$1" -ge $((kept / mib - 1)) ] ||
		fail "only $1 x 1 MiB with $(kib "$kept") KiB being given back: refused because of the pool"
	fill_finish "$ca" /tmp/mpool-a
	ca=
	echo max >$cg/t-a/memory.max
fi

# 5b. The reaper runs under sustained demand: two clients in t-a allocate
# and close 1 MiB buffers back to back for 20 s, faster than the refill
# clears them (memcg_pool_misses grows), so it always has a pool to fill.
# Meanwhile t-b's pool, kept after one 8 MiB buffer and still there as
# the stream begins, goes once t-b is idle, and t-c's goes with t-c, as
# without the stream (the refill and the reaper share one thread).
kept_mib() { k=$(pool_of "$1"); [ "${k:-0}" -ge "$mib" ]; }
# pool_after CG: one 8 MiB buffer in CG, held until a pool is kept for it.
pool_after() {
	fill_start "$1" "/tmp/mpool-$1" 8M 1
	cb=$pid
	fill_step "$cb" "/tmp/mpool-$1" step1
	wait_for kept_mib "$1" || fail "nothing kept for $1 after 8 MiB"
	fill_finish "$cb" "/tmp/mpool-$1"
	cb=
}
mkdir $cg/t-c || fail "mkdir t-c"
pool_after t-c
pool_after t-b
rm -f /tmp/mpool-s1 /tmp/mpool-s2
misses0=$(counter memcg_pool_misses)
for i in 1 2; do
	sh -c "echo \$\$ >$cg/t-a/cgroup.procs && exec $d/h-stream 1M 20 /tmp/mpool-s$i" &
	eval s$i=\$!
done
ca="$s1 $s2"
sleep 0.5
rmdir $cg/t-c || fail "rmdir t-c"
t0=$(now)
kb0=$(pool_of t-b)
[ -n "$kb0" ] || fail "t-b's pool went before the stream began: nothing to measure"
only_a() {
	[ -z "$(pool_of t-b)" ] && [ "$(counter memcg_pools)" -le 1 ]
}
wait_for only_a
t1=$(now)
kb=$(pool_of t-b) pools=$(counter memcg_pools)
misses=$(($(counter memcg_pool_misses) - misses0))
streaming=yes
[ -e /tmp/mpool-s1 ] || [ -e /tmp/mpool-s2 ] && streaming=no
wait "$s1" "$s2"
ca=
echo "1 MiB streamed in t-a by 2 clients for 20 s: $(cut -d' ' -f1 /tmp/mpool-s1) and $(cut -d' ' -f1 /tmp/mpool-s2) buffers, $misses found t-a's pool empty by then; meanwhile t-b idle ($(kib "$kb0") KiB kept as it began) and t-c removed: $pools pools left, t-b's ${kb:-given back} $(secs "$t0" "$t1") s after"
[ -z "$kb" ] && [ "$pools" -le 1 ] ||
	fail "under t-a's stream, $pools pools still kept ($(kib "${kb:-0}") KiB for idle t-b) $(secs "$t0" "$t1") s after: the reaper did not run"
[ "$streaming" = yes ] ||
	fail "t-b's and t-c's pools went only once the stream had ended, $(secs "$t0" "$t1") s after: the reaper did not run under demand"
[ "$misses" -ge 100 ] ||
	fail "only $misses takes found t-a's pool empty: the refill kept up, not measured under its full load"
grep -q " 0$" /tmp/mpool-s1 && grep -q " 0$" /tmp/mpool-s2 ||
	fail "a streaming client failed: $(cat /tmp/mpool-s1 /tmp/mpool-s2)"
wait_for none_kept || fail "t-a's pool not given back after the stream"

# 6. Given back: a removed cgroup's pool, drop_caches, the daemon killed.
mkdir $cg/t-c || fail "mkdir t-c"
fill_start t-c /tmp/mpool-c 8M 1
cb=$pid
fill_step "$cb" /tmp/mpool-c step1
wait_for some_kept || fail "nothing kept for t-c"
fill_finish "$cb" /tmp/mpool-c
cb=
rmdir $cg/t-c || fail "rmdir t-c"
wait_for none_kept || fail "t-c removed, $(counter memcg_pool_bytes) bytes still kept"
echo "t-c removed with its pool: given back"

# A removed child's pool, charged to its parent once the child is offline,
# is reached by the parent's reclaim before the reaper frees it: the
# parent's memory.max lowered right after the rmdir to 1 MiB above all but
# what is kept. Without it the parent's reclaim counts nothing and goes to
# the OOM killer. When the reaper (each second) was first, again.
mkdir $cg/t-p && echo +memory >$cg/t-p/cgroup.subtree_control ||
	fail "t-p with the memory controller for its children"
tries=5
while :; do
	mkdir $cg/t-p/t-c || fail "mkdir t-p/t-c"
	fill_start t-p/t-c /tmp/mpool-c 8M 1
	cb=$pid
	fill_step "$cb" /tmp/mpool-c step1
	wait_for some_kept || fail "nothing kept for t-p/t-c"
	fill_finish "$cb" /tmp/mpool-c
	cb=
	echo 1 >/proc/sys/vm/drop_caches
	ooms0=$(ooms) oom0=$(event t-p oom)
	rmdir $cg/t-p/t-c || fail "rmdir t-p/t-c"
	sleep 0.2
	cur=$(current t-p)
	kept=$(counter memcg_pool_bytes)
	[ "$kept" -gt $mib ] && break
	tries=$((tries - 1))
	[ "$tries" -gt 0 ] || fail "the reaper freed t-p/t-c's pool first, five times"
	wait_for none_kept || fail "t-p/t-c's pool not given back"
done
max=$((cur - kept + mib))
echo $max >$cg/t-p/memory.max || fail "lower t-p's memory.max"
c1=$(current t-p)
echo "t-p/t-c removed, $(kib "$kept") KiB kept for it: t-p's memory.max lowered to 1 MiB above the rest, memory.current $(kib "$cur") -> $(kib "$c1") KiB, oom $oom0 -> $(event t-p oom)"
[ "$(event t-p oom)" -eq "$oom0" ] || fail "oom in t-p's memory.events: its reclaim did not reach the removed child's pool"
[ "$(ooms)" -eq "$ooms0" ] || fail "the OOM killer ran: $(dmesg | grep -i 'out of memory' | tail -n 1)"
[ "$c1" -le "$max" ] || fail "t-p's memory.current $c1 above its memory.max $max"
rmdir $cg/t-p || fail "rmdir t-p"
wait_for none_kept || fail "t-p removed, $(counter memcg_pool_bytes) bytes still kept"

fill_start t-a /tmp/mpool-a 8M 1
ca=$pid
fill_step "$ca" /tmp/mpool-a step1
wait_for some_kept || fail "nothing kept for t-a"
k=$(counter memcg_pool_bytes)
echo 2 >/proc/sys/vm/drop_caches
k1=$(counter memcg_pool_bytes)
echo "drop_caches: kept $(kib "$k") -> $(kib "$k1") KiB"
[ "$k1" -eq 0 ] || fail "$k1 bytes kept after drop_caches"
fill_finish "$ca" /tmp/mpool-a
ca=

fill_start t-a /tmp/mpool-a 8M 1
ca=$pid
a0=$(current t-a)
fill_step "$ca" /tmp/mpool-a step1
wait_for some_kept || fail "nothing kept for t-a"
a1=$(current t-a)
kill -KILL "$daemon"
wait_for daemon_gone || fail "dmaheapd survived SIGKILL"
wait_for none_kept || fail "daemon killed, $(counter memcg_pool_bytes) bytes still kept"
a2=$(current t-a)
echo "daemon SIGKILLed: pools given back, t-a $(kib "$a1") -> $(kib "$a2") KiB with 8 MiB held"
near $((a2 - a0)) $((8 * mib)) || fail "t-a +$((a2 - a0)) bytes with 8 MiB held"
fill_finish "$ca" /tmp/mpool-a
ca=
wait_for counter_is live_buffers "$live0" || fail "live_buffers $(counter live_buffers), want $live0"
# Nothing of the pools (ready buffers hold references on the module) keeps
# it loaded once the daemon is gone.
rmmod dmaheap_helper || fail "rmmod after the daemon was killed with pools kept"
insmod /lib/modules/dmaheap_helper.ko || fail "insmod"
echo "rmmod with the daemon killed: works"
daemon_start
"$d/t-alloc" >/dev/null || fail "the daemon does not serve afterwards"
echo "memcg_pools $(counter memcg_pools), memcg_pool_bytes $(counter memcg_pool_bytes), live_buffers $(counter live_buffers); a new daemon serves"
