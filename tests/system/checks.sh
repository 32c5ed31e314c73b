#!/bin/bash
# shellcheck disable=SC2012 # ls -l is shown to people, never parsed
# SPDX-License-Identifier: GPL-2.0
# tests/system/checks.sh: the system test's checks, run inside the booted
# Debian system by dmaheapd-system-test.service (as root, systemd as PID 1).
# Its output goes to the second serial port; the host (tests/system/run)
# reads the last line: @@SYSTEM-TEST: PASS@@ or @@SYSTEM-TEST: FAIL reason@@.
# The unit powers the machine off when this script ends, whatever happened.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER='' SYSTEMD_COLORS=0 LC_ALL=C.UTF-8

here=$(dirname "$(readlink -f "$0")")
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$here/guest-lib.sh"
# Where the takeover moves the kernel's node while dmaheapd serves the name.
moved=/dev/dma_heap-kernel/system
# The kernel's node as devtmpfs makes it (no rule of Debian's touches it).
kernel_perms="root root 600"
# The name tests/system/run booted (debian-12, debian-13), for the log.
kernel_name=$(cat "$here/kernel-name" 2>/dev/null || echo unknown)
tmp=$(mktemp -d)
chmod 0777 "$tmp" # alice's holding client writes its READY file there

# A CUSE device named like a heap node that dmaheapd did not make
# (spoof-heap): it must not get what the rules give dmaheapd's nodes.
spoofer=$here/spoof-heap
spoof_node=/dev/dma_heap/spoofed
spoof_sys='/sys/class/cuse/dma_heap!spoofed'

# The journal fields of an allocation record (DMA_HEAP=, CLIENT_PID=,
# CLIENT_UID=, CLIENT_COMM=, SIZE=): "yes" requires them, "auto" checks
# them when the record has any, "no" skips the check.
JOURNAL_FIELDS=yes

step() {
	echo
	echo "== $*"
}
indent() {
	sed 's/^/    /'
}

# Milliseconds since boot (CLOCK_MONOTONIC, like systemd's timestamps).
mono_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# skip: a check that cannot apply here, with the reason.
skip() {
	echo "skip: $*"
}

# The device number sysfs gives the device DIR (empty if there is none).
sysdev() {
	cat "$1/dev" 2>/dev/null || true
}

# Whether $node is dmaheapd's CUSE node right now.
served_by_us() {
	local ours
	ours=$(sysdev "$cuse_sys")
	[[ -n $ours && $(devno "$node") == "$ours" ]]
}

# Whether the kernel has a system heap of its own, and whether this build's
# unit puts the kernel's nodes back when it stops (the takeover).
kernel_heap() {
	[[ -e $kernel_sys/dev ]]
}
takeover() {
	systemctl show -P ExecStopPost dmaheapd.service 2>/dev/null | grep -q -- --restore-kernel-nodes
}

# bob (not in video) allocates 1M: refused with EACCES. $1 names him in
# the ok line, $2 says more in the failure.
bob_refused() {
	local out
	if out=$(as_user bob dmaheap-alloc 1M 2>&1); then
		fail "bob: dmaheap-alloc 1M succeeded$2"
	elif grep -q 'Permission denied' <<<"$out"; then
		ok "$1: open fails with EACCES"
	else
		fail "bob: dmaheap-alloc failed, but not with EACCES"
	fi
	indent <<<"$out"
}

check_service_active() {
	step "dmaheapd.service after boot"
	local state type ready_us
	state=$(systemctl is-active dmaheapd.service)
	type=$(systemctl show -P Type dmaheapd.service)
	systemctl status --no-pager --lines=20 dmaheapd.service 2>&1 | indent
	if [[ $state != active ]]; then
		fail "dmaheapd.service is $state after boot"
		return
	fi
	ok "dmaheapd.service is active (Type=$type)"
	# Boot-to-ready from the manager's and the unit's monotonic timestamps
	# (systemd-analyze refuses while boot, i.e. this unit, is not finished).
	local initrd_us userspace_us start_us ready_us
	initrd_us=$(systemctl show -P InitRDTimestampMonotonic)
	userspace_us=$(systemctl show -P UserspaceTimestampMonotonic)
	start_us=$(systemctl show -P InactiveExitTimestampMonotonic dmaheapd.service)
	ready_us=$(systemctl show -P ActiveEnterTimestampMonotonic dmaheapd.service)
	[[ $initrd_us == 0 ]] || echo "boot: initrd's systemd at $((initrd_us / 1000)) ms after the kernel started"
	echo "boot: systemd of the root at $((userspace_us / 1000)) ms after the kernel started"
	echo "boot-to-ready: dmaheapd.service started at $((start_us / 1000)) ms, ready at $((ready_us / 1000)) ms after the kernel started ($(((ready_us - start_us) / 1000)) ms from start to ready)"
	# The sandbox as systemd rates it on the running unit.
	systemd-analyze security --no-pager dmaheapd.service 2>&1 | tail -n 1 | indent
	if [[ -e $node ]]; then
		ok "$node exists as the unit is active"
	elif [[ $type == notify ]]; then
		fail "Type=notify but $node does not exist when the unit is active"
	fi
}

