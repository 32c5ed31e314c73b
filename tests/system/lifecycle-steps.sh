#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The guest's half of tests/system/lifecycle. /var/lib/dmaheapd-lifecycle/
# holds the plan (step names, in order) and the index of the next step;
# this runs steps from there until one needs a reboot or all are done,
# writes the next index (or "done"), and prints
# "@@LIFECYCLE: INDEX PASS@@" (or FAIL with the reason).
set -uo pipefail
state=/var/lib/dmaheapd-lifecycle
lib=/usr/local/libexec/dmaheapd-lifecycle
# shellcheck source-path=SCRIPTDIR source=guest-lib.sh
. "$lib/guest-lib.sh"
read -r -a plan <"$state/plan"
first=$(<"$state/step")

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
apt_q() { DEBIAN_FRONTEND=noninteractive apt-get -q -y "$@"; }
# apt_log LOG ARGS: apt-get ARGS, its output in LOG and its lines of
# interest on the output as they come, each after the seconds since the
# start (a step killed by its timeout still shows how far it got, and the
# log where the time went); apt-get's status.
apt_log() {
	local log=$1 start=$SECONDS line
	shift
	apt_q "$@" 2>&1 | tee "$log" |
		grep --line-buffered -iE 'dkms|dmaheap|^Setting up|initramfs|make -j|^E: |error' |
		while IFS= read -r line; do
			printf '[%4d s] %s\n' $((SECONDS - start)) "$line"
		done
	return "${PIPESTATUS[0]}"
}
node_gone() { [[ ! -e $node ]]; }
exists() { [[ -e $1 ]]; }
# Whether $node is the device of sysfs class device $1.
node_of() { [[ -c $node && $(devno "$node") == "$(cat "$1/dev" 2>/dev/null)" ]]; }
loaded_version() { cat /sys/module/dmaheap_helper/version 2>/dev/null; }
service_active() {
	wait_for "$1" systemctl is-active -q dmaheapd.service &&
		ok "dmaheapd.service active $2" ||
		fail "dmaheapd.service $2: $(systemctl is-active dmaheapd.service)"
}
alice_allocates() {
	local out
	if out=$(as_user alice dmaheap-alloc 1M 2>&1); then
		ok "alice (video) $1: dmaheap-alloc 1M: $(echo "$out" | tail -n 1)"
	else
		fail "alice (video) cannot allocate $1: $out"
	fi
}
# DKMS's line for version $1 and kernel $2 says installed.
dkms_installed() {
	local out
	# (stderr: dkms 3.0 writes "echo: write error: Broken pipe" there)
	out=$(dkms status -m dmaheap-helper -v "$1" -k "$2" 2>/dev/null)
	[[ $out == *installed* ]] && ok "dkms: $out" ||
		fail "DKMS has not installed dmaheap-helper $1 for $2: ${out:-nothing}"
}

