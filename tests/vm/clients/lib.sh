# SPDX-License-Identifier: GPL-2.0
# Shell helpers for the VM tests that stop and start the daemon.

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The first heap the VM serves, and its node.
heap_name() {
	set -- ${DMAHEAPD_HEAPS:-system}
	echo "$1"
}

heap_node() {
	echo "/dev/dma_heap/$(heap_name)"
}

# What memory.current may lag or lead a cgroup's charges by, in bytes: the
# kernel's per-CPU charge stock holds up to 64 pages (256 KiB) on each CPU,
# charged ahead or drained at any time, plus 128 KiB for page tables and
# the like (640 KiB on the VMs' 2 CPUs). The memory cgroup tests allow it.
charge_stock=$((($(grep -c '^processor' /proc/cpuinfo) * 256 + 128) * 1024))

# near DELTA WANT [SLACK-KIB]: DELTA (bytes of memory.current) is WANT
# within -$charge_stock .. +SLACK KiB (default: +$charge_stock).
near() {
	[ "$1" -ge $(($2 - charge_stock)) ] &&
		[ "$1" -le $(($2 + ${3:-$((charge_stock / 1024))} * 1024)) ]
}

counter() {
	cat "/sys/class/misc/dmaheap-helper/$1"
}

# counter_is NAME VALUE: the counter reads VALUE now (for wait_for, which
# must re-read it each time: not wait_for test "$(counter NAME)" ...).
counter_is() {
	[ "$(counter "$1")" -eq "$2" ]
}