check_node() {
	step "$node: owner, group, mode, udev properties"
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e $node ]] && break
		sleep 0.1
	done
	if [[ ! -c $node ]]; then
		fail "$node does not exist (10 s after the unit was active)"
		ls -la /dev/dma_heap 2>&1 | indent
		return
	fi
	timeout 30 udevadm settle
	local perms
	perms=$(stat -c '%U %G %a' "$node")
	ls -l "$node" | indent
	if served_by_us; then
		ok "$node is dmaheapd's CUSE node (device $(devno "$node") = $cuse_sys/dev)"
	else
		fail "$node (device $(devno "$node")) is not dmaheapd's CUSE node ($cuse_sys/dev: $(sysdev "$cuse_sys"))"
	fi
	if [[ $perms == "root video 660" ]]; then
		ok "$node is root:video 0660"
	else
		fail "$node is '$perms', the rules want 'root video 660'"
	fi
	check_dir_open "after boot"
	echo "udevadm info $node:"
	udevadm info "$node" 2>&1 | indent
	local info
	info=$(udevadm info "$node" 2>&1)
	echo "sysfs kernel name: $(udevadm info --query=property --property=DEVPATH --value "$node" 2>/dev/null | sed 's|.*/||')"
	if grep -qx 'E: DMAHEAPD_HEAP=1' <<<"$info"; then
		ok "udev property DMAHEAPD_HEAP=1"
	else
		fail "udevadm info shows no E: DMAHEAPD_HEAP=1"
	fi
	if grep -qx 'G: dma_heap' <<<"$info" || grep -q '^E: TAGS=.*:dma_heap:' <<<"$info"; then
		ok "udev tag dma_heap"
	else
		fail "udevadm info shows no tag dma_heap"
	fi
	echo "udevadm info --attribute-walk $node (the KERNEL== spelling for rules):"
	udevadm info --attribute-walk "$node" 2>&1 | grep -E '^ *(KERNEL|SUBSYSTEM|DRIVER)==' | head -n 3 | indent
	ls -l /dev/dmaheap-helper 2>&1 | indent
	perms=$(stat -c '%U %G %a' /dev/dmaheap-helper 2>&1)
	if [[ $perms == "root root 600" ]]; then
		ok "/dev/dmaheap-helper is root:root 0600"
	else
		fail "/dev/dmaheap-helper is '$perms', the rules want 'root root 600'"
	fi
}

check_users() {
	step "alice (group video) allocates, bob (not in video) cannot open"
	id alice | indent
	id bob | indent
	local out
	if out=$(as_user alice dmaheap-alloc 1M 2>&1); then
		ok "alice: dmaheap-alloc 1M"
	else
		fail "alice: dmaheap-alloc 1M failed"
	fi
	indent <<<"$out"
	bob_refused "bob" ""
}

