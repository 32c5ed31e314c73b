#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# ConditionCMA=yes on a kernel without a CMA area (Debian 12's amd64): the
# shipped configuration (configs/shipped.conf, etc/dmaheapd.conf) serves
# its system heap and leaves its contiguous heap out with a notice; a
# configuration whose every heap is left out is refused.
. "$(dirname "$0")/lib.sh"
if grep -q '^CmaTotal: *[1-9]' /proc/meminfo; then
	echo "skip: this kernel has a CMA area ($(grep CmaTotal /proc/meminfo))"
	exit 77
fi
daemon_stop
: >/tmp/shipped.log
dmaheapd --config "$(dirname "$0")/configs/shipped.conf" </dev/null >/tmp/shipped.log 2>&1 &
wait_for heap_served || { cat /tmp/shipped.log; fail "the shipped configuration did not serve $(heap_node)"; }
sed 's/^/    dmaheapd: /' /tmp/shipped.log
grep -qF 'heap "default_cma_region" not served: ConditionCMA=yes, and this kernel has no CMA area' /tmp/shipped.log ||
	fail "no notice that default_cma_region is left out"
for n in default_cma_region reserved; do
	[ ! -e /dev/dma_heap/$n ] || fail "/dev/dma_heap/$n exists on a kernel without CMA"
done
echo "shipped configuration: system served, default_cma_region left out with a notice"
daemon_stop
printf '[Heap]\nName=default_cma_region\nKind=contiguous\nConditionCMA=yes\n' >/tmp/only-cma.conf
refused "only-cma.conf:4" "no heap to serve" -- --config /tmp/only-cma.conf
daemon_start
echo "a configuration of ConditionCMA=yes heaps only: refused"
