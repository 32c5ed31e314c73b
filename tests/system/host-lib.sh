# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# tests/system/host-lib.sh - sourced by run and lifecycle (host side, bash).

# died_before_modules CONSOLE: the kernel panicked before it loaded a
# module: there was an oops, and every "Modules linked in:" line of the
# console is empty. Nothing of ours ran, nor anything from the disk (the
# disk's driver, virtio_blk, is a module in Debian's kernels), so the boot
# may be tried again. Debian 13's kernel oopses on an int3 of its own code
# patching in early boot under TCG now and then (fixtures/, and
# tests/vm/guest for the VM tests).
died_before_modules() {
	local log
	log=$(tr -d '\r' <"$1")
	grep -q 'Kernel panic - not syncing' <<<"$log" || return 1
	grep -q 'Modules linked in:' <<<"$log" || return 1
	! grep -q 'Modules linked in:.*[^[:space:]]' <<<"$log"
}

# boot_again_early CONSOLE QEMU-LOG QEMU-COMMAND...: runs the command (a
# qemu whose console goes to CONSOLE), stdin from /dev/null, its output to
# QEMU-LOG; when the kernel died before it loaded a module, runs it again,
# at most twice, says so with the caller's msg and keeps that console
# beside CONSOLE as NAME-early-N.log. Returns the last run's status.
boot_again_early() {
	local console=$1 qlog=$2 attempt rc
	shift 2
	for attempt in 1 2 3; do
		rc=0
		"$@" </dev/null >"$qlog" 2>&1 || rc=$?
		if [[ $rc != 0 || $attempt == 3 ]] || ! died_before_modules "$console"; then
			return "$rc"
		fi
		cp "$console" "${console%.log}-early-$attempt.log"
		msg "warning: the kernel panicked before it loaded a module ($(tr -d '\r' <"$console" | grep -a -o -m 1 -E '(Oops|BUG):.*' || true); console kept in ${console%.log}-early-$attempt.log); booting again"
	done
}
