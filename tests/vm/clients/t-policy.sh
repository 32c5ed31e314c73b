#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The policy (docs/policy.md): who may open a heap, each limit hit and
# released, dmaheapctl against what the clients hold, and reloads: a
# tighter limit for the next allocation only, nodes kept, added and
# removed, a bad configuration rejected with the old policy in force.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
node=/dev/dma_heap/restricted
conf=/tmp/policy.conf
log=/tmp/dmaheapd.log

# Users: alice may (AllowUsers), bob may not, carol may through a
# supplementary group, dave may use dmaheapctl (ControlGroup). erin may
# through camera too, her 301st supplementary group: the kernel lists
# them ascending, and 300 lower ones come first. frank has the 300
# without camera.
cat >>/etc/passwd <<'PW'
alice:x:1001:1001::/tmp:/bin/sh
bob:x:1002:1002::/tmp:/bin/sh
carol:x:1003:1003::/tmp:/bin/sh
dave:x:1004:1004::/tmp:/bin/sh
erin:x:1005:1005::/tmp:/bin/sh
frank:x:1006:1006::/tmp:/bin/sh
PW
cat >>/etc/group <<'GR'
camera:x:1600:carol
dmactl:x:1500:dave
GR
# The clients where other users can run them (the copied directory is
# root's, 0700), and a directory they can write their READY files to.
w=/tmp/policy
rm -rf $w
mkdir -p $w/bin
chmod 1777 $w
cp "$d/h-hold" "$d/h-runas" "$(command -v dmaheapctl)" $w/bin/
chmod 0755 $w/bin $w/bin/*
PATH=$w/bin:$PATH
d=$w/bin
alice="$d/h-runas 1001 1001"
bob="$d/h-runas 1002 1002"
carol="$d/h-runas 1003 1003,1600"
dave="$d/h-runas 1004 1004,1500"
erin="$d/h-runas 1005 1005,1300-1599,1600"
frank="$d/h-runas 1006 1006,1300-1599"

write_conf() {	# write_conf MAXBUFFERSIZE [EXTRA-HEAP]
	cat >$conf <<EOF2
[Daemon]
ControlGroup=dmactl

[Heap]
Name=$(heap_name)

[Heap]
Name=restricted
AllowUsers=alice
AllowGroups=camera
MaxBufferSize=$1
MaxBytesPerProcess=4M
MaxBytesPerUser=6M
MaxBytes=8M
EOF2
	[ -z "${2:-}" ] || printf '\n[Heap]\nName=%s\n' "$2" >>$conf
}

ready() { [ -s "$1" ]; }
# hold NAME USER-PREFIX SIZE COUNT: a client holding buffers in the
# background; its pid in $NAME_pid, its line in /tmp/NAME.ready.
hold() {
	rm -f $w/$1.ready
	$2 "$d/h-hold" $node "$3" "$4" $w/$1.ready &
	eval "$1_pid=$!"
	wait_for ready $w/$1.ready || fail "$1 did not report"
	echo "  $1 ($3 x $4): $(cat $w/$1.ready)"
}
expect() {	# expect NAME LINE
	[ "$(cat $w/$1.ready)" = "$2" ] || fail "$1: \"$(cat $w/$1.ready)\", not \"$2\""
}
release() {	# release NAME: the client exits, its buffers go
	eval "kill \$$1_pid; wait \$$1_pid"
}
live() { dmaheapctl heaps --json | sed -n 's/.*"name":"restricted"[^}]*}[^}]*"live_bytes":\([0-9]*\).*/\1/p'; }
live_is() { [ "$(live)" = "$1" ]; }
logged() { grep -q "$1" $log; }

daemon_stop
write_conf 2M
base=$(counter live_buffers)
dmaheapd --config $conf </dev/null >>$log 2>&1 &
wait_for test -e $node || fail "$node did not appear"
wait_for test -S /run/dmaheapd/control || fail "no control socket"
chmod 0666 $node	# as the udev rules would, for group video

