#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/system/seat-session.sh: what carol's login shell runs (her
# ~/.bash_profile execs it), inside her logind session on tty1, for the
# system test's SeatAccess= check (checks.sh, check_seat): once the checks
# create $dir/go, hold a 4 MiB buffer of /dev/dma_heap/system with the
# unchanged hold-and-check until they create $dir/release, and write its
# exit status to $dir/done. Bounded: it waits at most 240 s for go, and then
# sleeps, so that the getty does not log her in again and again.
dir=/run/dmaheapd-seat-test
here=/usr/local/libexec/dmaheapd-system-test
{
	echo "seat-session: $(id -un) pid $$ tty $(tty) cgroup $(cat /proc/self/cgroup)"
	for ((i = 0; i < 2400; i++)); do
		[[ -e $dir/go ]] && break
		sleep 0.1
	done
} >"$dir/session.log" 2>&1
if [[ -e $dir/go ]]; then
	"$here/hold-and-check" hold /dev/dma_heap/system "$dir/ready" "$dir/release" \
		>"$dir/hold.out" 2>&1
	echo $? >"$dir/done"
fi
exec sleep 600
