#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# KernelHeaps=move on a kernel with heaps of its own: the reference kernel
# has "system" and "reserved" (CMA), Debian 13's and sid's "system" only.
# dmaheapd serves those names (reserved as the legacy node of a contiguous
# heap; beside system on the others, a heap of ours that is not the
# kernel's, "camera"), the kernel's nodes wait in /dev/dma_heap-kernel/
# with their device number, mode and owner, and come back when dmaheapd
# stops (no moment without a node), after a SIGKILL through
# --restore-kernel-nodes or by the next start, and when a reload drops the
# heap. KernelHeaps=keep refuses the clash as before.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
K=/dev/dma_heap-kernel
if [ ! -e /sys/class/dma_heap/system ]; then
	echo "skip: this kernel has no heap of its own to take over"
	exit 77
fi
if [ -e /sys/class/dma_heap/reserved ]; then
	knames="system reserved" other=reserved
	conf=$d/configs/takeover.conf reload=$d/configs/takeover-reload.conf
else
	knames=system other=camera
	conf=$d/configs/takeover-system.conf
	reload=$d/configs/takeover-system-reload.conf
fi
# use_other: an unchanged client on the heap that stays through the reload.
use_other() {
	if [ $other = reserved ]; then
		DMAHEAP=/dev/dma_heap/reserved "$d/h-contig" contiguity "$1"
	else
		DMAHEAP=/dev/dma_heap/$other "$d/t-alloc" >/dev/null
	fi
}

# MAJ:MIN of a node, as sysfs writes it.
rdev() {
	_r=$(stat -c '%t %T' "$1" 2>/dev/null) || return 1
	set -- $_r
	echo "$((0x$1)):$((0x$2))"
}
kdev() { cat "/sys/class/dma_heap/$1/dev"; }
# served NAME: /dev/dma_heap/NAME is dmaheapd's CUSE node.
served() {
	[ -c "/dev/dma_heap/$1" ] &&
		[ "$(rdev "/dev/dma_heap/$1")" = "$(cat "/sys/class/cuse/dma_heap!$1/dev" 2>/dev/null)" ]
}
# kernel_at PATH NAME: PATH is the kernel's node of heap NAME, as it was.
kernel_at() {
	[ -c "$1" ] && [ "$(rdev "$1")" = "$(kdev "$2")" ] &&
		[ "$(stat -c '%a %U:%G' "$1")" = "$(eval echo "\$mode_$2")" ]
}
kernel_home() { kernel_at "/dev/dma_heap/$1" "$1"; }
all_home() {
	for _n in $knames; do
		kernel_home $_n || return 1
	done
	[ ! -e $K ]
}
# all_aside: every kernel node of $knames waits in $K as it was.
all_aside() {
	for _n in $knames; do
		kernel_at $K/$_n $_n || return 1
	done
}
all_served() {
	for _n in $knames $other; do
		served $_n || return 1
	done
}
tk_pid=
tk_start() {
	dmaheapd --config "$1" </dev/null >>/tmp/dmaheapd.log 2>&1 &
	tk_pid=$!
}
tk_gone() { ! kill -0 "$tk_pid" 2>/dev/null; }
cleanup() {
	[ -z "$tk_pid" ] || kill "$tk_pid" 2>/dev/null
	[ -z "$tk_pid" ] || wait_for tk_gone
	dmaheapd --restore-kernel-nodes >>/tmp/dmaheapd.log 2>&1
	daemon_start
}
die() {
	echo "--- ls -l /dev/dma_heap $K"
	ls -l /dev/dma_heap $K 2>&1
	cleanup
	fail "$@"
}

# The VM's daemon may serve one of these names already (the default suite).
daemon_stop
for n in $knames; do
	[ -c /dev/dma_heap/$n ] || fail "the kernel's /dev/dma_heap/$n is missing"
	[ "$(rdev /dev/dma_heap/$n)" = "$(kdev $n)" ] ||
		fail "/dev/dma_heap/$n is not the kernel's device $(kdev $n)"
	eval "mode_$n=\"$(stat -c '%a %U:%G' /dev/dma_heap/$n)\""
	echo "kernel's $n: device $(kdev $n), $(eval echo "\$mode_$n")"
done
[ ! -e $K ] || fail "$K exists with no dmaheapd running"

