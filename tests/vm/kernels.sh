# shellcheck shell=bash disable=SC2034 # the VM_* globals are read by the callers
# tests/vm/kernels.sh - the kernels users run, by name (sourced, bash).
#
# A kernel is named ARCH/NAME; the harness takes NAME (--kernel) and the
# architecture (--arch: VM_ARCH, amd64 or arm64; unset is amd64). For each
# name this fetches, once, into
#   ${DMAHEAPD_CACHE:-REPO/.cache}/kernels/ARCH/NAME/
#     apt/          an apt configuration of its own for that suite: its own
#                   sources.list, lists and package cache; the machine's
#                   sources are never touched
#     kver          the kernel ABI version resolved from the suite's
#                   linux-image-ARCH when it was fetched (sid moves: delete
#                   the dir, or DMAHEAPD_KERNEL_REFRESH=1, for the newest)
#     root-KVER/    the kernel's image packages unpacked, depmod'ed
#     buildroot-KVER/  a Debian root of that suite (mmdebstrap) with the
#                   kernel's linux-headers-KVER, the compiler that built the
#                   kernel (the headers package depends on it), sparse and
#                   dkms: modules for that kernel are built in there,
#                   chrooted; .done holds the package list it was made with
#
# amd64's debian-12 is the host's own: bookworm is what this machine's apt
# sees, the headers are the installed linux-headers-amd64 (tools/find-kdir)
# and the compiler is the host's gcc-12, the one that built that kernel.
#
# arm64 (every name, debian-12 too) is cross-built: its build root is an
# amd64 root of the suite with the cross compiler of the version that
# built the kernel (gcc-N-aarch64-linux-gnu, the same gcc source as the
# kernel's gcc-N) and the suite's amd64 linux-kbuild-X.Y, the host tools
# (fixdep, modpost) that the arm64 headers' scripts/ link to; the arm64
# linux-headers-KVER and its -common package are unpacked into it, not
# installed (they depend on the arm64 gcc-N, which an amd64 root cannot
# run). Modules are built there with VM_KMAKE_ARGS (ARCH=, CROSS_COMPILE=).
# docs/arm64.md says why this and not clang or an arm64 root.

VM_KERNEL_NAMES="debian-12 debian-13 debian-sid"
VM_ARCH_NAMES="amd64 arm64"
VM_KERNEL_MIRROR=${DMAHEAPD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
VM_KERNEL_SECURITY_MIRROR=${DMAHEAPD_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# The Debian suite of kernel NAME.
vm_kernel_suite() {
	case $1 in
	debian-12) echo bookworm ;;
	debian-13) echo trixie ;;
	debian-sid) echo sid ;;
	*) return 1 ;;
	esac
}

vm_kernel_check_name() {
	vm_kernel_suite "$1" >/dev/null ||
		vm_die "unknown kernel '$1'; one of: $VM_KERNEL_NAMES"
}

# Is ARCH one the harness boots?
vm_arch_known() {
	[[ " $VM_ARCH_NAMES " == *" $1 "* ]]
}

# Is VM_ARCH another architecture than the build machine's (amd64)?
vm_arch_cross() {
	[[ ${VM_ARCH:-amd64} != amd64 ]]
}

# The GNU triplet of Debian architecture ARCH (Kbuild's ARCH= of arm64 is
# arm64 too).
vm_arch_triplet() {
	case $1 in
	amd64) echo x86_64-linux-gnu ;;
	arm64) echo aarch64-linux-gnu ;;
	*) return 1 ;;
	esac
}

# apt-get/apt-cache with the suite's configuration (dir $1, then the args),
# for the packages of VM_ARCH, bounded to 15 minutes.
vm_kernel_apt() {
	local dir=$1 tool=$2 arch=${VM_ARCH:-amd64}
	shift 2
	timeout 900 "$tool" -o Dir::Etc::SourceList="$dir/sources.list" \
		-o APT::Architecture="$arch" -o APT::Architectures="$arch" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$dir/lists" \
		-o Dir::Cache="$dir/cache" \
		-o Dir::State::Status=/dev/null \
		-o Acquire::Check-Valid-Until=false \
		-o APT::Sandbox::User=root -q "$@"
}

# Sets VM_KAPT to the apt dir of kernel NAME, made and updated if new.
vm_kernel_apt_setup() {
	local name=$1 suite dir
	suite=$(vm_kernel_suite "$name")
	dir=$VM_KCACHE/apt
	VM_KAPT=$dir
	if [[ ! -f $dir/updated || ${DMAHEAPD_KERNEL_REFRESH:-0} == 1 ]]; then
		mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
		vm_kernel_sources "$name" >"$dir/sources.list"
		vm_msg "apt-get update for $suite (own configuration in $dir)"
		vm_kernel_apt "$dir" apt-get update >&2 ||
			vm_die "apt-get update of $suite failed (configuration $dir/sources.list)"
		touch "$dir/updated"
	fi
}

