#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A kernel booted with cgroup.memory=nokmem charges no kernel memory, the
# helper's pages among it, to memory cgroups (vm-nokmem boots one):
#  1. dmaheapd, charging clients as shipped, says so in its log;
#  2. the pool kept for a client's cgroup is still reached by reclaim:
#     drop_caches empties it (the kernel then asks the helper's shrinker
#     only at the root's turn, docs/pool.md).
. "$(dirname "$0")/lib.sh"
cg=/sys/fs/cgroup
st=/tmp/nokmem

grep -qw 'cgroup.memory=nokmem' /proc/cmdline || {
	echo "skip: the kernel was not booted with cgroup.memory=nokmem"
	exit 77
}
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rmdir $cg/t-n 2>/dev/null
	memcg_teardown
}
trap cleanup EXIT

# 1. The warning, from the daemon the harness started (ChargeClients=yes).
grep -q 'cgroup.memory=nokmem: it charges no kernel memory' "$DMAHEAPD_LOG" ||
	fail "dmaheapd did not warn that buffers are charged to nobody: $(tail -n 5 "$DMAHEAPD_LOG")"
echo "dmaheapd: $(grep -o 'ChargeClients=yes, but.*' "$DMAHEAPD_LOG" | head -n 1)"

# 2. A client in t-n makes its cgroup a pool, which the refill fills.
memcg_setup
mkdir $cg/t-n || fail "mkdir $cg/t-n"
fill_start t-n $st 8M 1
fill_step "$pid" $st step1
[ "$(cat $st/step1)" = "1 0" ] || fail "8 MiB in t-n: $(cat $st/step1)"
wait_for some_kept || fail "nothing kept for t-n after 8 MiB"
k=$(counter memcg_pool_bytes)
echo 2 >/proc/sys/vm/drop_caches
k1=$(counter memcg_pool_bytes)
echo "drop_caches with t-n's client alive: kept $((k / 1024)) -> $((k1 / 1024)) KiB"
[ "$k1" -eq 0 ] || fail "$k1 bytes kept for t-n after drop_caches: its pool is out of reclaim's reach"
fill_finish "$pid" $st
pid=