# 1. The default, move: dmaheapd serves the names, the kernel's wait aside.
tk_start "$conf"
wait_for all_served || die "dmaheapd did not serve $knames $other"
all_aside || die "$K does not hold the kernel's nodes ($knames) as they were"
[ "$(stat -c '%a %U:%G' $K)" = "755 root:root" ] || die "$K is not root's 0755"
kernel_devs=$(cat /sys/class/dma_heap/*/dev)
for f in /dev/dma_heap/*; do
	for k in $kernel_devs; do
		[ "$(rdev "$f")" != "$k" ] || die "$f in /dev/dma_heap is the kernel's $k"
	done
done
echo "serving: $(ls /dev/dma_heap | tr '\n' ' '); aside: $(ls $K | tr '\n' ' ')"
grep -F "moved the kernel's node /dev/dma_heap/system to $K/system" /tmp/dmaheapd.log ||
	die "no notice of the move"

# Unchanged clients on our nodes (the helper counts them) and on the kernel's.
before=$(counter allocations)
DMAHEAP=/dev/dma_heap/system "$d/t-alloc" || die "t-alloc on /dev/dma_heap/system"
use_other 16M || die "a client on /dev/dma_heap/$other"
[ "$(counter allocations)" -gt "$before" ] || die "the helper saw no allocation"
before=$(counter allocations)
DMAHEAP=$K/system "$d/t-alloc" || die "t-alloc on the kernel's $K/system"
[ "$(counter allocations)" -eq "$before" ] || die "$K/system went through dmaheapd"
echo "allocated from our system and $other, and from the kernel's $K/system"

# 2. SIGTERM: both put back, with no moment where /dev/dma_heap/system is missing.
rm -f /tmp/gap /tmp/looks
( n=0
while [ ! -e /tmp/watch-stop ]; do
	[ -e /dev/dma_heap/system ] || echo gap >>/tmp/gap
	n=$((n + 1))
done
echo $n >/tmp/looks ) &
watcher=$!
sleep 0.3
kill "$tk_pid"
wait_for tk_gone || die "dmaheapd did not stop on SIGTERM"
touch /tmp/watch-stop
wait "$watcher"
rm -f /tmp/watch-stop
wait_for all_home || die "the kernel's nodes are not back after SIGTERM"
[ ! -e /tmp/gap ] || die "/dev/dma_heap/system was missing $(wc -l </tmp/gap) times during the stop"
echo "/dev/dma_heap/system looked at $(cat /tmp/looks) times during the stop, always there"
grep -F "put the kernel's node back: $K/system to /dev/dma_heap/system" /tmp/dmaheapd.log ||
	die "no notice of the put back"
sleep 1
all_home || die "a kernel node went away after the CUSE session ended"
echo "SIGTERM: kernel nodes back, same device and mode, $K gone, no gap"

# 3. SIGKILL, then --restore-kernel-nodes as ExecStopPost= runs it.
tk_start "$conf"
wait_for served system || die "restart: system not served"
kill -KILL "$tk_pid"
wait_for tk_gone || die "dmaheapd survived SIGKILL"
wait_for kernel_at $K/system system || die "after SIGKILL $K/system is gone"
dmaheapd --restore-kernel-nodes || die "--restore-kernel-nodes failed"
all_home || die "--restore-kernel-nodes did not put the nodes back"
echo "SIGKILL: --restore-kernel-nodes put them back"

# 4. SIGKILL and a plain restart: the node aside is taken up again.
tk_start "$conf"
wait_for served system || die "restart: system not served"
kill -KILL "$tk_pid"
wait_for tk_gone || die "dmaheapd survived SIGKILL"
tk_start "$conf"
wait_for all_served || die "a restart after SIGKILL did not serve $knames $other"
kernel_at $K/system system || die "$K/system lost on the restart"
DMAHEAP=/dev/dma_heap/system "$d/t-alloc" || die "t-alloc after the restart"
kill "$tk_pid"
wait_for tk_gone || die "dmaheapd did not stop on SIGTERM"
all_home || die "the kernel's nodes are not back after the restart's SIGTERM"
echo "SIGKILL then restart: served again, put back on SIGTERM"

# 5. A reload that drops the system heap puts that node back only.
cp "$conf" /tmp/takeover.conf
tk_start /tmp/takeover.conf
wait_for all_served || die "reload: not served"
cp "$reload" /tmp/takeover.conf
kill -HUP "$tk_pid"
wait_for kernel_home system || die "the reload did not put system back"
served $other || die "the reload lost $other"
[ $other != reserved ] || kernel_at $K/reserved reserved || die "the reload lost $K/reserved"
use_other 1M || die "a client on $other after the reload"
# And one that adds it again takes the node over again.
cp "$conf" /tmp/takeover.conf
kill -HUP "$tk_pid"
wait_for served system || die "the reload that adds system did not serve it"
kernel_at $K/system system || die "the reload that adds system did not move it"
kill "$tk_pid"
wait_for tk_gone || die "dmaheapd did not stop on SIGTERM"
all_home || die "the kernel's nodes are not back after the reload and stop"
echo "reload without system: system back, $other still ours; with it again: taken again"

# 6. KernelHeaps=keep: refused, as before the takeover.
expect_refusal takeover-keep.conf "takeover-keep.conf:3" \
	"/dev/dma_heap/system already exists"
all_home || die "KernelHeaps=keep touched the kernel's nodes"

tk_pid=
daemon_start
echo "KernelHeaps=keep refused system; the VM's daemon serves again"
