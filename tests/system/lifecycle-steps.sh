#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest's half of tests/system/lifecycle: runs the steps from the one
# named in /var/lib/dmaheapd-lifecycle/step until one needs a reboot or all
# are done, writes the next one there, and prints
# "@@LIFECYCLE: FIRST-STEP PASS@@" (or FAIL with the reason).
set -uo pipefail
state=/var/lib/dmaheapd-lifecycle/step
first=$(<"$state")
failed=""

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; [[ -n $failed ]] || failed=$*; }
as_user() {
	local user=$1
	shift
	timeout 60 setpriv --reuid "$user" --regid "$user" --init-groups -- "$@"
}
# Wait up to $1 s for the command after it to succeed.
wait_for() {
	local n=$(($1 * 10))
	shift
	while ((n-- > 0)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
node_gone() { [[ ! -e /dev/dma_heap/system ]]; }

step_install() {
	local t=$SECONDS out
	if out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y \
		/root/debs/*.deb 2>&1); then
		ok "apt install ./dmaheapd_*.deb ./dmaheap-helper-dkms_*.deb in $((SECONDS - t)) s"
	else
		echo "$out" | tail -n 30
		fail "apt install of the packages failed"
		return
	fi
	echo "$out" | grep -iE 'dkms|dmaheap' | head -n 20
	out=$(dkms status dmaheap-helper 2>&1)
	if [[ $out == *"$(uname -r)"*installed* ]]; then
		ok "dkms: $out"
	else
		fail "DKMS did not install the module for $(uname -r): $out"
	fi
	case $(modinfo -n dmaheap_helper 2>/dev/null) in
	/lib/modules/"$(uname -r)"/updates/dkms/*) ok "modinfo: $(modinfo -n dmaheap_helper)" ;;
	*) fail "modinfo -n dmaheap_helper: $(modinfo -n dmaheap_helper 2>&1)" ;;
	esac
	[[ $(systemctl is-enabled dmaheapd.service 2>&1) == enabled ]] &&
		ok "dmaheapd.service enabled" || fail "dmaheapd.service is not enabled"
	# The first install loads the modules and starts the service at once.
	wait_for 30 systemctl is-active -q dmaheapd.service &&
		ok "dmaheapd.service active right after the install" ||
		fail "dmaheapd.service after the install: $(systemctl is-active dmaheapd.service)"
	next=boot-check
	reboot=1
}

step_boot-check() {
	local out
	wait_for 60 systemctl is-active -q dmaheapd.service &&
		ok "dmaheapd.service active after the boot" ||
		fail "dmaheapd.service: $(systemctl is-active dmaheapd.service)"
	out=$(stat -c '%F %U:%G %a' /dev/dma_heap/system 2>&1)
	[[ $out == "character special file root:video 660" ]] &&
		ok "/dev/dma_heap/system: $out" || fail "/dev/dma_heap/system: $out"
	if out=$(as_user alice dmaheap-alloc 1M 2>&1); then
		ok "alice (video): dmaheap-alloc 1M: $(echo "$out" | tail -n 1)"
	else
		fail "alice (video) cannot allocate: $out"
	fi
	if out=$(as_user bob dmaheap-alloc 1M 2>&1); then
		fail "bob (not in video) allocated: $out"
	else
		ok "bob (not in video) refused: $(echo "$out" | tail -n 1)"
	fi
	out=$(journalctl -b -u dmaheapd.service --no-pager -o cat 2>&1)
	[[ $out == *"serving /dev/dma_heap/system"* ]] &&
		ok "journal: serving /dev/dma_heap/system" ||
		fail "the journal of this boot has no \"serving /dev/dma_heap/system\""
	next=remove
}

step_remove() {
	local out left
	DEBIAN_FRONTEND=noninteractive apt-get remove -y dmaheapd >/dev/null 2>&1 &&
		ok "apt remove dmaheapd" || fail "apt remove dmaheapd failed"
	systemctl is-active -q dmaheapd.service &&
		fail "dmaheapd.service still active after apt remove" ||
		ok "dmaheapd.service stopped: $(systemctl is-active dmaheapd.service)"
	wait_for 10 node_gone && ok "/dev/dma_heap/system gone" ||
		fail "/dev/dma_heap/system still there after apt remove"
	[[ -f /etc/dmaheapd.conf ]] && ok "/etc/dmaheapd.conf kept by remove" ||
		fail "apt remove took /etc/dmaheapd.conf"
	echo "module after remove: $(lsmod | grep -E '^dmaheap_helper' || echo 'not loaded')"
	DEBIAN_FRONTEND=noninteractive apt-get purge -y dmaheapd dmaheap-helper-dkms >/dev/null 2>&1 &&
		ok "apt purge dmaheapd dmaheap-helper-dkms" || fail "apt purge failed"
	[[ ! -e /etc/dmaheapd.conf ]] && ok "/etc/dmaheapd.conf gone with purge" ||
		fail "/etc/dmaheapd.conf still there after purge"
	left=$(find /etc /usr /var/lib/dkms /lib/modules/*/updates \
		\( -iname '*dmaheap*' \) -not -path '/usr/local/libexec/dmaheapd-lifecycle*' \
		-not -path '/etc/systemd/system/dmaheapd-lifecycle.service' \
		-not -path '/etc/systemd/system/multi-user.target.wants/dmaheapd-lifecycle.service' \
		2>/dev/null)
	[[ -z $left ]] && ok "nothing of ours left in /etc, /usr, /var/lib/dkms, /lib/modules/*/updates" ||
		fail "left after purge: $(echo "$left" | tr '\n' ' ')"
	next=done
}

echo "== boot at step $first, kernel $(uname -r)"
step=$first
reboot=0
while [[ $step != done && $reboot == 0 && -z $failed ]]; do
	echo "== step $step"
	next=""
	"step_$step"
	step=$next
done
echo "$step" >"$state"
sync
if [[ -n $failed ]]; then
	echo "@@LIFECYCLE: $first FAIL $failed@@"
	exit 1
fi
echo "@@LIFECYCLE: $first PASS@@"
