#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# dmaheap-bench runs to the end on our node, alone and side by side over 2
# rounds: every row, a sample in each, the ratio column and its range, the
# sustained rows (each size back to back, at least 200 in a row) in the
# JSON and the table, a bad argument refused, and nothing left behind (no
# buffer, no wake-up partner process). A smoke test: no timing is judged.
. "$(dirname "$0")/lib.sh"
bench=$(dirname "$0")/dmaheap-bench
[ -x "$bench" ] || { echo "skip: dmaheap-bench was not built"; exit 77; }
node=$(heap_node)
base=$(counter live_buffers)

usage_error() {	# WHAT ARG...: dmaheap-bench ARG... refused, exit 2
	what=$1
	shift
	"$bench" "$@" >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2"
}

check() {	# FILE HEAPS ROUNDS: the JSON of one run
	[ "$(head -n 1 "$1")" = "[" ] && [ "$(tail -n 1 "$1")" = "]" ] ||
		fail "not one JSON array: $(cat "$1")"
	rows=$(grep -c '"test"' "$1")
	[ "$rows" -eq 13 ] || fail "$rows rows, expected 13: $(cat "$1")"
	for t in "alloc+close" "alloc+touch" "memset floor" "after wake-up" \
		 "alloc+close sustained"; do
		n=$(grep -c "\"test\": \"$t\"" "$1")
		[ "$n" -eq 2 ] || fail "$n rows of $t, expected 2 (4K, 64K)"
	done
	for b in 4096 65536; do
		grep "\"test\": \"alloc+close sustained\", \"bytes\": $b," "$1" |
			grep -o '"n": [0-9]*' >/tmp/bench-n || fail "no sustained row of $b bytes"
		[ "$(wc -l </tmp/bench-n)" -eq "$2" ] ||
			fail "sustained $b bytes: $(wc -l </tmp/bench-n) heaps, expected $2"
		while read -r _ n; do
			[ "$n" -ge $((200 * $3)) ] ||
				fail "sustained $b bytes: $n samples in $3 round(s), expected 200 a round at least"
		done </tmp/bench-n
	done
	grep -q '"test": "round trip"' "$1" || fail "no round trip row"
	grep -q '"test": "4K 2 threads"' "$1" || fail "no 2-thread row"
	! grep -q '"median": 0.00' "$1" || fail "a row with no time: $(cat "$1")"
	! grep -q '"n": 0' "$1" || fail "a row without samples"
	n=$(grep -c '"ratio"' "$1")
	[ "$n" -eq "$(($2 == 2 ? 13 : 0))" ] || fail "$n ratio columns with $2 heap(s)"
}

timeout 120 "$bench" --json --sizes=4K,64K --time-per-size=40 "$node" >/tmp/bench1.json ||
	fail "dmaheap-bench on $node: exit $?"
check /tmp/bench1.json 1 1
! grep -q '"rounds"' /tmp/bench1.json || fail "\"rounds\" in a run of one round"
timeout 120 "$bench" --json --sizes=4K,64K --time-per-size=40 --rounds=2 "$node" "$node" >/tmp/bench2.json ||
	fail "dmaheap-bench side by side: exit $?"
check /tmp/bench2.json 2 2
n=$(grep -c '"ratio_min": [0-9.]*, "ratio_max": [0-9.]*, "rounds": 2}' /tmp/bench2.json)
[ "$n" -eq 13 ] || fail "$n rows with the range of 2 rounds' ratios, expected 13"
usage_error --rounds=0 --rounds=0 "$node"
# The table: a sustained line per size, alone and with a ratio side by side.
timeout 60 "$bench" --sizes=4K,64K --time-per-size=20 "$node" >/tmp/bench1.txt ||
	fail "dmaheap-bench, the table: exit $?"
grep -q "^after wake-up  4 KiB" /tmp/bench1.txt ||
	fail "no 'after wake-up' line in the table: $(cat /tmp/bench1.txt)"
timeout 60 "$bench" --sizes=4K,64K --time-per-size=20 "$node" "$node" >/tmp/bench2.txt ||
	fail "dmaheap-bench, the table side by side: exit $?"
