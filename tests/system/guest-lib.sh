# shellcheck shell=bash disable=SC2034 # the globals are the sourcing script's
# SPDX-License-Identifier: GPL-2.0
# tests/system/guest-lib.sh: what the scripts that run inside the booted
# Debian share (checks.sh, lifecycle-steps.sh), sourced from their
# directory there: the node's names, ok/fail, device numbers, a user's
# command.

node=/dev/dma_heap/system
# Our node is a CUSE device: its device number is the one sysfs gives the
# CUSE device dma_heap!system (udev spells it dma_heap/system).
cuse_sys='/sys/class/cuse/dma_heap!system'
# A kernel with a system heap of its own (Debian 13's 6.12) has the class
# device dma_heap/system; with the takeover its node moves aside while
# dmaheapd serves the name, and comes back on stop.
kernel_sys=/sys/class/dma_heap/system

failures=()
fail() {
	echo "FAIL: $*"
	failures+=("$*")
}
ok() {
	echo "ok: $*"
}

# The device number of a character device, MAJOR:MINOR in decimal as sysfs
# writes it; empty if FILE is not one.
devno() {
	[[ -c $1 ]] || return 0
	local maj min
	read -r maj min < <(stat -c '%t %T' "$1" 2>/dev/null) || return 0
	echo "$((16#$maj)):$((16#$min))"
}

# as_user USER COMMAND...: COMMAND as USER with USER's groups, at most 60 s.
as_user() {
	local user=$1
	shift
	timeout 60 setpriv --reuid "$user" --regid "$user" --init-groups -- "$@"
}
