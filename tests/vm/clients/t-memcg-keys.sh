#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The tests' memory cgroups come and go without the kernel rewriting its
# own code. The first memory cgroup turns static keys on, and the last one
# gone turns some off: jump labels are patched while other CPUs run through
# them, and under TCG that has crashed a guest (a double fault in
# kmem_cache_alloc_lru, in the helper's refill thread, as a benchmark made
# its first cgroup). The VM's /init makes a memory cgroup before any module
# or daemon runs and keeps it (tests/vm/guest-init, hold_memcg_keys); this
# counts the jump label patches, with a kprobe, while cgroups are made,
# entered, limited, left and removed, and wants none. The probe patches
# only the function it counts, which nothing runs meanwhile; its event is
# enabled with tracing's record-cmd off, which would otherwise turn on the
# scheduler's tracepoints, in code that every CPU runs.
. "$(dirname "$0")/lib.sh"
cg=/sys/fs/cgroup
tr=/sys/kernel/tracing
probe='' probed='' record_cmd='' stacktrace=''

cleanup() {
	echo $$ >$cg/cgroup.procs 2>/dev/null
	rmdir $cg/t-keys/child $cg/t-keys 2>/dev/null
	if [ -n "$probed" ]; then
		echo 0 >$tr/events/kprobes/t_keys/enable
		echo "-:kprobes/t_keys" >>$tr/kprobe_events
	fi
	[ -z "$stacktrace" ] || echo "$stacktrace" >$tr/options/stacktrace
	[ -z "$record_cmd" ] || echo "$record_cmd" >$tr/options/record-cmd
	memcg_teardown
}
trap cleanup EXIT

memcg_setup
if ! [ -e $tr/kprobe_events ]; then
	mount -t tracefs none $tr 2>/dev/null
	[ -e $tr/kprobe_events ] ||
		{ echo "skip: no kprobe_events in $tr"; exit 77; }
fi
# Batched on x86 (one call a batch of sites), one site a call elsewhere.
for f in arch_jump_label_transform_apply arch_jump_label_transform; do
	if grep -q " [Tt] $f$" /proc/kallsyms; then
		probe=$f
		break
	fi
done
[ -n "$probe" ] || { echo "skip: no jump label function to probe"; exit 77; }
record_cmd=$(cat $tr/options/record-cmd) || fail "no $tr/options/record-cmd"
echo 0 >$tr/options/record-cmd || fail "record-cmd off"
# Each hit with its stack, to name the key on a failure.
stacktrace=$(cat $tr/options/stacktrace) || fail "no $tr/options/stacktrace"
echo 1 >$tr/options/stacktrace || fail "stacktrace on"
echo >$tr/trace
echo "p:kprobes/t_keys $probe" >>$tr/kprobe_events ||
	fail "kprobe on $probe"
probed=1
echo 1 >$tr/events/kprobes/t_keys/enable || fail "enable the kprobe"
# The kprobe's own optimisation patches code, in a delayed work.
sleep 1

hits() { awk '$1 == "t_keys" { print $2 }' $tr/kprobe_profile; }
before=$(hits)
[ -n "$before" ] || fail "no t_keys line in $tr/kprobe_profile"

mkdir $cg/t-keys || fail "mkdir $cg/t-keys"
echo +memory >$cg/t-keys/cgroup.subtree_control || fail "+memory in t-keys"
mkdir $cg/t-keys/child || fail "mkdir $cg/t-keys/child"
echo 64M >$cg/t-keys/child/memory.max || fail "memory.max"
echo $$ >$cg/t-keys/child/cgroup.procs || fail "enter t-keys/child"
head -c 1048576 /dev/zero >/tmp/t-keys && rm /tmp/t-keys
echo $$ >$cg/cgroup.procs || fail "leave t-keys/child"
rmdir $cg/t-keys/child $cg/t-keys || fail "rmdir the cgroups"
# The keys turned on by mkdir are always counted here. Those a cgroup turns
# off go when it is freed, after a grace period and its last charge: maybe
# later than this test. A little time for most of it.
sleep 2

after=$(hits)
echo "$probe calls while memory cgroups came and went: $((after - before))"
if [ "$after" -ne "$before" ]; then
	sed 's/^/    /' $tr/trace
	fail "the kernel patched jump labels $((after - before)) times (stacks above): the tests' memory cgroups turn static keys on and off (is /init's kept cgroup, $cg/vm-keys, there?)"
fi
echo "ok: no jump label patched"
