#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fs.file-max holds for dma-bufs as for any file (docs/ioctl-contract.md):
# with the count above file-max, an unprivileged client gets ENFILE, as
# the kernel's heaps answer (its dma-buf file is refused), and root, with
# CAP_SYS_ADMIN, still gets its buffer. The dma-buf file is made in the
# daemon, which has CAP_SYS_ADMIN: without its own check, the client's
# buffer came through. With $DMAHEAP (run-suite --heap), against that node.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
node=${DMAHEAP:-$(heap_node)}
log=${DMAHEAPD_LOG:-/tmp/dmaheapd.log}
w=/tmp/enfile
rm -rf $w
mkdir -p $w/bin
chmod 1777 $w
cp "$d/h-enfile" "$d/h-hold" "$d/h-runas" $w/bin/
chmod 0755 $w/bin $w/bin/*
mode=$(stat -c %a $node)
max=$(cat /proc/sys/fs/file-max)
restore() {
	echo "$max" >/proc/sys/fs/file-max
	chmod "$mode" $node
}
trap restore EXIT
chmod 0666 $node

client_ready() { grep -q ready "$1"; }
# unprivileged NAME: uid 1001 opens the node; allocates on SIGUSR1
unprivileged() {
	"$w/bin/h-runas" 1001 1001 "$w/bin/h-enfile" $node 4096 >$w/$1.out 2>&1 &
	eval "$1_pid=$!"
	wait_for client_ready $w/$1.out || fail "$1: $(cat $w/$1.out)"
}
result() { sed -n 2p $w/$1.out; }

unprivileged before
unprivileged over
# file-max 0: up to Linux 6.15 the count the kernel tests, and file-nr
# shows, is a per-CPU counter's global part, which lags the true count by
# up to 32 files a CPU either way; in this small guest it reads 0 to 64,
# and 0 at times while files come and go. Any limit above 0 may then stop
# refusing for a moment, for the kernel's heaps as for ours; 0 cannot.
set -- $(cat /proc/sys/fs/file-nr)
nr=$1
low=0
echo "files: $nr of file-max $max; file-max now $low"
echo $low >/proc/sys/fs/file-max

kill -USR1 $over_pid
wait $over_pid
echo "  uid 1001: $(result over)"
[ "$(result over)" = ENFILE ] || fail "uid 1001 past file-max: $(result over), not ENFILE"
out=$("$w/bin/h-hold" $node 4K 1) || fail "root past file-max: $out"
echo "  root (CAP_SYS_ADMIN): $out"

restore
kill -USR1 $before_pid
wait $before_pid
echo "  file-max $max again: uid 1001: $(result before)"
[ "$(result before)" = allocated ] || fail "uid 1001 after file-max was restored: $(result before)"
# A client allocating back to back while file-max is lowered under it: the
# daemon reads file-nr again at least every FILEMAX_READ_EVERY (32)
# allocations and when its reading is 10 ms old (daemon/filemax.h), so at
# most 32 more get through; the kernel's heaps let none. Three times: where
# the change falls in the daemon's cycle of reads varies.
chmod 0666 $node
for round in 1 2 3; do
	"$w/bin/h-runas" 1001 1001 "$w/bin/h-enfile" $node 4096 loop >$w/loop.out 2>&1 &
	loop_pid=$!
	wait_for client_ready $w/loop.out || {
		kill $loop_pid
		fail "loop: $(cat $w/loop.out)"
	}
	sleep 0.5
	echo $low >/proc/sys/fs/file-max
	wait $loop_pid
	res=$(result loop)
	echo "$max" >/proc/sys/fs/file-max
	echo "  uid 1001 allocating back to back, file-max lowered ($round): $res"
	case $res in
	"ENFILE after "*) [ "${res#ENFILE after }" -le 32 ] ||
		fail "uid 1001: $res allocations past file-max, more than 32" ;;
	*) fail "uid 1001 allocating back to back past file-max: $res" ;;
	esac
done
restore

if [ -z "${DMAHEAP:-}" ]; then
	grep -q "errno=ENFILE" $log || fail "no log record of the ENFILE"
	echo "  logged: $(grep "errno=ENFILE" $log | tail -1)"
fi
