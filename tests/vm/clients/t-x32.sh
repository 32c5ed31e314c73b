#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# t-alloc, t-errors and t-signal built as x32 programs (-mx32): 64-bit syscalls with
# 32-bit pointers, which FUSE marks compat like ia32 ones. Debian's kernels
# run them only when booted with syscall.x32=y, as run-vm-tests boots them.
d=$(dirname "$0")
if [ ! -x "$d/t-alloc-x32" ] || [ ! -x "$d/t-errors-x32" ]; then
	echo "skip: the x32 clients were not built (libc6-dev-x32)"
	exit 77
fi
# Debian's switch; a kernel without it runs no x32 program here either.
if [ "$(cat /sys/module/syscall/parameters/x32 2>/dev/null)" != Y ]; then
	echo "skip: this kernel runs no x32 programs (Debian's: syscall.x32=y)"
	exit 77
fi
counter=/sys/class/misc/dmaheap-helper/deliveries_dropped
dropped=$(cat $counter 2>/dev/null)
"$d/t-alloc-x32" || exit 1
# Each buffer reached its caller ("-" on the kernel's own heap: no helper).
after=$(cat $counter 2>/dev/null)
if [ "${after:--}" != "${dropped:--}" ]; then
	echo "FAIL: deliveries_dropped went from $dropped to $after" >&2
	exit 1
fi
"$d/t-errors-x32" || exit 1
"$d/t-signal-x32" || exit 1
echo "x32: t-alloc, t-errors and t-signal pass, t-alloc's buffers all delivered"