for sz in "4 KiB" "64 KiB"; do
	n=$(grep -c "^alloc+close sustained $sz \( *[0-9][0-9.]*\)\{3\}   us\$" /tmp/bench1.txt)
	[ "$n" -eq 1 ] || fail "$n sustained $sz lines alone, expected 1: $(cat /tmp/bench1.txt)"
	n=$(grep -c "^alloc+close sustained $sz \( *[0-9][0-9.]*\)\{6\} *[0-9][0-9.]*x   us\$" /tmp/bench2.txt)
	[ "$n" -eq 1 ] || fail "$n sustained $sz lines side by side, expected 1: $(cat /tmp/bench2.txt)"
done
# --split: the sustained ioctl and close apart, two more lines per size,
# each a part of the sustained line's time.
timeout 60 "$bench" --split --sizes=4K --time-per-size=20 "$node" "$node" >/tmp/bench3.txt ||
	fail "dmaheap-bench --split: exit $?"
med() { sed -n "s/^$1 sustained 4 KiB *\([0-9][0-9.]*\) .*/\1/p" /tmp/bench3.txt; }
for t in alloc close; do
	n=$(grep -c "^$t sustained 4 KiB \( *[0-9][0-9.]*\)\{6\} *[0-9][0-9.]*x   us\$" /tmp/bench3.txt)
	[ "$n" -eq 1 ] || fail "$n '$t sustained' lines with --split, expected 1: $(cat /tmp/bench3.txt)"
done
awk -v a="$(med alloc)" -v c="$(med close)" -v s="$(med alloc+close)" \
	'BEGIN { exit !(a > 0 && c > 0 && a < s && c < s) }' ||
	fail "--split: ioctl $(med alloc), close $(med close), not each under the sustained $(med alloc+close)"
! grep -q "^\(alloc\|close\) sustained" /tmp/bench2.txt ||
	fail "split lines without --split"

# --targets: each target judged on the numbers it prints, one not measured
# said so; refused with one heap or with --json.
timeout 60 "$bench" --targets --sizes=4K,1M --time-per-size=20 "$node" "$node" >/tmp/bench4.txt ||
	fail "dmaheap-bench --targets: exit $?"
grep -q "^# sustained 8 MiB: not measured\$" /tmp/bench4.txt ||
	fail "--targets: no 'not measured' line for 8 MiB: $(cat /tmp/bench4.txt)"
line=$(grep "^# sustained 1 MiB: [0-9.]*x <= 0.50x: \(met\|MISSED\) (rounds met: [01] of 1)\$" /tmp/bench4.txt) ||
	fail "--targets: no 1 MiB verdict: $(cat /tmp/bench4.txt)"
# One round: it met the target alone if and only if the run did.
echo "$line" | awk '{
	r = $5 + 0; m = $8 == "met"
	if ((r < 0.495 || r > 0.505) && (r <= 0.5) != m) exit 1
	if ($11 + 0 != m) exit 1
}' || fail "--targets: the 1 MiB verdict does not follow from its numbers: $line"
line=$(grep "^# sustained 4 KiB: " /tmp/bench4.txt) ||
	fail "--targets: no 4 KiB verdict: $(cat /tmp/bench4.txt)"
echo "$line" | awk '{
	o = $5 + 0; k = $8 + 0; rt = $14 + 0; b = $16 + 0; v = $17; d = $18 + 0
	e = o <= b ? b - o : o - b
	if (b < k + 1.2 * rt - 0.2 || b > k + 1.2 * rt + 0.2) exit 1
	if (e > 0.2 && (o <= b) != (v == "met,")) exit 1
	if (d < e - 0.2 || d > e + 0.2) exit 1
	if (($19 == "under") != (v == "met,") || $22 + 0 != (v == "met,")) exit 1
}' || fail "--targets: the 4 KiB verdict does not follow from its numbers: $line"
usage_error "--targets with one heap" --targets "$node"
usage_error "--targets --json" --targets --json "$node" "$node"

! pidof dmaheap-bench >/dev/null || fail "a dmaheap-bench process is left"
wait_for counter_is live_buffers "$base" ||
	fail "live_buffers $(counter live_buffers), was $base before the bench"
echo "13 rows (sustained too) alone and side by side over 2 rounds, the sustained lines in the table, --split's two more, --rounds=0 refused, --targets' verdicts ($line), live_buffers back to $base"
