# shellcheck shell=bash disable=SC2034 # the VM_* globals are read by the callers
# tests/vm/kernels.sh - the kernels users run, by name (sourced, bash).
#
# A kernel is named ARCH/NAME; the harness takes NAME (--kernel) and the
# architecture (amd64 today). For each name this fetches, once, into
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
# debian-12 is the host's own: bookworm is what this machine's apt sees,
# the headers are the installed linux-headers-amd64 (tools/find-kdir) and
# the compiler is the host's gcc-12, the one that built that kernel.

VM_KERNEL_NAMES="debian-12 debian-13 debian-sid"
VM_KERNEL_MIRROR=${DMAHEAPD_DEBIAN_MIRROR:-http://deb.debian.org/debian}

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

# apt-get/apt-cache with the suite's configuration (dir $1, then the args),
# bounded to 15 minutes.
vm_kernel_apt() {
	local dir=$1 tool=$2
	shift 2
	timeout 900 "$tool" -o Dir::Etc::SourceList="$dir/sources.list" \
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
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $VM_KERNEL_MIRROR $suite main" \
			>"$dir/sources.list"
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
		sed -n "s/^ *Depends: \($prefix[0-9][^ ]*\)$/\1/p" | head -n 1
}

# Sets VM_KCACHE and VM_KVER for kernel NAME (resolved once, then cached).
vm_kernel_resolve() {
	local name=$1 arch=${VM_ARCH:-amd64} pkg
	vm_kernel_check_name "$name"
	VM_KCACHE=$VM_CACHE_TOP/kernels/$arch/$name
	mkdir -p "$VM_KCACHE"
	if [[ $name == debian-12 ]]; then
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
	if [[ $name == debian-12 ]]; then
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

# Sets VM_BUILDROOT (empty for debian-12: the host builds) and VM_KDIR, the
# kernel's build dir (inside the build root for the others), for kernel
# NAME; makes the build root once, with mmdebstrap.
vm_kernel_buildroot() {
	local name=$1 suite dir
	vm_kernel_resolve "$name"
	if [[ $name == debian-12 ]]; then
		VM_BUILDROOT=""
		VM_KDIR=/usr/src/linux-headers-$VM_KVER
		return
	fi
	suite=$(vm_kernel_suite "$name")
	dir=$VM_KCACHE/buildroot-$VM_KVER
	VM_BUILDROOT=$dir
	VM_KDIR=/usr/src/linux-headers-$VM_KVER
	local include="make,kmod,sparse,dkms,linux-headers-$VM_KVER"
	[[ -f $dir/.done && $(<"$dir/.done") == "$include" ]] && return
	command -v mmdebstrap >/dev/null ||
		vm_die "mmdebstrap is missing (apt-get install mmdebstrap): it makes the $suite build root for $VM_KVER"
	vm_lock "buildroot-$name"
	if [[ ! -f $dir/.done || $(<"$dir/.done") != "$include" ]]; then
		vm_msg "making the $suite build root for $VM_KVER in $dir (mmdebstrap, first run only)"
		rm -rf "$dir" "$dir.tmp"
		timeout 1200 mmdebstrap --mode=root --variant=minbase \
			--include="$include" \
			--aptopt='APT::Install-Recommends "false"' \
			--aptopt='Acquire::Check-Valid-Until "false"' \
			--dpkgopt='path-exclude=/usr/share/man/*' \
			--dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-exclude=/usr/share/locale/*' \
			"$suite" "$dir.tmp" \
			"deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $VM_KERNEL_MIRROR $suite main" \
			>"$VM_KCACHE/mmdebstrap.log" 2>&1 || {
			tail -n 30 "$VM_KCACHE/mmdebstrap.log" >&2
			vm_die "mmdebstrap of the $suite build root failed (log: $VM_KCACHE/mmdebstrap.log)"
		}
		[[ -f $dir.tmp$VM_KDIR/Makefile ]] ||
			vm_die "the $suite build root has no $VM_KDIR/Makefile"
		echo "$include" >"$dir.tmp/.done"
		mv "$dir.tmp" "$dir"
	fi
	vm_unlock
}

# The compiler of kernel NAME's build root, as "gcc-N (version)".
vm_kernel_compiler() {
	local cc
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$VM_BUILDROOT$VM_KDIR/.config" 2>/dev/null)
	echo "${cc:-unknown}"
}
