#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A kernel that does not let modules read the firmware's memory map (sid's
# 7.2 keeps e820__mapped_raw_any() for KVM): the helper has no region kind,
# so even the range memmap=64M$0x30000000 set aside is refused, -EOPNOTSUPP,
# never claimed unchecked; the daemon refuses stock.conf and says why.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")

grep -q "memmap=64M\$0x30000000" /proc/cmdline || fail "booted without memmap="
daemon_stop
"$d/h-region-claim" unbuilt 0x30000000 0x4000000 || { daemon_start; fail "REGION_ADD"; }
expect_refusal stock.conf "memory@30000000-contiguous" "no region kind"
grep -q "dmaheap-helper region" /proc/iomem && fail "the range was claimed"
daemon_start