check_restart() {
	step "systemctl restart dmaheapd with a mapped buffer held"
	local pid_before pid_after holder watcher t0 t1 rc out i
	pid_before=$(systemctl show -P MainPID dmaheapd.service)
	as_user alice "$here/hold-and-check" hold "$node" "$tmp/ready" "$tmp/go" \
		>"$tmp/hold.out" 2>&1 &
	holder=$!
	for ((i = 0; i < 300; i++)); do
		[[ -e $tmp/ready ]] && break
		kill -0 "$holder" 2>/dev/null || break
		sleep 0.1
	done
	if [[ ! -e $tmp/ready ]]; then
		fail "the holding client did not get its buffer"
		indent <"$tmp/hold.out"
		kill "$holder" 2>/dev/null
		return
	fi
	"$here/hold-and-check" gap "$node" "$tmp/stop" >"$tmp/gap.out" 2>&1 &
	watcher=$!
	sleep 0.1
	t0=$(mono_ms)
	if ! timeout 90 systemctl restart dmaheapd.service; then
		fail "systemctl restart dmaheapd failed"
		systemctl status --no-pager dmaheapd.service 2>&1 | indent
	fi
	# Type=notify: once systemctl returns, the node is served and final,
	# udev's group and mode applied (no udevadm settle before this look).
	local perms_ready
	perms_ready=$(stat -c '%U %G %a' "$node" 2>&1)
	t1=$(mono_ms)
	echo "systemctl restart took $((t1 - t0)) ms"
	if [[ $perms_ready == "root video 660" ]] && served_by_us; then
		ok "$node is dmaheapd's and root:video 0660 as systemctl restart returns"
	else
		fail "$node is '$perms_ready' (device $(devno "$node")) as systemctl restart returns; want dmaheapd's, 'root video 660'"
	fi
	for ((i = 0; i < 100; i++)); do
		served_by_us && break
		sleep 0.1
	done
	touch "$tmp/stop"
	wait "$watcher" || fail "the node watcher failed"
	indent <"$tmp/gap.out"
	kernel_heap && takeover &&
		echo "note: with the takeover the kernel's node stands at $node while dmaheapd is down; the gap is the start's, from moving it aside to our node's appearing"
	pid_after=$(systemctl show -P MainPID dmaheapd.service)
	if [[ $pid_after != 0 && $pid_after != "$pid_before" ]]; then
		ok "dmaheapd restarted (pid $pid_before -> $pid_after)"
	else
		fail "dmaheapd did not restart (pid $pid_before -> $pid_after)"
	fi
	for ((i = 0; i < 100; i++)); do
		served_by_us && break
		sleep 0.1
	done
	if served_by_us; then
		ok "$node is back, dmaheapd's CUSE node"
	else
		fail "$node is not dmaheapd's CUSE node 10 s after the restart"
	fi
	timeout 30 udevadm settle
	ls -l "$node" 2>&1 | indent
	touch "$tmp/go"
	rc=0
	wait "$holder" || rc=$?
	indent <"$tmp/hold.out"
	if [[ $rc == 0 ]]; then
		ok "the buffer held across the restart is intact"
	else
		fail "the buffer held across the restart is not intact (exit $rc)"
	fi
	if out=$(as_user alice dmaheap-alloc 2M 2>&1); then
		ok "alice: a new allocation after the restart"
	else
		fail "alice: dmaheap-alloc 2M after the restart failed"
	fi
	indent <<<"$out"
}