echo "access at open:"
out=$($alice "$d/h-hold" $node 4K 1) || fail "alice denied: $out"
echo "  alice (AllowUsers): $out"
out=$($carol "$d/h-hold" $node 4K 1) || fail "carol denied: $out"
echo "  carol (supplementary group camera): $out"
out=$($erin "$d/h-hold" $node 4K 1) || fail "erin denied: $out"
echo "  erin (camera after 300 other supplementary groups): $out"
out=$($frank "$d/h-hold" $node 4K 1) && fail "frank allowed: $out"
[ "$out" = "open: EACCES" ] || fail "frank: $out, not EACCES"
echo "  frank (300 supplementary groups, not camera): $out"
out=$($bob "$d/h-hold" $node 4K 1) && fail "bob allowed: $out"
[ "$out" = "open: EACCES" ] || fail "bob: $out, not EACCES"
echo "  bob: $out"
wait_for logged "open denied by AllowUsers=/AllowGroups=.*uid 1002" ||
	fail "no log record of bob's denial"
# Failure records are limited per user: frank's 30 denials do not use up
# the budget of bob's next one (one budget for everyone, before).
denials() { grep -c "open denied by AllowUsers=/AllowGroups=.*uid $1" $log; }
i=0
while [ $i -lt 30 ]; do
	$frank "$d/h-hold" $node 4K 1 >/dev/null && fail "frank allowed"
	i=$((i + 1))
done
bob0=$(denials 1002)
$bob "$d/h-hold" $node 4K 1 >/dev/null && fail "bob allowed"
wait_for test "$(denials 1002)" -gt "$bob0" ||
	fail "bob's denial not logged after frank's 30"
echo "  frank denied 30 times ($(denials 1006) logged), bob's next denial logged all the same"

echo "limits:"
out=$($alice "$d/h-hold" $node 4M 1) && fail "a 4M buffer passed MaxBufferSize=2M"
[ "$out" = "alloc 1: ENOMEM" ] || fail "4M: $out"
wait_for logged "over the heap's MaxBufferSize=2097152" || fail "no MaxBufferSize record"
echo "  MaxBufferSize=2M, 4M: $out, logged"
out=$($alice "$d/h-hold" $node 2M 3)
[ "$out" = "alloc 3: ENOMEM" ] || fail "third 2M in one process: $out"
wait_for logged "over the heap's MaxBytesPerProcess" ||
	fail "no MaxBytesPerProcess record"
echo "  MaxBytesPerProcess=4M, 3 x 2M: $out, logged"
wait_for live_is 0 || fail "live $(live) after the client exited"
# A 4 KiB buffer is made ahead and deferred: its limits are checked after
# the reply (docs/policy.md), the refusal reaching the caller through the
# helper. The 1025th page of one process is past MaxBytesPerProcess=4M
# only: refused when the ledger commits it.
n0=$(grep -c "over the heap's MaxBytesPerProcess" $log)
out=$(ulimit -n 2048 && $alice "$d/h-hold" $node 4K 1025)
[ "$out" = "alloc 1025: ENOMEM" ] || fail "1025 x 4K in one process: $out"
wait_for test "$(grep -c "over the heap's MaxBytesPerProcess" $log)" -gt "$n0" ||
	fail "no MaxBytesPerProcess record for the 4K buffer"
wait_for live_is 0 || fail "live $(live) after the 4K client exited"
echo "  MaxBytesPerProcess=4M, 1025 x 4K (deferred): $out, logged"
hold a1 "$alice" 2M 2
expect a1 "allocated 2"
hold a2 "$alice" 2M 2
expect a2 "alloc 2: ENOMEM"
wait_for logged "over the heap's MaxBytesPerUser" || fail "no MaxBytesPerUser record"
echo "  MaxBytesPerUser=6M: alice's second process got $(cat $w/a2.ready)"
hold c1 "$carol" 2M 1
expect c1 "allocated 1"
out=$($carol "$d/h-hold" $node 2M 1)
[ "$out" = "alloc 1: ENOMEM" ] || fail "2M past MaxBytes=8M: $out"
wait_for logged "over the heap's MaxBytes=" || fail "no MaxBytes record"
echo "  MaxBytes=8M (alice 6M, carol 2M): carol's next: $out"
n0=$(grep -c "over the heap's MaxBytes=.*size 4096" $log)
out=$($carol "$d/h-hold" $node 4K 1)
[ "$out" = "alloc 1: ENOMEM" ] || fail "4K past MaxBytes=8M: $out"
wait_for test "$(grep -c "over the heap's MaxBytes=.*size 4096" $log)" -gt "$n0" ||
	fail "no MaxBytes record for the 4K buffer"
echo "  MaxBytes=8M full, a 4K buffer (deferred): $out, logged"

