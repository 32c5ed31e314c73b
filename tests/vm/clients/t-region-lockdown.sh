#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Region claims under kernel lockdown (run last in its boot: lockdown can be
# raised at run time, never lowered, and then refuses unsigned modules).
# With the daemon stopped, lockdown "integrity" is raised through securityfs;
# then opening /dev/mem is refused with EPERM, and so is every REGION_ADD,
# even of the range the daemon claimed before; the daemon refuses to start
# with the region heap and says why.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
base=0x30000000 size=0x4000000
lockdown=/sys/kernel/security/lockdown

[ -e $lockdown ] || mount -t securityfs securityfs /sys/kernel/security ||
	fail "mount securityfs"
[ -e $lockdown ] || fail "no $lockdown: the lockdown LSM is not active"
echo "    $lockdown: $(cat $lockdown)"

daemon_stop
echo integrity >$lockdown || fail "raise lockdown to integrity"
echo "    $lockdown: $(cat $lockdown)"
grep -q '\[integrity\]' $lockdown || fail "lockdown is not integrity"

out=$(head -c 1 /dev/mem 2>&1) && fail "/dev/mem opened under lockdown"
echo "    /dev/mem: $out"
echo "$out" | grep -q "Operation not permitted" || fail "/dev/mem: not EPERM"

"$d/h-region-claim" locked $base $size || fail "claims under lockdown"
expect_refusal stock.conf "memory@30000000-contiguous" "lockdown"
