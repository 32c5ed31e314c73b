#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A client in its own pid namespace (it is pid 1 there; the daemon sees
# another pid): its allocations land in it, from one thread and from two.
dir=$(cd "$(dirname "$0")" && pwd)
unshare -p -f sh -c '
	echo "client pid in its namespace: $$"
	[ "$$" = 1 ] || exit 1
	"$1/t-alloc" && "$1/t-threads"' sh "$dir"
