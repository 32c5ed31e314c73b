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
node=/dev/dma_heap/system
tmp=$(mktemp -d)
chmod 0777 "$tmp" # alice's holding client writes its READY file there

# The journal fields of an allocation record (DMA_HEAP=, CLIENT_PID=,
# CLIENT_UID=, CLIENT_COMM=, SIZE=): "yes" requires them, "auto" checks
# them when the record has any, "no" skips the check.
JOURNAL_FIELDS=yes

failures=()
fail() {
	echo "FAIL: $*"
	failures+=("$*")
}
ok() {
	echo "ok: $*"
}
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

as_user() {
	local user=$1
	shift
	timeout 60 setpriv --reuid "$user" --regid "$user" --init-groups -- "$@"
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
	if [[ $perms == "root video 660" ]]; then
		ok "$node is root:video 0660"
	else
		fail "$node is '$perms', the rules want 'root video 660'"
	fi
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
	if out=$(as_user bob dmaheap-alloc 1M 2>&1); then
		fail "bob: dmaheap-alloc 1M succeeded"
	elif grep -q 'Permission denied' <<<"$out"; then
		ok "bob: open fails with EACCES"
	else
		fail "bob: dmaheap-alloc failed, but not with EACCES"
	fi
	indent <<<"$out"
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
	t1=$(mono_ms)
	echo "systemctl restart took $((t1 - t0)) ms"
	for ((i = 0; i < 100; i++)); do
		[[ -e $node ]] && break
		sleep 0.1
	done
	touch "$tmp/stop"
	wait "$watcher" || fail "the node watcher failed"
	indent <"$tmp/gap.out"
	pid_after=$(systemctl show -P MainPID dmaheapd.service)
	if [[ $pid_after != 0 && $pid_after != "$pid_before" ]]; then
		ok "dmaheapd restarted (pid $pid_before -> $pid_after)"
	else
		fail "dmaheapd did not restart (pid $pid_before -> $pid_after)"
	fi
	if [[ -c $node ]]; then
		ok "$node is back"
	else
		fail "$node is not back 10 s after the restart"
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
	local dropin=/etc/dmaheapd.conf.d/50-policy.conf out pid rec
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

	# No limit of our own in the way of what follows.
	sed -i 's/MaxBytesPerUser=16M/MaxBytesPerUser=infinity/' "$dropin"
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
	step "systemctl stop dmaheapd removes the nodes"
	timeout 90 systemctl stop dmaheapd.service || fail "systemctl stop dmaheapd failed"
	for ((i = 0; i < 50; i++)); do
		[[ -e $node ]] || break
		sleep 0.1
	done
	if [[ -e $node ]]; then
		fail "$node still exists 5 s after systemctl stop"
	else
		ok "$node is gone after systemctl stop"
	fi
	ls -la /dev/dma_heap 2>&1 | indent
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

echo "system test: $(uname -r), systemd $(systemctl --version | head -n 1)"
check_service_active
check_node
check_users
check_restart
check_policy
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
