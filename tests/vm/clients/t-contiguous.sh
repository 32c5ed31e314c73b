#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The contiguous heap of a kernel without CMA (configs/stock.conf): one
# block of buddy pages, at most 4 MiB; -ENOMEM beyond, and when no block is
# left.
. "$(dirname "$0")/lib.sh"
need_test_hooks
DMAHEAP=/dev/dma_heap/system-contiguous
export DMAHEAP
t=$(dirname "$0")/h-contig

$t contiguity 4K 64K 1M 4M || fail contiguity
$t reuse 4M || fail reuse
$t too-big 8M || fail "8 MiB"
$t too-big 4100K || fail "4 MiB + 4 KiB"
$t exhaust 4M 1000 || fail exhaustion
# Its failure paths: no block, no sg table (fault_inject).
"$(dirname "$0")/h-inject" alloc pages ENOMEM || fail "pages fault"
"$(dirname "$0")/h-inject" alloc sg_table ENOMEM || fail "sg_table fault"