# The policy under systemd: a drop-in with a per-user limit and a control
# group, dmaheapctl for root and that group only, the limit's journal
# record, systemctl reload raising it, and memory cgroups: a scope with
# MemoryMax= below the buffer cannot allocate it.
check_policy() {
	step "policy: limits, dmaheapctl, systemctl reload, memory cgroups"
	# After 90-test.conf, whose MaxBytesPerUser= it overrides.
	local dropin=/etc/dmaheapd.conf.d/95-policy.conf out pid rec
	groupadd -f dmactl && usermod -aG dmactl alice
	mkdir -p /etc/dmaheapd.conf.d
	printf '[Daemon]\nControlGroup=dmactl\n\n[Heap]\nName=system\nMaxBytesPerUser=4M\n' >"$dropin"
	# ControlGroup= takes a restart; the limit alone would not.
	timeout 90 systemctl restart dmaheapd.service || fail "restart with $dropin failed"
	timeout 30 udevadm settle
	ls -l /run/dmaheapd 2>&1 | indent
	if out=$(dmaheapctl heaps 2>&1); then
		ok "root: dmaheapctl heaps"
	else
		fail "root: dmaheapctl heaps failed"
	fi
	indent <<<"$out"
	grep -q "^system .* 4M " <<<"$out" || fail "dmaheapctl heaps does not show MaxBytesPerUser=4M"
	if out=$(as_user alice dmaheapctl status 2>&1); then
		ok "alice (ControlGroup=dmactl): dmaheapctl status"
	else
		fail "alice (ControlGroup=dmactl): dmaheapctl status failed"
	fi
	indent <<<"$out" | head -n 8
	if out=$(as_user bob dmaheapctl heaps 2>&1); then
		fail "bob used dmaheapctl"
	else
		ok "bob: dmaheapctl refused"
	fi
	indent <<<"$out"

	if out=$(as_user alice dmaheap-alloc 8M 2>&1); then
		fail "alice allocated 8M past MaxBytesPerUser=4M"
	elif grep -q 'Cannot allocate memory' <<<"$out"; then
		ok "alice: 8M past MaxBytesPerUser=4M fails with ENOMEM"
	else
		fail "alice: 8M failed, but not with ENOMEM"
	fi
	indent <<<"$out"
	rec=$(journalctl --no-pager -u dmaheapd.service -o verbose LIMIT=MaxBytesPerUser 2>/dev/null | head -n 40)
	grep -E '^    (MESSAGE|PRIORITY|LIMIT|ERRNO|SIZE)=' <<<"$rec" | indent
	if grep -qx '    PRIORITY=5' <<<"$rec" && grep -qx '    ERRNO=ENOMEM' <<<"$rec"; then
		ok "the journal has the limit hit at notice, with LIMIT=MaxBytesPerUser"
	else
		fail "no notice record with LIMIT=MaxBytesPerUser and ERRNO=ENOMEM"
	fi

	pid=$(systemctl show -P MainPID dmaheapd.service)
	sed -i 's/MaxBytesPerUser=4M/MaxBytesPerUser=16M/' "$dropin"
	timeout 60 systemctl reload dmaheapd.service || fail "systemctl reload failed"
	if out=$(as_user alice dmaheap-alloc 8M 2>&1); then
		ok "after systemctl reload (MaxBytesPerUser=16M): alice allocates 8M"
	else
		fail "alice: 8M failed after the reload to 16M"
	fi
	indent <<<"$out" | head -n 1
	[[ $(systemctl show -P MainPID dmaheapd.service) == "$pid" ]] ||
		fail "the reload restarted the daemon"
	# systemd runs ExecReload= and gives RuntimeDirectory= back to root
	# when it finds it changed: the socket's group must survive that.
	ls -ld /run/dmaheapd /run/dmaheapd/control 2>&1 | indent
	if as_user alice dmaheapctl status >/dev/null 2>&1; then
		ok "alice (ControlGroup=dmactl): dmaheapctl status after systemctl reload"
	else
		fail "alice: dmaheapctl status failed after systemctl reload"
	fi

	# SeatAccess=yes (90-test.conf) needs a finite MaxBytesPerUser=: a
	# reload to infinity is refused, naming why, and the daemon serves on.
	sed -i 's/MaxBytesPerUser=16M/MaxBytesPerUser=infinity/' "$dropin"
	if timeout 60 systemctl reload dmaheapd.service 2>/dev/null; then
		fail "reload to MaxBytesPerUser=infinity with SeatAccess=yes accepted"
	else
		out=$(journalctl --no-pager -u dmaheapd.service -o cat 2>/dev/null | grep 'SeatAccess=yes')
		indent <<<"$out"
		if grep -q 'needs a finite MaxBytesPerUser=.*not accounted in cgroup limits' <<<"$out"; then
			ok "reload to MaxBytesPerUser=infinity refused with SeatAccess=yes, naming why"
		else
			fail "the refused reload's message does not name SeatAccess= and MaxBytesPerUser="
		fi
	fi
	systemctl is-active --quiet dmaheapd.service || fail "dmaheapd is not active after the refused reload"
	# No limit of our own in the way of what follows.
	sed -i 's/MaxBytesPerUser=infinity/MaxBytesPerUser=1G/' "$dropin"
	timeout 60 systemctl reload dmaheapd.service || fail "systemctl reload failed"
	if out=$(timeout 60 systemd-run --quiet --scope -p MemoryMax=16M -- dmaheap-alloc 32M 2>&1); then
		fail "32M allocated in a scope with MemoryMax=16M"
	elif grep -q 'Cannot allocate memory' <<<"$out"; then
		ok "a scope with MemoryMax=16M cannot get 32M: charged to the client's cgroup"
	else
		fail "32M in a MemoryMax=16M scope failed, but not with ENOMEM"
	fi
	indent <<<"$out"
	if out=$(timeout 60 systemd-run --quiet --scope -p MemoryMax=64M -- dmaheap-alloc 32M 2>&1); then
		ok "the same in a scope with MemoryMax=64M succeeds"
	else
		fail "32M failed in a MemoryMax=64M scope"
	fi
	indent <<<"$out" | head -n 1
	systemctl is-active --quiet dmaheapd.service || fail "dmaheapd is not active after the policy checks"
}

check_stop() {
	step "systemctl stop dmaheapd removes our nodes"
	local ours i
	ours=$(sysdev "$cuse_sys")
	timeout 90 systemctl stop dmaheapd.service || fail "systemctl stop dmaheapd failed"
	for ((i = 0; i < 50; i++)); do
		[[ -e $cuse_sys ]] || served_by_us || break
		sleep 0.1
	done
	ls -la /dev/dma_heap 2>&1 | indent
	if [[ -e $cuse_sys ]]; then
		fail "$cuse_sys still exists 5 s after systemctl stop"
	elif [[ -n $ours && $(devno "$node") == "$ours" ]]; then
		fail "$node still has our device number $ours 5 s after systemctl stop"
	else
		ok "our node is gone after systemctl stop ($cuse_sys too)"
	fi
	if ! kernel_heap; then
		if [[ -e $node ]]; then
			fail "$node still exists 5 s after systemctl stop"
		else
			ok "$node is gone after systemctl stop"
		fi
		return
	fi
	skip "$node absent after systemctl stop: the kernel has a system heap of its own ($kernel_sys), whose node comes back"
	if ! takeover; then
		skip "the kernel's node back after stop: this build's unit has no ExecStopPost with --restore-kernel-nodes (the takeover)"
		return
	fi
	check_kernel_node_at "$node" "after systemctl stop"
	if [[ -e $moved ]]; then
		fail "$moved still exists after systemctl stop"
		ls -la "$(dirname "$moved")" 2>&1 | indent
	else
		ok "$moved is gone after systemctl stop"
	fi
}