# The first versioned linux-image-*/linux-headers-* a package depends on.
vm_kernel_dep() {
	local dir=$1 pkg=$2 prefix=$3
	vm_kernel_apt "$dir" apt-cache depends "$pkg" 2>/dev/null |
		sed -n "s/^ *Depends: \(${prefix}[0-9][^ ]*\)$/\1/p" | head -n 1
}

# Is kernel NAME of VM_ARCH the one whose headers the host has (amd64's
# debian-12)?
vm_kernel_is_host() {
	[[ $1 == debian-12 ]] && ! vm_arch_cross
}

# Sets VM_KCACHE and VM_KVER for kernel NAME (resolved once, then cached).
vm_kernel_resolve() {
	local name=$1 arch=${VM_ARCH:-amd64} pkg
	vm_kernel_check_name "$name"
	VM_KCACHE=$VM_CACHE_TOP/kernels/$arch/$name
	mkdir -p "$VM_KCACHE"
	if vm_kernel_is_host "$name"; then
		vm_stock_kver
		return
	fi
	if [[ -s $VM_KCACHE/kver && ${DMAHEAPD_KERNEL_REFRESH:-0} != 1 ]]; then
		VM_KVER=$(<"$VM_KCACHE/kver")
		return
	fi
	vm_kernel_apt_setup "$name"
	pkg=$(vm_kernel_dep "$VM_KAPT" "linux-image-$arch" linux-image-)
	[[ -n $pkg ]] || vm_die "cannot resolve linux-image-$arch of $(vm_kernel_suite "$name") to a versioned package"
	VM_KVER=${pkg#linux-image-}
	echo "$VM_KVER" >"$VM_KCACHE/kver"
}

# Sets VM_ROOT to the unpacked image of kernel NAME (VM_KVER), fetched once:
# linux-image-KVER, or where that is split (sid) its linux-binary-*,
# linux-modules-* and linux-base-* packages.
vm_kernel_fetch() {
	local name=$1 dir pkgs=() p
	vm_kernel_resolve "$name"
	if vm_kernel_is_host "$name"; then
		vm_fetch_stock_kernel "$VM_KVER"
		return
	fi
	dir=$VM_KCACHE/root-$VM_KVER
	VM_ROOT=$dir
	[[ -f $dir/boot/vmlinuz-$VM_KVER ]] && return
	vm_lock "kernel-$name"
	if [[ -f $dir/boot/vmlinuz-$VM_KVER ]]; then
		vm_unlock
		return
	fi
	vm_kernel_apt_setup "$name"
	pkgs=("linux-image-$VM_KVER")
	for p in linux-binary linux-modules linux-base; do
		vm_kernel_dep "$VM_KAPT" "linux-image-$VM_KVER" "$p-" | grep -q . &&
			pkgs+=("$p-$VM_KVER")
	done
	vm_msg "fetching ${pkgs[*]} ($(vm_kernel_suite "$name")) into $VM_KCACHE (first run only)"
	rm -rf "$VM_KCACHE/dl"
	mkdir -p "$VM_KCACHE/dl"
	(cd "$VM_KCACHE/dl" && vm_kernel_apt "$VM_KAPT" apt-get download "${pkgs[@]}") >&2 ||
		vm_die "apt-get download ${pkgs[*]} failed; DMAHEAPD_KERNEL_REFRESH=1 re-resolves the suite's kernel"
	vm_unpack_debs "$dir" "$VM_KCACHE"/dl/*.deb
	[[ -f $dir/boot/vmlinuz-$VM_KVER ]] || vm_die "${pkgs[*]} hold no /boot/vmlinuz-$VM_KVER"
	rm -rf "$VM_KCACHE/dl"
	vm_unlock
}

# The apt sources of kernel NAME, one line each. Debian 12's kernel comes
# with its security updates (as the host's linux-headers-amd64 does), so
# bookworm-security too; the others from their suite alone.
vm_kernel_sources() {
	local suite key=/usr/share/keyrings/debian-archive-keyring.gpg
	suite=$(vm_kernel_suite "$1")
	echo "deb [signed-by=$key] $VM_KERNEL_MIRROR $suite main"
	[[ $1 != debian-12 ]] ||
		echo "deb [signed-by=$key] $VM_KERNEL_SECURITY_MIRROR $suite-security main"
}

# Sets VM_BUILDROOT (empty for amd64's debian-12: the host builds), VM_KDIR,
# the kernel's build dir (inside the build root for the others), and
# VM_KMAKE_ARGS, what make needs besides (the cross build's ARCH= and
# CROSS_COMPILE=), for kernel NAME; makes the build root once, with
# mmdebstrap.
vm_kernel_buildroot() {
	local name=$1 suite dir include arch=${VM_ARCH:-amd64} triplet
	vm_kernel_resolve "$name"
	VM_KMAKE_ARGS=()
	VM_KDIR=/usr/src/linux-headers-$VM_KVER
	if vm_kernel_is_host "$name"; then
		VM_BUILDROOT=""
		return
	fi
	suite=$(vm_kernel_suite "$name")
	dir=$VM_KCACHE/buildroot-$VM_KVER
	VM_BUILDROOT=$dir
	if vm_arch_cross; then
		triplet=$(vm_arch_triplet "$arch")
		VM_KMAKE_ARGS=("ARCH=$arch" "CROSS_COMPILE=$triplet-")
	fi
	# What the root was made with (.done): made anew when that changes.
	local key
	if vm_arch_cross; then
		# The kernel's compiler and host tools, named by its headers'
		# dependencies: the key holds the headers, not those names, so
		# that a made root needs no apt look-up.
		local base=make,kmod,perl
		local gcc kbuild
		key="$base linux-headers-$VM_KVER:$arch"
		[[ -f $dir/.done && $(<"$dir/.done") == "$key" ]] && return
		vm_kernel_apt_setup "$name"
		gcc=$(vm_kernel_dep "$VM_KAPT" "linux-headers-$VM_KVER" gcc-)
		kbuild=$(vm_kernel_dep "$VM_KAPT" "linux-headers-$VM_KVER" linux-kbuild-)
		[[ -n $gcc && -n $kbuild ]] ||
			vm_die "linux-headers-$VM_KVER ($arch) names no gcc-N or linux-kbuild-* among its dependencies"
		include="$base,$kbuild,$gcc-$triplet"
	else
		include="make,kmod,sparse,dkms,linux-headers-$VM_KVER"
		key=$include
	fi
	[[ -f $dir/.done && $(<"$dir/.done") == "$key" ]] && return
	command -v mmdebstrap >/dev/null ||
		vm_die "mmdebstrap is missing (apt-get install mmdebstrap): it makes the $suite build root for $VM_KVER"
	# amd64's lock keeps its older name: checkouts from before arm64
	# share these roots and must take the same lock.
	if vm_arch_cross; then
		vm_lock "buildroot-$arch-$name"
	else
		vm_lock "buildroot-$name"
	fi
	if [[ ! -f $dir/.done || $(<"$dir/.done") != "$key" ]]; then
		vm_msg "making the $suite build root for $VM_KVER in $dir (mmdebstrap, first run only)"
		rm -rf "$dir" "$dir.tmp"
		local sources
		sources=$(vm_kernel_sources "$name")
		timeout 1200 mmdebstrap --mode=root --variant=minbase \
			--architectures=amd64 \
			--include="$include" \
			--aptopt='APT::Install-Recommends "false"' \
			--aptopt='Acquire::Check-Valid-Until "false"' \
			--dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			"$suite" "$dir.tmp" "$sources" \
			>"$VM_KCACHE/mmdebstrap.log" 2>&1 || {
			tail -n 30 "$VM_KCACHE/mmdebstrap.log" >&2
			vm_die "mmdebstrap of the $suite build root failed (log: $VM_KCACHE/mmdebstrap.log)"
		}
		if vm_arch_cross; then
			vm_kernel_unpack_headers "$name" "$dir.tmp"
		fi
		[[ -f $dir.tmp$VM_KDIR/Makefile ]] ||
			vm_die "the $suite build root has no $VM_KDIR/Makefile"
		echo "$key" >"$dir.tmp/.done"
		mv "$dir.tmp" "$dir"
	fi
	vm_unlock
}

# Unpacks the headers of kernel NAME (VM_ARCH, VM_KVER) into ROOT, an amd64
# build root: linux-headers-KVER and the -common package it depends on.
# Their scripts/ and tools/ link to the root's own linux-kbuild.
vm_kernel_unpack_headers() {
	local name=$1 root=$2 common deb dl
	vm_kernel_apt_setup "$name"
	common=$(vm_kernel_dep "$VM_KAPT" "linux-headers-$VM_KVER" linux-headers-)
	# A dir of its own: the kernel's fetch (another lock) uses dl/.
	dl=$VM_KCACHE/dl-headers
	rm -rf "$dl"
	mkdir -p "$dl"
	(cd "$dl" && vm_kernel_apt "$VM_KAPT" apt-get download \
		"linux-headers-$VM_KVER" ${common:+"$common"}) >&2 ||
		vm_die "apt-get download linux-headers-$VM_KVER $common failed"
	# Only their usr/src: the rest (lib/modules/KVER/build) would put a
	# directory where the root's /lib is a link.
	mkdir -p "$dl/x"
	for deb in "$dl"/*.deb; do
		dpkg-deb -x "$deb" "$dl/x" || vm_die "dpkg-deb -x $deb failed"
	done
	cp -a "$dl/x/usr/src/." "$root/usr/src/"
	rm -rf "$dl"
}

# The compiler of kernel NAME's build root, as "gcc-N (version)".
vm_kernel_compiler() {
	local cc
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$VM_BUILDROOT$VM_KDIR/.config" 2>/dev/null)
	echo "${cc:-unknown}"
}
