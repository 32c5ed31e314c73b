#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The helper's UAPI, tested directly with the daemon stopped.
. "$(dirname "$0")/lib.sh"
need_test_hooks

daemon_stop
"$(dirname "$0")/t-helper-uapi"
rc=$?
daemon_start
exit $rc