# /dev/dma_heap as devtmpfs makes it: everyone may look up the nodes in it.
check_dir_open() {
	local dir perms
	dir=$(dirname "$node")
	perms=$(stat -c '%U %G %a' "$dir" 2>&1)
	if [[ $perms == "root root 755" ]]; then
		ok "$1: $dir is root:root 0755"
	else
		fail "$1: $dir is '$perms', not 'root root 755': users cannot reach the nodes in it"
	fi
}

# The kernel's own system heap (Debian 13): its node is PATH, with the
# device number sysfs gives it and the mode devtmpfs made it with.
check_kernel_node_at() {
	local path=$1 when=$2 want have perms
	want=$(sysdev "$kernel_sys")
	have=$(devno "$path")
	ls -l "$path" 2>&1 | indent
	if [[ -z $have ]]; then
		fail "$when: the kernel's node is not at $path"
		return
	fi
	perms=$(stat -c '%U %G %a' "$path")
	if [[ $have == "$want" && $perms == "$kernel_perms" ]]; then
		ok "$when: the kernel's node is at $path, device $have ($kernel_sys/dev), $perms"
	else
		fail "$when: $path is device $have, '$perms'; the kernel's is $want, '$kernel_perms'"
	fi
}

# Our node root:video 0660 and served by us, the kernel's still moved.
check_takeover_state() {
	local when=$1 perms
	timeout 30 udevadm settle
	perms=$(stat -c '%U %G %a' "$node" 2>&1)
	ls -l "$node" 2>&1 | indent
	if served_by_us && [[ $perms == "root video 660" ]]; then
		ok "$when: $node is dmaheapd's node, root:video 0660"
	else
		fail "$when: $node is device $(devno "$node") '$perms'; want dmaheapd's ($(sysdev "$cuse_sys")) root:video 0660"
	fi
	check_dir_open "$when"
	check_kernel_node_at "$moved" "$when"
}

# The kernel's node moved aside while dmaheapd serves the name; udev neither
# moves it back nor touches our node.
check_takeover() {
	step "the kernel's own system heap: taken over while dmaheapd runs"
	if ! kernel_heap; then
		skip "takeover checks: this kernel ($(uname -r)) has no system heap of its own ($kernel_sys)"
		return
	fi
	echo "the kernel's system heap: $kernel_sys, device $(sysdev "$kernel_sys")"
	ls -la /dev/dma_heap "$(dirname "$moved")" 2>&1 | indent
	if ! takeover; then
		skip "takeover checks: this build's unit has no ExecStopPost with --restore-kernel-nodes (the takeover is not in it)"
		return
	fi
	check_takeover_state "after boot"

	step "udevadm trigger, systemctl restart systemd-udevd: the takeover stays"
	timeout 60 udevadm trigger --settle || fail "udevadm trigger --settle failed"
	check_takeover_state "after udevadm trigger"
	timeout 60 udevadm trigger --action=add --subsystem-match=dma_heap \
		--subsystem-match=cuse --settle || fail "udevadm trigger --action=add failed"
	check_takeover_state "after udevadm trigger --action=add (dma_heap, cuse)"
	timeout 90 systemctl restart systemd-udevd.service || fail "systemctl restart systemd-udevd failed"
	check_takeover_state "after systemctl restart systemd-udevd"
}

# SIGKILL: ExecStopPost puts the kernel's node back, Restart=on-failure
# starts dmaheapd again, which takes the name over again.
check_kill() {
	step "systemctl kill -s KILL dmaheapd: the node is back within the restart"
	if ! kernel_heap; then
		skip "SIGKILL check of the takeover: this kernel has no system heap of its own"
		return
	fi
	if ! takeover; then
		skip "SIGKILL check of the takeover: this build's unit has no ExecStopPost with --restore-kernel-nodes"
		return
	fi
	local pid_before pid t0 i kernel_seen=no ours_back=no want state
	want=$(sysdev "$kernel_sys")
	pid_before=$(systemctl show -P MainPID dmaheapd.service)
	t0=$(mono_ms)
	timeout 30 systemctl kill -s KILL dmaheapd.service || fail "systemctl kill -s KILL dmaheapd failed"
	# 10 ms polls for 30 s: the kernel's node back at $node, then ours.
	for ((i = 0; i < 3000; i++)); do
		if [[ $kernel_seen == no && $(devno "$node") == "$want" ]]; then
			kernel_seen="yes, $(($(mono_ms) - t0)) ms after the kill"
		fi
		pid=$(systemctl show -P MainPID dmaheapd.service)
		if [[ $pid != 0 && $pid != "$pid_before" ]] && served_by_us; then
			ours_back="yes, $(($(mono_ms) - t0)) ms after the kill"
			break
		fi
		sleep 0.01
	done
	# Served, the restart job may still run ExecStartPost= (the udev
	# mark, docs/udev.md): "activating" until it ends, then "active".
	for ((i = 0; i < 300; i++)); do
		state=$(systemctl is-active dmaheapd.service)
		[[ $state == activating ]] || break
		sleep 0.1
	done
	echo "pid $pid_before -> $pid ($state); the kernel's node at $node in between: $kernel_seen; ours back: $ours_back"
	journalctl --no-pager -u dmaheapd.service -o short-monotonic --since=-1min 2>&1 | tail -n 12 | indent
	if [[ $kernel_seen != no ]]; then
		ok "the kernel's node was back at $node while dmaheapd was down ($kernel_seen)"
	else
		fail "the kernel's node was never seen back at $node after SIGKILL (ExecStopPost)"
	fi
	if [[ $ours_back != no && $state == active ]]; then
		ok "dmaheapd restarted and serves $node again ($ours_back)"
	else
		fail "dmaheapd did not serve $node again within 30 s of SIGKILL ($state)"
	fi
	check_takeover_state "after the restart"
	local out
	if out=$(as_user alice dmaheap-alloc 1M 2>&1); then
		ok "alice: dmaheap-alloc 1M after the restart"
	else
		fail "alice: dmaheap-alloc 1M after the SIGKILL and the restart failed"
	fi
	indent <<<"$out"
}

