#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unloading never frees the code under the tail of a delivery
# (docs/fault-injection.md, init and unload order), stretched by the test
# hook "installed".
. "$(dirname "$0")/lib.sh"
need_test_hooks
dir=$(dirname "$0")

# The tail of a delivery: after fd_install() the caller's thread still
# returns through module code, and another thread may already have closed
# the fd, the fd table's reference, with the daemon gone. The fault site
# "installed" stretches that tail to 5 s of busy waiting. The tail holds a
# reference of its own on the buffer, and the buffer on the module: while
# it runs, the buffer stays live and rmmod is refused (in use), it does not
# wait; once it is over, the buffer goes and the module unloads.
# Full preemption, where the kernel offers it (PREEMPT_DYNAMIC): there the
# busy tail is preemptible and the module loader's own synchronize_rcu()
# does not wait for it; with voluntary preemption (Debian's default) it
# does, which would hide a module that freed its code under the tail.
param=/sys/module/dmaheap_helper/parameters/fault_inject
preempt=/sys/kernel/debug/sched/preempt
mode=""
if [ -w $preempt ]; then
	mode=$(sed 's/.*(\([a-z]*\)).*/\1/' $preempt)
	echo full >$preempt || fail "cannot switch to full preemption"
	echo "preemption: $(cat $preempt) (was $mode)"
else
	echo "preemption: fixed by the kernel's build"
fi
rm -f /tmp/tail.closed
dmesg -c >/dev/null
echo installed >$param
"$dir/h-tail" /tmp/tail.closed &
tail=$!
wait_for test -e /tmp/tail.closed || fail "the dma-buf fd was never seen and closed"
[ -z "$(cat $param)" ] || fail "the installed site was not reached"
daemon_stop
# The race is reached only if the tail still runs when rmmod starts.
kill -0 "$tail" 2>/dev/null || fail "h-tail was back before rmmod: not reached"
counter_is live_buffers 1 ||
	fail "the closed buffer is not held by the tail: live_buffers $(counter live_buffers)"
start=$(cut -d' ' -f1 /proc/uptime)
if rmmod dmaheap_helper; then
	end=$(cut -d' ' -f1 /proc/uptime)
	fail "rmmod unloaded the module during the tail (after $(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }') s)"
fi
[ -d /sys/module/dmaheap_helper ] || fail "the module is gone after a refused rmmod"
echo "rmmod during the tail: refused, the module in use"
wait "$tail"
rc=$?
if dmesg | grep -E -A3 "BUG:|Oops|general protection" >/tmp/tail.dmesg; then
	cat /tmp/tail.dmesg
	fail "the kernel oopsed (h-tail: exit $rc)"
fi
[ $rc -eq 0 ] || fail "h-tail: exit $rc"
wait_for counter_is live_buffers 0 || fail "the closed buffer is still live after the tail"
rmmod dmaheap_helper || fail "rmmod after the tail"
echo "the tail ran to its end, then the buffer went and the module unloaded; no oops"
[ -z "$mode" ] || echo "$mode" >$preempt
insmod /lib/modules/dmaheap_helper.ko || fail "insmod after the tail"
daemon_start
