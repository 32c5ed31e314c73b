#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every failure path of the helper the other tests cannot reach for real,
# armed one at a time through its fault_inject parameter: allocation,
# export and delivery in the ALLOC path, attach and map on import, vmap
# under vivid, and the module's init.
. "$(dirname "$0")/lib.sh"
need_test_hooks
d=$(dirname "$0")
param=/sys/module/dmaheap_helper/parameters/fault_inject

for case in buffer:ENOMEM pages:ENOMEM sg_table:ENOMEM export:ENOMEM \
	reserve:ENOMEM task_work:ESRCH; do
	"$d/h-inject" alloc "${case%:*}" "${case#*:}" || fail "${case%:*}"
done
for site in attach map; do
	"$d/h-inject" import $site ENOMEM
	case $? in
	0) ;;
	77) echo "$site             import -> not reached on this kernel (skip above)" ;;
	*) fail $site ;;
	esac
done

# vmap: vivid maps our buffer in the kernel to draw into it.
echo vmap >$param
if "$d/t-vivid" >/tmp/vivid.out 2>&1; then
	cat /tmp/vivid.out
	fail "t-vivid passed with vmap failing"
fi
[ -z "$(cat $param)" ] || fail "vmap was not reached"
"$d/t-vivid" >/dev/null || fail "t-vivid after the vmap fault"
echo "vmap             vivid  -> capture fails, works again after"

# The module's init: it must not load, and load cleanly next time.
our_thread() { grep -qxE "dmaheap-(ready|pool|mpool)" /proc/[0-9]*/comm 2>/dev/null; }
daemon_stop
rmmod dmaheap_helper || fail "rmmod"
for site in init_dma_dev init_dma_mask init_pool_worker init_pool init_mpool \
	init_mpool_worker init_ready init_ready_shrinker init_misc; do
	# Watched from before insmod: the node must not even show for a
	# moment, or an opener could race the failing init.
	"$d/h-devwatch" dmaheap-helper insmod /lib/modules/dmaheap_helper.ko \
		fault_inject=$site >/tmp/devwatch.out 2>&1
	case $? in
	0) rmmod dmaheap_helper
	   fail "the module loaded with $site failing" ;;
	3) cat /tmp/devwatch.out
	   fail "$site: /dev/dmaheap-helper came and went during the failed init" ;;
	esac
	[ ! -e /dev/dmaheap-helper ] || fail "/dev/dmaheap-helper left by a failed init"
	our_thread && fail "a dmaheap-pool, -mpool or -ready thread left by a failed init"
	echo "$site    insmod -> refused, node never shown, no thread left"
done
insmod /lib/modules/dmaheap_helper.ko || fail "insmod after the init faults"
daemon_start