step_install() {
	local t=$SECONDS
	if apt_log /var/log/lifecycle-install.log install /root/debs/*.deb; then
		ok "apt install ./dmaheapd_*.deb ./dmaheap-helper-dkms_*.deb in $((SECONDS - t)) s"
	else
		tail -n 30 /var/log/lifecycle-install.log
		fail "apt install of the packages failed"
		return
	fi
	dkms_installed "$(dpkg-query -W -f '${Version}' dmaheap-helper-dkms)" "$(uname -r)"
	case $(modinfo -n dmaheap_helper 2>/dev/null) in
	/lib/modules/"$(uname -r)"/updates/dkms/*) ok "modinfo: $(modinfo -n dmaheap_helper)" ;;
	*) fail "modinfo -n dmaheap_helper: $(modinfo -n dmaheap_helper 2>&1)" ;;
	esac
	[[ $(systemctl is-enabled dmaheapd.service 2>&1) == enabled ]] &&
		ok "dmaheapd.service enabled" || fail "dmaheapd.service is not enabled"
	# The first install loads the modules and starts the service at once.
	service_active 30 "right after the install"
	reboot=1
}

# After a boot: the service, the node (dmaheapd's, root:video 0660, the
# kernel's own set aside where it has one), a user in video allocating and
# one not refused, the journal. After the kernel upgrade, the new kernel.
step_boot-check() {
	local out want
	echo "kernel $(uname -r), dmaheap_helper $(loaded_version) from $(modinfo -n dmaheap_helper 2>&1)"
	if [[ -f $state/kernel ]]; then
		want=$(<"$state/kernel")
		[[ $(uname -r) == "$want" ]] && ok "booted the upgraded kernel $want" ||
			fail "booted $(uname -r), not the upgraded kernel $want"
	fi
	service_active 60 "after the boot"
	wait_for 10 node_of "$cuse_sys" && ok "$node is dmaheapd's CUSE node" ||
		fail "$node ($(devno "$node")) is not dmaheapd's ($(cat "$cuse_sys/dev" 2>&1))"
	[[ -e $kernel_sys ]] && echo "this kernel has a system heap of its own: dmaheapd serves the name"
	out=$(stat -c '%U:%G %a' "$node" 2>&1)
	[[ $out == "root:video 660" ]] && ok "$node: $out" || fail "$node: $out"
	alice_allocates "after the boot"
	if out=$(as_user bob dmaheap-alloc 1M 2>&1); then
		fail "bob (not in video) allocated: $out"
	else
		ok "bob (not in video) refused: $(echo "$out" | tail -n 1)"
	fi
	out=$(journalctl -b -u dmaheapd.service --no-pager -o cat 2>&1)
	[[ $out == *"serving /dev/dma_heap/system"* ]] &&
		ok "journal: serving /dev/dma_heap/system" ||
		fail "the journal of this boot has no \"serving /dev/dma_heap/system\""
}

# bookworm-backports' kernel from the local repository (build-image
# --lifecycle), as `apt install -t bookworm-backports linux-image-amd64
# linux-headers-amd64` would from the archive: DKMS builds the module for
# it during the install.
step_kernel-upgrade() {
	local t=$SECONDS out new
	echo "deb [trusted=yes] file:/root/kernel-repo ./" >/etc/apt/sources.list.d/lifecycle-kernel.list
	out=$(apt_q update -o Dir::Etc::SourceList=sources.list.d/lifecycle-kernel.list \
		-o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0 2>&1) ||
		{ echo "$out" | tail -n 20; fail "apt-get update of the local repository failed"; return; }
	if apt_log /var/log/lifecycle-kernel.log install linux-image-amd64 linux-headers-amd64; then
		ok "apt install linux-image-amd64 linux-headers-amd64 (bookworm-backports) in $((SECONDS - t)) s"
	else
		tail -n 30 /var/log/lifecycle-kernel.log
		fail "apt install of the new kernel failed"
		return
	fi
	new=$(dpkg-query -W -f '${Depends}' linux-image-amd64 | grep -o 'linux-image-[0-9][^ ,]*' | head -n 1)
	new=${new#linux-image-}
	[[ -n $new && $new != "$(uname -r)" ]] && ok "linux-image-amd64 is now $new" ||
		{ fail "linux-image-amd64 depends on no new kernel (${new:-none})"; return; }
	dkms_installed "$(dpkg-query -W -f '${Version}' dmaheap-helper-dkms)" "$new"
	out=$(modinfo -k "$new" -F vermagic dmaheap_helper 2>&1)
	[[ $out == "$new "* ]] && ok "dmaheap_helper for $new: $(modinfo -k "$new" -n dmaheap_helper)" ||
		fail "no dmaheap_helper built for $new: $out"
	[[ -s /boot/initrd.img-$new ]] && ok "/boot/initrd.img-$new" || fail "no /boot/initrd.img-$new"
	echo "$new" >"$state/kernel"
	reboot=1
}

# The packages upgraded while alice holds a mapped buffer: its contents
# stay, the service comes back, the old module stays loaded (the buffer
# pins it) and says so; once the buffer is freed, dpkg-reconfigure
# swaps in the new module.
step_package-upgrade() {
	local t=$SECONDS out apt_out old new d=/tmp/lifecycle-hold holder rc
	old=$(loaded_version)
	mkdir -p "$d"
	chown alice: "$d"
	setpriv --reuid alice --regid alice --init-groups -- \
		"$lib/hold-and-check" hold "$node" "$d/ready" "$d/go" 900 >"$d/log" 2>&1 &
	holder=$!
	wait_for 30 exists "$d/ready" && ok "alice holds a mapped 4 MiB buffer (module $old)" ||
		{ cat "$d/log"; fail "alice's buffer: no ready file in 30 s"; kill "$holder"; return; }
	if apt_log /var/log/lifecycle-upgrade.log install /root/debs-next/*.deb; then
		ok "apt install of the next packages in $((SECONDS - t)) s"
	else
		tail -n 30 /var/log/lifecycle-upgrade.log
		fail "apt install of the next packages failed"
	fi
	apt_out=$(</var/log/lifecycle-upgrade.log)
	new=$(dpkg-query -W -f '${Version}' dmaheapd)
	[[ $new != "$old" ]] && ok "dmaheapd $old -> $new" || fail "dmaheapd still $new"
	dkms_installed "$new" "$(uname -r)"
	out=$(dkms status -m dmaheap-helper -v "$old" 2>/dev/null)
	[[ -z $out ]] && ok "dmaheap-helper $old gone from DKMS" || fail "DKMS still has: $out"
	service_active 60 "after the upgrade"
	[[ $(loaded_version) == "$old" && $(modinfo -F version dmaheap_helper) == "$new" ]] &&
		ok "loaded module $old (pinned by the buffer), installed $new" ||
		fail "loaded module $(loaded_version), installed $(modinfo -F version dmaheap_helper 2>&1)"
	[[ $apt_out == *"dmaheap_helper $old stays loaded"* ]] &&
		ok "the postinst says that dmaheap_helper $old stays loaded" ||
		fail "the postinst did not say that the old module stays loaded"
	out=$(journalctl -u dmaheapd.service --no-pager -o cat 2>&1)
	[[ $out == *"the loaded dmaheap_helper module is version $old, this dmaheapd $new"* ]] &&
		ok "journal: the loaded module is version $old, this dmaheapd $new" ||
		fail "the journal does not say that the loaded module is the old one"
	alice_allocates "after the upgrade"
	touch "$d/go"
	wait "$holder"
	rc=$?
	cat "$d/log"
	[[ $rc == 0 ]] && ok "alice's buffer intact across the upgrade" ||
		fail "alice's buffer across the upgrade (hold-and-check exit $rc)"
	# The buffer freed: dpkg-reconfigure runs the postinst again, which
	# now unloads the old module.
	out=$(DEBIAN_FRONTEND=noninteractive dpkg-reconfigure dmaheapd 2>&1)
	echo "$out" | grep -F dmaheap_helper
	[[ $(loaded_version) == "$new" ]] && ok "dpkg-reconfigure dmaheapd: module $new loaded" ||
		fail "after dpkg-reconfigure the loaded module is $(loaded_version)"
	service_active 60 "after dpkg-reconfigure"
	alice_allocates "with the new module"
}

step_remove() {
	local out left
	apt_q remove dmaheapd >/dev/null 2>&1 &&
		ok "apt remove dmaheapd" || fail "apt remove dmaheapd failed"
	systemctl is-active -q dmaheapd.service &&
		fail "dmaheapd.service still active after apt remove" ||
		ok "dmaheapd.service stopped: $(systemctl is-active dmaheapd.service)"
	if [[ -e $kernel_sys ]]; then
		wait_for 10 node_of "$kernel_sys" && ok "$node is the kernel's again ($(stat -c '%U:%G %a' "$node"))" ||
			fail "$node is not the kernel's after apt remove ($(devno "$node"))"
	else
		wait_for 10 node_gone && ok "$node gone" ||
			fail "$node still there after apt remove"
	fi
	[[ -f /etc/dmaheapd.conf ]] && ok "/etc/dmaheapd.conf kept by remove" ||
		fail "apt remove took /etc/dmaheapd.conf"
	echo "module after remove: $(lsmod | grep -E '^dmaheap_helper' || echo 'not loaded')"
	apt_q purge dmaheapd dmaheap-helper-dkms >/dev/null 2>&1 &&
		ok "apt purge dmaheapd dmaheap-helper-dkms" || fail "apt purge failed"
	[[ ! -e /etc/dmaheapd.conf ]] && ok "/etc/dmaheapd.conf gone with purge" ||
		fail "/etc/dmaheapd.conf still there after purge"
	left=$(find /etc /usr /var/lib/dkms /lib/modules/*/updates \
		\( -iname '*dmaheap*' \) -not -path "$lib*" \
		-not -path '/etc/systemd/system/dmaheapd-lifecycle.service' \
		-not -path '/etc/systemd/system/multi-user.target.wants/dmaheapd-lifecycle.service' \
		2>/dev/null)
	[[ -z $left ]] && ok "nothing of ours left in /etc, /usr, /var/lib/dkms, /lib/modules/*/updates" ||
		fail "left after purge: $(echo "$left" | tr '\n' ' ')"
}

echo "== boot at step $first of: ${plan[*]}; kernel $(uname -r)"
i=$first
reboot=0
while ((i < ${#plan[@]})) && [[ $reboot == 0 && ${#failures[@]} == 0 ]]; do
	echo "== step $i: ${plan[i]}"
	"step_${plan[i]}"
	i=$((i + 1))
done
next="done"
((i < ${#plan[@]})) && next=$i
echo "$next" >"$state/step"
sync
if [[ ${#failures[@]} != 0 ]]; then
	echo "@@LIFECYCLE: $first FAIL ${failures[0]} (${#failures[@]} failed)@@"
	exit 1
fi
echo "@@LIFECYCLE: $first PASS@@"
