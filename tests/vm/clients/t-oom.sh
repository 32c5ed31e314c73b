#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Requests near and above the machine's memory: an fd or ENOMEM, never the
# OOM killer (6.1's own system heap calls it, and it chose the daemon); the
# daemon keeps serving.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
pid=$(pidof dmaheapd)
kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
for pct in 95 90 110; do
	mib=$((kib * pct / 100 / 1024))
	out=$(DMAHEAPD_BIG_MIB=$mib "$d/h-big") || fail "$pct% of RAM: $out"
	echo "$pct% of RAM ($mib MiB): $out"
done
[ "$(pidof dmaheapd)" = "$pid" ] || fail "the daemon did not survive"
dmesg | grep -q "Out of memory" && fail "the OOM killer ran: $(dmesg | grep 'Out of memory')"
"$d/t-alloc" >/dev/null || fail "the daemon does not serve afterwards"
echo "no OOM kill, the same daemon serves"
