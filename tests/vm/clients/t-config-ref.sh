#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# On the reference kernel, which creates "system" and "reserved" itself,
# dmaheapd refuses a name or a legacy node the kernel already serves.
. "$(dirname "$0")/lib.sh"

[ -e /dev/dma_heap/reserved ] || fail "the kernel's reserved heap is missing"
expect_refusal system-clash.conf "system-clash.conf:3" "/dev/dma_heap/system already exists" "try \"system-2\""
expect_refusal legacy.conf "legacy.conf:7" "LegacyNode= \"reserved\": /dev/dma_heap/reserved already exists"
pidof dmaheapd >/dev/null || fail "the VM's daemon died"
echo "system and the legacy node reserved refused"