echo "dmaheapctl against the clients:"
dmaheapctl buffers | sed 's/^/    /'
dmaheapctl heaps | sed 's/^/    /'
row() { dmaheapctl buffers | awk -v p="$1" '$1 == p { print $3, $4, $5, $6 }'; }
[ "$(row $a1_pid)" = "1001 restricted 2 4M" ] || fail "a1 row: $(row $a1_pid)"
[ "$(row $a2_pid)" = "1001 restricted 1 2M" ] || fail "a2 row: $(row $a2_pid)"
[ "$(row $c1_pid)" = "1003 restricted 1 2M" ] || fail "c1 row: $(row $c1_pid)"
[ "$(live)" = $((8 * 1048576)) ] || fail "heaps says $(live) live bytes"
byuid=$(dmaheapctl buffers --by=uid --json)
echo "$byuid" | grep -q '{"uid":1001,"heap":"restricted","buffers":3,"bytes":6291456}' ||
	fail "by uid: $byuid"
[ $(($(counter live_buffers) - base)) -eq 4 ] || fail "the helper has $(counter live_buffers) live, not $base + 4"
echo "  4 buffers, 3 processes, 2 users: as the clients hold them"

echo "released:"
release a1
wait_for live_is $((4 * 1048576)) || fail "live $(live) after a1 exited"
out=$($carol "$d/h-hold" $node 2M 1) || fail "after a1 exited, carol: $out"
out=$($alice "$d/h-hold" $node 2M 2) || fail "after a1 exited, alice: $out"
echo "  a1 exited: live $(live), MaxBytes and MaxBytesPerUser have room again"

echo "dmaheapctl access:"
out=$($dave dmaheapctl heaps 2>&1) || fail "dave (ControlGroup): $out"
out=$($bob dmaheapctl heaps 2>&1) && fail "bob used dmaheapctl: $out"
echo "$out" | grep -q "Permission denied\|EACCES\|not allowed" || fail "bob: $out"
echo "  dave (dmactl) may, bob may not: $out"

echo "reload:"
ino=$(ls -i $node | awk '{print $1}')
hold a3 "$alice" 2M 1
write_conf 1M extra
out=$(dmaheapctl reload) || fail "reload: $out"
echo "  $out"
wait_for test -e /dev/dma_heap/extra || fail "extra did not appear"
[ "$(ls -i $node | awk '{print $1}')" = "$ino" ] || fail "$node was re-created"
out=$($alice "$d/h-hold" $node 2M 1) && fail "2M after MaxBufferSize=1M: $out"
out=$($alice "$d/h-hold" $node 1M 1) || fail "1M after the reload: $out"
row_a3=$(row $a3_pid)
[ "$row_a3" = "1001 restricted 1 2M" ] || fail "a3 after reload: $row_a3"
kill -USR1 $a3_pid; wait $a3_pid || fail "a3's buffer broke over the reload"
echo "  MaxBufferSize=1M: 2M refused, 1M allocated; a3's 2M buffer kept and intact; $node kept (inode $ino); extra added"
"$d/h-hold" /dev/dma_heap/extra 1M 1 >/dev/null || fail "extra does not allocate"

printf '[Heap]\nName=broken\nMaxBytes=lots\n' >>$conf
out=$(dmaheapctl reload 2>&1) && fail "a bad configuration was accepted: $out"
echo "  bad: $out"
echo "$out" | grep -q "invalid MaxBytes=" || fail "no reason given"
[ -e /dev/dma_heap/extra ] || fail "extra vanished after a rejected reload"
out=$($alice "$d/h-hold" $node 2M 1) && fail "the old MaxBufferSize=1M is gone: $out"
echo "  rejected whole, MaxBufferSize=1M still in force"

write_conf 2M
kill -HUP "$(pidof dmaheapd)"
wait_for test ! -e /dev/dma_heap/extra || fail "extra still there after SIGHUP"
out=$($alice "$d/h-hold" $node 2M 1) || fail "MaxBufferSize=2M after SIGHUP: $out"
echo "  SIGHUP: extra removed, MaxBufferSize=2M again"

release a2
release c1
wait_for live_is 0 || fail "live $(live) with every client gone"
[ "$(counter live_buffers)" -eq "$base" ] || fail "helper: $(counter live_buffers) live, not $base"
daemon_stop
daemon_start
# Heaps from --heap: a reload has nothing to read, and says so.
out=$(dmaheapctl reload 2>&1) && fail "reload with --heap: $out"
echo "$out" | grep -q "nothing to reload" || fail "reload with --heap: $out"
echo "  --heap: $out"
heap_served || fail "the --heap node went away"
