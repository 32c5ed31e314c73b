#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The daemon at rest (issue 6): resident memory within 4 MiB with the VM's
# heaps (three in vm-heaps), and no wakeup at all in 3 idle seconds, over
# every thread.
. "$(dirname "$0")/lib.sh"
pid=$(pidof dmaheapd) || fail "no daemon"
"$(dirname "$0")/t-alloc" >/dev/null || fail "t-alloc"	# every path warm

switches() {
	total=0
	for s in /proc/"$pid"/task/*/status; do
		v=$(sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "$s")
		n=$(sed -n 's/^nonvoluntary_ctxt_switches:[[:space:]]*//p' "$s")
		total=$((total + v + n))
	done
	echo "$total"
}
sleep 1
before=$(switches)
sleep 3
after=$(switches)
threads=$(ls /proc/"$pid"/task | wc -l)
rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' /proc/"$pid"/status)
echo "nodes: $(ls /dev/dma_heap | tr '\n' ' ')"
echo "$threads threads, VmRSS $rss kB ($(grep -E "^Rss(Anon|File|Shmem)" /proc/"$pid"/status | tr -s "\t " " " | tr "\n" " ")), $((after - before)) context switches in 3 idle seconds"
[ "$after" -eq "$before" ] || fail "the daemon woke up while idle"
[ "$rss" -le 4096 ] || fail "resident memory $rss kB above 4 MiB"

# The helper's refill threads, never kicked here with the pool off or
# unused, sleep interruptibly: a kthread worker never started (since 6.14
# kthread_create_worker() does not start it) waits in D, which counts in
# the load average and trips the hung-task detector.
found=0
for d in /proc/[0-9]*; do
	read -r comm <"$d/comm" 2>/dev/null || continue
	case $comm in dmaheap-*) ;; *) continue ;; esac
	state=$(sed 's/^.*) \(.\).*$/\1/' "$d/stat")
	echo "helper thread $comm: state $state"
	found=$((found + 1))
	[ "$state" != D ] || fail "helper thread $comm in D state while idle"
done
[ "$found" -eq 3 ] || fail "$found helper threads (dmaheap-pool, -mpool, -ready), not 3"