# What udev gave NODE, as one word each: its owner, group and mode, then
# "prop" if it has DMAHEAPD_HEAP=1, "tag" if it has the tag dma_heap and
# "uaccess" if it has DMAHEAPD_SEAT=1 and the tag uaccess (SeatAccess=yes).
udev_marks() {
	local info marks
	info=$(udevadm info "$1" 2>&1)
	marks=$(stat -c '%U %G %a' "$1" 2>&1)
	grep -qx 'E: DMAHEAPD_HEAP=1' <<<"$info" && marks+=" prop"
	if grep -qx 'G: dma_heap' <<<"$info" || grep -q '^E: TAGS=.*:dma_heap:' <<<"$info"; then
		marks+=" tag"
	fi
	if grep -qx 'E: DMAHEAPD_SEAT=1' <<<"$info" &&
		{ grep -qx 'G: uaccess' <<<"$info" || grep -q '^E: TAGS=.*:uaccess:' <<<"$info"; }; then
		marks+=" uaccess"
	fi
	echo "$marks"
}

# dmaheapd's node has all of them; the spoofed node none.
check_marks() {
	local when=$1 have
	have=$(udev_marks "$node")
	if [[ $have == "root video 660 prop tag uaccess" ]] && served_by_us; then
		ok "$when: $node is dmaheapd's, root:video 0660, DMAHEAPD_HEAP=1, tag dma_heap, DMAHEAPD_SEAT=1 and tag uaccess"
	else
		fail "$when: $node has '$have' (device $(devno "$node")); want dmaheapd's with 'root video 660 prop tag uaccess'"
	fi
	have=$(udev_marks "$spoof_node")
	getfacl -cpn "$spoof_node" 2>/dev/null | grep -q '^user:[0-9]' && have+=" acl"
	if [[ $have == "root root 600" ]]; then
		ok "$when: $spoof_node is root:root 0600, without DMAHEAPD_HEAP=1, the tag dma_heap, uaccess or an ACL"
	else
		fail "$when: $spoof_node has '$have'; a node dmaheapd did not make must stay 'root root 600', unmarked"
	fi
}

