#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Failures after the helper allocated leave no fd and no buffer:
# - the daemon answers an error (--fault-inject=reply-error): h-reply-error;
# - the caller is SIGKILLed while the daemon holds its answer
#   (--fault-inject=reply-delay): h-kill-queued.
. "$(dirname "$0")/lib.sh"
dir=$(dirname "$0")

rc=0
daemon_stop
daemon_start --fault-inject=reply-error
"$dir/h-reply-error" || rc=1
daemon_stop
daemon_start --fault-inject=reply-delay
"$dir/h-kill-queued" || rc=1
daemon_stop
daemon_start
exit $rc
