#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dmaheapd refuses bad configurations at start-up, naming file, line and
# rule, before it touches the helper (the VM's daemon keeps running).
. "$(dirname "$0")/lib.sh"

expect_refusal bad-value.conf "bad-value.conf:3" "fast"
expect_refusal bad-name.conf "bad-name.conf:2" "cma" \
	"must not mention implementation details" "video-contiguous"
expect_refusal clash.conf "clash.conf:3" "/dev/dma_heap/system already exists"
# An unknown key is a warning, not an error: this one gets as far as the
# helper, which the VM's daemon holds.
expect_refusal unknown-key.conf "unknown-key.conf:3" "Colour" \
	"another dmaheapd is running"
pidof dmaheapd >/dev/null || fail "the VM's daemon died"
echo "bad value, bad name, node clash refused; unknown key warned about"
# No CMA on this kernel: no legacy CMA name to serve.
expect_refusal legacy.conf "legacy.conf:7" "no CMA area"
echo "LegacyNode=yes refused without CMA"