# One spoofed node, made by spoof-heap run as USER: unmarked when it
# appears and after udevadm trigger (change and add); dmaheapd's node keeps
# its marks; alice (group video) cannot open it.
check_spoof_as() {
	local user=$1 pid i out
	if [[ $user == root ]]; then
		timeout 120 "$spoofer" spoofed >"$tmp/spoof.out" 2>&1 &
	else
		timeout 120 setpriv --reuid "$user" --regid "$user" --init-groups -- \
			"$spoofer" spoofed >"$tmp/spoof.out" 2>&1 &
	fi
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[[ -e $spoof_sys && -e $spoof_node ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [[ ! -e $spoof_node ]]; then
		fail "$user: spoof-heap made no $spoof_node"
		indent <"$tmp/spoof.out"
		kill "$pid" 2>/dev/null
		wait "$pid"
		return
	fi
	timeout 60 udevadm settle
	ls -l "$spoof_node" 2>&1 | indent
	udevadm info "$spoof_node" 2>&1 | grep -E '^(E: (DEVNAME|DMAHEAPD|SYNTH)|G:)' | indent
	check_marks "made by $user"
	if out=$(as_user alice sh -c "exec 3<>$spoof_node" 2>&1); then
		fail "$user's $spoof_node: alice (group video) opened it"
	else
		ok "$user's $spoof_node: alice (group video) cannot open it"
	fi
	indent <<<"$out"
	timeout 60 udevadm trigger --subsystem-match=cuse --settle ||
		fail "udevadm trigger --subsystem-match=cuse failed"
	check_marks "made by $user, after udevadm trigger (change)"
	timeout 60 udevadm trigger --action=add --subsystem-match=cuse --settle ||
		fail "udevadm trigger --action=add --subsystem-match=cuse failed"
	check_marks "made by $user, after udevadm trigger --action=add"
	kill "$pid" 2>/dev/null
	wait "$pid"
	for ((i = 0; i < 100; i++)); do
		[[ -e $spoof_sys ]] || break
		sleep 0.1
	done
	[[ -e $spoof_sys ]] && fail "$spoof_sys still there 10 s after spoof-heap was stopped"
}

# Issue 15 item 10: the rules give group video, the tag dma_heap and
# DMAHEAPD_HEAP=1 to dmaheapd's nodes only, not to any CUSE device named
# dma_heap/*: made by root, or by bob in a group that a site gave /dev/cuse.
check_spoof() {
	step "a CUSE node named dma_heap/* that dmaheapd did not make"
	local cuse_perms
	if [[ ! -x $spoofer ]]; then
		fail "$spoofer is missing"
		return
	fi
	check_spoof_as root
	cuse_perms=$(stat -c '%u:%g %a' /dev/cuse)
	groupadd -f cuse && usermod -aG cuse bob
	chgrp cuse /dev/cuse && chmod 0660 /dev/cuse
	ls -l /dev/cuse | indent
	check_spoof_as bob
	chown "${cuse_perms% *}" /dev/cuse && chmod "${cuse_perms#* }" /dev/cuse
	ls -l /dev/cuse | indent
}

# The record of alice's first allocation (dmaheap-alloc 1M) in the journal.
check_journal() {
	step "journalctl -u dmaheapd: the allocation records"
	local uid re
	uid=$(id -u alice)
	journalctl --no-pager -u dmaheapd.service -o short-monotonic 2>&1 | tail -n 40 | indent
	re="buffer [0-9]+ allocated, size 1048576, for pid [0-9]+ tid [0-9]+ \(dmaheap-alloc\) uid $uid"
	if journalctl --no-pager -u dmaheapd.service -o cat | grep -Eq "$re"; then
		ok "the journal has alice's allocation of 1 MiB"
	else
		fail "no journal record of alice's allocation (/$re/)"
	fi
	check_journal_fields "$uid"
	check_journal_udev
}

# Every start and reload marked the nodes for udev and saw udev apply its
# rules (docs/udev.md): no warning that a node stayed root's, and the
# debug lines (Debug=yes) with how long udev took.
check_journal_udev() {
	local log
	log=$(journalctl --no-pager -u dmaheapd.service -o cat 2>&1)
	grep -E 'udev has applied|cannot mark|has not applied' <<<"$log" | indent
	if grep -Eq 'cannot mark it for udev|udev has not applied' <<<"$log"; then
		fail "dmaheapd could not mark a node for udev, or udev did not apply its rules in time"
	elif grep -q 'udev has applied its rules' <<<"$log"; then
		ok "each start and reload saw udev apply its rules to the marked node"
	else
		fail "no journal line saying udev applied its rules to a marked node"
	fi
}

check_journal_fields() {
	local uid=$1 rec f missing=()
	[[ $JOURNAL_FIELDS == no ]] && return
	rec=$(journalctl --no-pager -u dmaheapd.service -o verbose \
		CLIENT_COMM=dmaheap-alloc SIZE=1048576 2>/dev/null | head -n 40)
	if [[ -z $rec ]]; then
		if [[ $JOURNAL_FIELDS == yes ]]; then
			fail "no journal entry with CLIENT_COMM=dmaheap-alloc SIZE=1048576"
		else
			echo "note: no journal fields on the allocation records (JOURNAL_FIELDS=auto: not checked)"
		fi
		return
	fi
	grep -E '^    (MESSAGE|DMA_HEAP|CLIENT_[A-Z]+|SIZE|PRIORITY)=' <<<"$rec" | indent
	for f in DMA_HEAP=system CLIENT_UID="$uid" CLIENT_COMM=dmaheap-alloc SIZE=1048576; do
		grep -qx "    $f" <<<"$rec" || missing+=("$f")
	done
	grep -q '^    CLIENT_PID=[0-9]' <<<"$rec" || missing+=(CLIENT_PID=)
	if [[ ${#missing[@]} -eq 0 ]]; then
		ok "the allocation record has DMA_HEAP, CLIENT_PID, CLIENT_UID, CLIENT_COMM, SIZE"
	else
		fail "the allocation record lacks ${missing[*]}"
	fi
}

# SeatAccess=yes on the system heap (90-test.conf): carol, not in video,
# logged in on tty1 by autologin (getty@tty1.service of tests/system/run),
# gets logind's ACL on the node and allocates from her session, whose
# scope's memory.current grows by the buffer; bob, without a session, has
# no ACL and gets EACCES. Her ~/.bash_profile runs seat-session.sh, which
# waits for $seat_dir/go and holds a buffer there (hold-and-check).
seat_dir=/run/dmaheapd-seat-test
check_seat() {
	step "SeatAccess=yes: carol at the seat (tty1) gets an ACL and allocates in her session's cgroup"
	local uid sid="" s i acl scope before after grew out
	uid=$(id -u carol)
	id carol | indent
	# Her login on tty1; systemd 257 also lists her user manager's own
	# session (class manager, no seat).
	for ((i = 0; i < 600; i++)); do
		sid=""
		for s in $(loginctl show-user carol -P Sessions 2>/dev/null); do
			[[ $(loginctl show-session "$s" -P TTY 2>/dev/null) == tty1 ]] && sid=$s
		done
		[[ -n $sid && $(loginctl show-session "$sid" -P State 2>/dev/null) == active ]] && break
		sleep 0.1
	done
	loginctl list-sessions --no-legend 2>&1 | indent
	if [[ -z $sid ]]; then
		fail "carol has no session on tty1 after 60 s (autologin)"
		return
	fi
	loginctl show-session "$sid" -p Seat -p TTY -p State -p Active 2>&1 | indent
	[[ $(loginctl show-session "$sid" -P Seat) == seat0 ]] || fail "carol's session $sid is not on seat0"
	timeout 30 udevadm settle
	acl=$(getfacl -pn "$node" 2>&1)
	indent <<<"$acl"
	if grep -qx "user:$uid:rw-" <<<"$acl"; then
		ok "carol (uid $uid, session $sid on seat0) has an ACL on $node: user:$uid:rw-"
	else
		fail "no ACL for carol (user:$uid:rw-) on $node"
	fi
	if grep -q "^user:$(id -u bob):" <<<"$acl"; then
		fail "bob, without a session, has an ACL on $node"
	else
		ok "bob (no session) has no ACL entry on $node"
	fi
	bob_refused "bob (no session, not in video)" " without a session"

	scope=/sys/fs/cgroup/user.slice/user-$uid.slice/session-$sid.scope
	if [[ ! -r $scope/memory.current ]]; then
		fail "no $scope/memory.current"
		return
	fi
	before=$(cat "$scope/memory.current")
	touch "$seat_dir/go"
	for ((i = 0; i < 600; i++)); do
		[[ -e $seat_dir/ready || -e $seat_dir/done ]] && break
		sleep 0.1
	done
	if [[ ! -e $seat_dir/ready ]]; then
		fail "carol's session did not get its buffer (hold-and-check in seat-session.sh)"
		cat "$seat_dir/hold.out" "$seat_dir/session.log" 2>/dev/null | indent
		return
	fi
	after=$(cat "$scope/memory.current")
	grew=$((after - before))
	echo "    carol's session-$sid.scope memory.current: $before before, $after holding the 4 MiB buffer: +$grew bytes"
	indent <"$seat_dir/session.log" 2>/dev/null
	# The buffer's 4 MiB, less a little of what else the scope freed.
	if ((grew >= 4 * 1024 * 1024 * 15 / 16)); then
		ok "carol allocated 4 MiB in her session: memory.current of session-$sid.scope grew by $grew bytes"
	else
		fail "memory.current of carol's session-$sid.scope grew by $grew bytes, not by the 4 MiB buffer"
	fi
	journalctl --no-pager -u dmaheapd.service -o cat 2>/dev/null | grep -E "allocated, size 4194304, .* uid $uid" | tail -n 1 | indent
	touch "$seat_dir/release"
	for ((i = 0; i < 300; i++)); do
		[[ -e $seat_dir/done ]] && break
		sleep 0.1
	done
	if [[ $(cat "$seat_dir/done" 2>/dev/null) == 0 ]]; then
		ok "carol's buffer read back its pattern and was released"
	else
		fail "carol's hold-and-check ended with '$(cat "$seat_dir/done" 2>/dev/null)'"
		indent <"$seat_dir/hold.out" 2>/dev/null
	fi
}

echo "system test: $kernel_name, $(uname -r), systemd $(systemctl --version | head -n 1)"
check_service_active
check_node
check_takeover
check_users
check_seat
check_spoof
check_restart
check_policy
check_kill
check_stop
check_journal
rm -rf "$tmp"

echo
if [[ ${#failures[@]} -eq 0 ]]; then
	verdict="@@SYSTEM-TEST: PASS@@"
else
	verdict="@@SYSTEM-TEST: FAIL ${failures[0]} (${#failures[@]} failed)@@"
fi
echo "$verdict"
echo "$verdict" >/dev/console