# wait_for CONDITION-COMMAND... : up to 15 s
wait_for() {
	n=150
	while ! "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# now: seconds since boot, to the hundredth; secs T0 T1: T1 - T0 (%.2f).
now() { cut -d" " -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# kill_client SECONDS: SIGKILL to $client, gone (a zombie counts) within
# SECONDS, then reaped; the seconds it took in $killed_in, $client emptied.
client_gone() { ! grep -qs '^State:.*[^Z] (' /proc/"$client"/status; }
kill_client() {
	_t=$(now)
	kill -9 "$client"
	wait_long "$1" client_gone ||
		fail "the killed client is still there after $1 s"
	killed_in=$(secs "$_t" "$(now)")
	wait "$client" 2>/dev/null
	client=
}

# wait_long SECONDS CONDITION-COMMAND...: as wait_for, for longer.
wait_long() {
	_n=$(($1 * 10))
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.1
	done
}

# heap_served: the first heap's node is dmaheapd's CUSE node. On a kernel
# with a heap of that name, the kernel's own node is there whenever
# dmaheapd is not (docs/kernel-heaps.md): there is not enough.
heap_served() {
	_rdev=$(stat -c '%t %T' "$(heap_node)" 2>/dev/null) || return 1
	[ "$((0x${_rdev% *})):$((0x${_rdev#* }))" = \
		"$(cat "/sys/class/cuse/dma_heap!$(heap_name)/dev" 2>/dev/null)" ]
}
node_gone() { ! heap_served; }
daemon_gone() { ! pidof dmaheapd >/dev/null; }

daemon_stop() {
	pid=$(pidof dmaheapd) || return 0
	kill "$pid"
	wait_for daemon_gone || fail "dmaheapd did not stop on SIGTERM"
	wait_for node_gone || fail "$(heap_node) still there after the daemon stopped"
}

# daemon_start [EXTRA-ARG...]: serve the VM's heaps again, as at boot.
daemon_start() {
	args=${DMAHEAPD_ARGS:-}
	[ -n "$args" ] || for h in ${DMAHEAPD_HEAPS:-system}; do
		args="$args --heap $h"
	done
	# shellcheck disable=SC2086
	dmaheapd $args "$@" </dev/null >>/tmp/dmaheapd.log 2>&1 &
	wait_for heap_served || {
		tail -n 5 /tmp/dmaheapd.log | sed 's/^/    dmaheapd.log: /' >&2
		fail "dmaheapd $args $* did not serve $(heap_node)"
	}
}

# daemon_with_heap NAME SETTING: dmaheapd from /tmp/NAME.conf, serving the
# first heap and heap NAME with SETTING (e.g. MaxBytesPerUser=1M), its node
# and control socket there.
daemon_with_heap() {
	daemon_stop
	printf '[Heap]\nName=%s\n\n[Heap]\nName=%s\n%s\n' "$(heap_name)" "$1" "$2" >/tmp/"$1".conf
	dmaheapd --config /tmp/"$1".conf </dev/null >>/tmp/dmaheapd.log 2>&1 &
	wait_for test -e /dev/dma_heap/"$1" || fail "/dev/dma_heap/$1 did not appear"
	wait_for test -S /run/dmaheapd/control || fail "no control socket"
}

# memcg_setup: cgroup v2 at /sys/fs/cgroup (mounted if it is not, and
# memcg_mounted set for memcg_teardown) with the memory controller on for
# its children; exit 77 (skip) on a kernel without one.
memcg_setup() {
	memcg_mounted=
	if ! awk '$2 == "/sys/fs/cgroup" && $3 == "cgroup2" { f = 1 } END { exit !f }' /proc/mounts; then
		mount -t cgroup2 none /sys/fs/cgroup || fail "mount -t cgroup2 none /sys/fs/cgroup"
		memcg_mounted=1
	fi
	# The reference kernel is built without CONFIG_MEMCG: nothing to charge.
	if ! grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
		echo "skip: this kernel has no memory controller (controllers: $(cat /sys/fs/cgroup/cgroup.controllers))"
		exit 77
	fi
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control ||
		fail "+memory in cgroup.subtree_control"
}

# fill_start CG DIR [-d] SIZE COUNT...: h-memcg-fill in cgroup CG (below
# /sys/fs/cgroup) from its first page, announcing in DIR, stopped before
# it allocates; its pid in $pid.
fill_start() {
	_cg=$1 _st=$2
	shift 2
	rm -rf "$_st"
	mkdir "$_st"
	_opt=
	[ "$1" = -d ] && _opt=-d && shift
	sh -c "echo \$\$ >/sys/fs/cgroup/$_cg/cgroup.procs && exec $(dirname "$0")/h-memcg-fill $_opt $_st \"\$@\"" \
		sh "$@" </dev/null >/dev/null &
	pid=$!
	wait_for test -e "$_st/started" || fail "h-memcg-fill in $_cg did not start"
}
# fill_step PID DIR FILE: the client goes on to its step that writes
# DIR/FILE, within 150 s.
fill_step() {
	kill -USR1 "$1" || fail "h-memcg-fill $1 is gone before $3"
	_n=1500
	while [ ! -e "$2/$3" ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || fail "h-memcg-fill did not reach $3"
		sleep 0.1
	done
}
# fill_finish PID DIR: the client frees its buffers and exits 0.
fill_finish() {
	fill_step "$1" "$2" freed
	kill -USR1 "$1"
	wait "$1" || fail "h-memcg-fill exited with $?"
}
# some_kept: the helper keeps pages ahead for some memory cgroup.
some_kept() { [ "$(counter memcg_pool_bytes)" -gt 0 ]; }

memcg_teardown() {
	[ -z "${memcg_mounted:-}" ] || umount /sys/fs/cgroup
}

# need_test_hooks: exit 77 (skip) unless the helper was built with its test
# hooks, fault_inject and the debugfs page list (meson -Dtest_hooks=true).
need_test_hooks() {
	[ -e /sys/module/dmaheap_helper/parameters/fault_inject ] && return 0
	echo "skip: the helper was built without its test hooks (meson -Dtest_hooks=true, as tools/run-tests does)"
	exit 77
}

# daemon_with LINE: dmaheapd serving the first heap with ChargeClients=no
# and LINE in [Daemon] (/tmp/daemon-with.conf).
daemon_with() {
	printf '[Daemon]\nChargeClients=no\n%s\n[Heap]\nName=%s\n' "$1" "$(heap_name)" >/tmp/daemon-with.conf
	dmaheapd --config /tmp/daemon-with.conf </dev/null >>/tmp/dmaheapd.log 2>&1 &
	wait_for heap_served || fail "dmaheapd did not start with $1"
}

# pool_set BYTES: the daemon daemon_with started sizes the helper's pool to
# BYTES (PoolSize=, reloaded): the pool's one setting goes through the
# daemon (docs/helper-interface.md).
pool_is_set() { dmaheapctl status | grep -qx "pool_max *$1"; }
pool_set() {
	printf '[Daemon]\nChargeClients=no\nPoolSize=%s\n[Heap]\nName=%s\n' "$1" "$(heap_name)" >/tmp/daemon-with.conf
	kill -HUP "$(pidof dmaheapd)"
	wait_for pool_is_set "$1" || fail "PoolSize=$1 not reloaded: $(dmaheapctl status | grep pool_max)"
}

# refused TEXT... -- ARG...: dmaheapd ARG... exits non-zero by itself
# within 20 s, saying every TEXT (fixed strings).
refused() {
	texts=
	while [ "$1" != -- ]; do
		texts="$texts$1
"
		shift
	done
	shift
	out=$(timeout 20 dmaheapd "$@" </dev/null 2>&1)
	rc=$?
	echo "$out" | sed "s|^|    dmaheapd $*: |"
	[ "$rc" -ne 0 ] || fail "dmaheapd $* started"
	[ "$rc" -ne 124 ] || fail "dmaheapd $* did not exit"
	while IFS= read -r text; do
		echo "$out" | grep -qF -- "$text" || fail "no \"$text\" in its output"
	done <<EOT
${texts%?}
EOT
}

# expect_refusal CONFIG TEXT...: dmaheapd --config configs/CONFIG is refused
# saying every TEXT.
expect_refusal() {
	conf=$(dirname "$0")/configs/$1
	shift
	refused "$@" -- --config "$conf"
}
