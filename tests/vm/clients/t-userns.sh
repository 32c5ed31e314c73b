#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# MaxBytesPerUser= counts what a login user holds, whatever uids its user
# namespaces give it (docs/policy.md): uid 1000 enters a namespace mapped
# to 200000-200009, as newuidmap grants with /etc/subuid, and allocates
# the limit from a nested namespace of its own and then under each of the
# 10 uids: only the first fits, each is keyed to uid 1000, the namespaces'
# owner, and dmaheapctl buffers --by=uid shows that key.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
node=/dev/dma_heap/peruser
conf=/tmp/peruser.conf
log=/tmp/dmaheapd.log
ready=/tmp/userns.ready

daemon_with_heap peruser MaxBytesPerUser=1M
base=$(counter live_buffers)

rm -f $ready
"$d/h-userns" $node 1048576 1000 200000 10 $ready &
pid=$!
ready() { [ -s $ready ] && [ "$(wc -l <$ready)" -eq 11 ]; }
if ! wait_for ready; then
	wait $pid
	rc=$?
	[ $rc -eq 77 ] && exit 77
	fail "h-userns did not report (exit $rc)"
fi
sed 's/^/  /' $ready
expected="nested 200001: allocated"
k=0
while [ $k -lt 10 ]; do
	expected="$expected
uid $((200000 + k)): ENOMEM"
	k=$((k + 1))
done
[ "$(cat $ready)" = "$expected" ] ||
	fail "uid 1000 got more than MaxBytesPerUser=1M through its subordinate uids"
wait_for grep -q "over the heap's MaxBytesPerUser=1048576 (counted to uid 1000, its user namespaces' owner).*uid 200009" $log ||
	fail "no MaxBytesPerUser record naming uid 1000"
echo "  logged: $(grep "MaxBytesPerUser=1048576 (counted to uid 1000" $log | tail -1)"
byuid=$(dmaheapctl buffers --by=uid --json)
echo "  dmaheapctl buffers --by=uid: $byuid"
echo "$byuid" | grep -q '{"uid":1000,"heap":"peruser","buffers":1,"bytes":1048576}' ||
	fail "by uid: not counted to uid 1000"
dmaheapctl buffers --by=uid | sed 's/^/    /'

kill $pid
wait $pid
wait_for counter_is live_buffers "$base" ||
	fail "helper: $(counter live_buffers) live, not $base"

# As the shipped unit runs it, without CAP_SYS_PTRACE: callers in the
# daemon's namespace are told apart without it; the owner of another
# namespace cannot be read, and its callers are refused (fail closed).
echo "without CAP_SYS_PTRACE (the shipped unit's bounding set):"
daemon_stop
"$d/h-nocap" dmaheapd --config $conf </dev/null >>$log 2>&1 &
wait_for test -e $node || fail "$node did not appear"
chmod 0666 $node
# h-hold where uid 1001 can run it (the copied directory is root's, 0700)
mkdir -p /tmp/userns-bin
cp "$d/h-hold" /tmp/userns-bin/
chmod 0755 /tmp/userns-bin /tmp/userns-bin/h-hold
out=$("$d/h-runas" 1001 1001 /tmp/userns-bin/h-hold $node 1M 1) ||
	fail "uid 1001 in the daemon's namespace: $out"
echo "  uid 1001: $out"
rm -f $ready
"$d/h-userns" $node 1048576 1000 200000 2 $ready &
pid=$!
ready() { [ -s $ready ] && [ "$(wc -l <$ready)" -eq 3 ]; }
wait_for ready || fail "h-userns did not report"
sed 's/^/  /' $ready
[ "$(cat $ready)" = "nested 200001: EACCES
uid 200000: EACCES
uid 200001: EACCES" ] || fail "callers in a user namespace without CAP_SYS_PTRACE"
grep -q "without CAP_SYS_PTRACE (docs/systemd-unit.md).*errno=EACCES" $log ||
	fail "no notice naming CAP_SYS_PTRACE"
kill $pid
wait $pid
daemon_stop
daemon_start
