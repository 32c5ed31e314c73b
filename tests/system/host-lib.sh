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
