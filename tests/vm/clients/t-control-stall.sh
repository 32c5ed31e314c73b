#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A ControlGroup= member cannot hold up the daemon's main loop
# (docs/control.md): with silent connections kept open on the control
# socket (a new one for each the daemon drops), SIGHUP reloads and SIGTERM
# stops the daemon within 2 s. Before, each silent client cost the main
# loop 1 s, 32 per round: SIGTERM waited up to 32 s.
. "$(dirname "$0")/lib.sh"
d=$(dirname "$0")
log=/tmp/dmaheapd.log
conf=/tmp/stall.conf
ready=/tmp/stall.ready

cat >>/etc/group <<'GR'
stallctl:x:1510:
GR
w=/tmp/stall
rm -rf $w
mkdir -p $w
cp "$d/h-silent" "$d/h-runas" $w/
chmod 0755 $w $w/*

uptime_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

daemon_stop
printf '[Daemon]\nControlGroup=stallctl\n\n[Heap]\nName=%s\n' "$(heap_name)" >$conf
dmaheapd --config $conf </dev/null >>$log 2>&1 &
wait_for heap_served || fail "dmaheapd did not serve $(heap_node)"
wait_for test -S /run/dmaheapd/control || fail "no control socket"

rm -f $ready
"$w/h-runas" 1510 1510 "$w/h-silent" /run/dmaheapd/control 32 $ready &
silent=$!
wait_for test -s $ready || fail "h-silent did not report"
echo "  uid 1510 (ControlGroup=stallctl): $(cat $ready), kept at 32"
sleep 2	# the daemon is in the middle of its rounds

reloaded() { [ "$(grep -c "configuration reloaded" $log)" -gt "$before" ]; }
before=$(grep -c "configuration reloaded" $log)
start=$(uptime_cs)
kill -HUP "$(pidof dmaheapd)"
wait_for reloaded || fail "no reload after SIGHUP"
took=$(($(uptime_cs) - start))
echo "  SIGHUP: reloaded after $((took / 100)).$(printf '%02d' $((took % 100))) s"
[ $took -le 200 ] || fail "SIGHUP took $took cs with silent control clients"

start=$(uptime_cs)
kill "$(pidof dmaheapd)"
wait_for daemon_gone || fail "dmaheapd did not stop on SIGTERM"
took=$(($(uptime_cs) - start))
echo "  SIGTERM: stopped after $((took / 100)).$(printf '%02d' $((took % 100))) s"
[ $took -le 200 ] || fail "SIGTERM took $took cs with silent control clients"
grep -q "dropped before its request: a signal" $log ||
	fail "no notice of the dropped connection"
kill $silent
wait $silent 2>/dev/null
wait_for node_gone || fail "$(heap_node) still there"
daemon_start
