#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Failures after the helper allocated leave no fd and no buffer:
# - the daemon answers an error (--fault-inject=reply-error): h-reply-error;
# - the caller is SIGKILLed while the daemon holds its answer
#   (--fault-inject=reply-delay): h-kill-queued.
# And a deferred 4 KiB buffer (--fault-inject=fill-delay: made 500 ms after
# the reply): its caller waits for it (h-fill wait); a caller killed
# meanwhile dies at once and no buffer is made (client-kill); a daemon
# killed meanwhile leaves its caller EIO (daemon-kill). After an error
# reply the daemon makes no deferred buffer (h-reply-error deferred).
. "$(dirname "$0")/lib.sh"
dir=$(dirname "$0")

rc=0
daemon_stop
daemon_start --fault-inject=reply-error
"$dir/h-reply-error" || rc=1
"$dir/h-reply-error" deferred || rc=1
daemon_stop
daemon_start --fault-inject=reply-delay
"$dir/h-kill-queued" || rc=1
daemon_stop
daemon_start --fault-inject=fill-delay
"$dir/h-fill" wait || rc=1
"$dir/h-fill" client-kill || rc=1
grep -q "allocation dropped: the caller's ioctl ended before its buffer was made" \
	/tmp/dmaheapd.log || { echo "no log line for the FILL that found its caller gone" >&2; rc=1; }
"$dir/h-fill" daemon-kill "$(pidof dmaheapd)" || rc=1
wait_for daemon_gone || fail "dmaheapd still there after SIGKILL"
daemon_start
"$dir/t-alloc" >/dev/null || fail "a new daemon does not serve"
exit $rc
