# shellcheck shell=bash disable=SC2034 # the VM_* globals are used by tests/vm/guest
# tests/vm/lib.sh - helpers for tests/vm/guest (sourced, bash).
#
# Everything the harness itself prints goes to stderr, prefixed "vm: ";
# stdout is reserved for the guest command's output.
#
# Cache layout (${DMAHEAPD_CACHE:-$REPO/.cache}/vm/):
#   stock-KVER/root/             Debian's linux-image-KVER, unpacked, depmod'ed
#   deb-KEY/root/                --kernel-deb + --headers-deb, unpacked, depmod'ed
#   kmod-KVER/{kmod-helper,include}/   scratch build of the helper module
#   *.lock                       flock(1) files serializing parallel runs
#   last-console.log, last-output.log, last-qemu.log   logs of the last run

VM_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_REPO=$(cd "$VM_LIB_DIR/../.." && pwd)
VM_CACHE_TOP=$(realpath -m "${DMAHEAPD_CACHE:-$VM_REPO/.cache}")
VM_CACHE=$VM_CACHE_TOP/vm

# Exit statuses of tests/vm/guest when the command's own status is unknown.
VM_RC_STACK=123    # VM booted, but the module/daemon stack did not come up
VM_RC_TIMEOUT=124  # --timeout hit
VM_RC_INFRA=125    # host-side preparation failed, VM did not boot or died

# Modules loaded in the guest (with their dependencies). A missing optional
# one only warns; the others are needed (unless built into the kernel).
VM_WANTED_MODULES="fuse cuse drm drm_shmem_helper vgem vivid"
VM_OPTIONAL_MODULES="drm drm_shmem_helper vgem vivid"

vm_msg() {
	echo "vm: $*" >&2
}

vm_die() {
	echo "vm: error: $*" >&2
	exit "$VM_RC_INFRA"
}

# Quote one word for a POSIX shell (busybox sh in the guest).
vm_sh_quote() {
	local s=$1
	printf "'%s'" "${s//\'/\'\\\'\'}"
}

# Sets what differs between the architectures the guest runs (VM_ARCH):
#   VM_QEMU         the qemu binary
#   VM_USERLAND     the root the guest's busybox, bash and libraries come
#                   from: the host's ("") for amd64, else the Debian 12
#                   sysroot of tools/cross-sysroot
#   VM_CONSOLE_TTY  the kernel's console (the harness's protocol)
#   VM_OUTPUT_TTY   the command's output
#   VM_WANTED_MODULES  with what the output tty needs first
vm_arch_setup() {
	case ${VM_ARCH:-amd64} in
	amd64)
		VM_QEMU=qemu-system-x86_64
		VM_USERLAND=""
		VM_CONSOLE_TTY=ttyS0
		VM_OUTPUT_TTY=/dev/ttyS1
		;;
	arm64)
		VM_QEMU=qemu-system-aarch64
		command -v "$VM_QEMU" >/dev/null ||
			vm_die "'$VM_QEMU' not found; fix: apt-get install qemu-system-arm"
		local ini
		ini=$("$VM_REPO/tools/cross-sysroot" arm64) ||
			vm_die "tools/cross-sysroot arm64 failed (see above)"
		VM_USERLAND=${ini%.ini}
		# virt has one UART, the console; the output goes to a
		# virtio console (modules in Debian 12's kernel).
		VM_CONSOLE_TTY=ttyAMA0
		VM_OUTPUT_TTY=/dev/hvc0
		VM_WANTED_MODULES="virtio_mmio virtio_console $VM_WANTED_MODULES"
		;;
	*) vm_die "unknown architecture '$VM_ARCH'; one of: $VM_ARCH_NAMES" ;;
	esac
}

vm_require_tools() {
	local t
	for t in "$VM_QEMU" cpio dpkg-deb depmod modprobe timeout ldd readelf; do
		command -v "$t" >/dev/null ||
			vm_die "'$t' not found; fix: apt-get install qemu-system-x86 qemu-system-arm cpio dpkg kmod coreutils libc-bin binutils"
	done
	[[ -x $VM_USERLAND/bin/busybox ]] || vm_die "$VM_USERLAND/bin/busybox not found; fix: apt-get install busybox-static"
	if ! vm_arch_cross && ldd /bin/busybox >/dev/null 2>&1; then
		vm_die "/bin/busybox is dynamically linked; fix: apt-get install busybox-static"
	fi
}

# Take the exclusive lock CACHE/NAME.lock (waits for parallel runs preparing
# the same thing); released by vm_unlock or when the script exits.
vm_lock() {
	mkdir -p "$VM_CACHE"
	exec {VM_LOCK_FD}>"$VM_CACHE/$1.lock"
	flock -w 1800 "$VM_LOCK_FD" || vm_die "waited 30 min for $VM_CACHE/$1.lock; is another run stuck?"
}

vm_unlock() {
	exec {VM_LOCK_FD}>&-
}

# ---------------------------------------------------------------- kernels --

# Sets VM_KVER to the ABI name of the Debian kernel that the installed linux-headers-amd64 is for
# (e.g. 6.1.0-56-amd64). Deliberately not `uname -r`: that is the host's kernel.
vm_stock_kver() {
	local deps pkg
	deps=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null) ||
		vm_die "linux-headers-amd64 is not installed; fix: apt-get install linux-headers-amd64"
	pkg=$(tr ',' '\n' <<<"$deps" | sed -n 's/^ *\(linux-headers-[^ ]*\).*/\1/p' | head -n 1)
	[[ -n $pkg ]] || vm_die "no versioned linux-headers-* package in the Depends of linux-headers-amd64: '$deps'"
	VM_KVER=${pkg#linux-headers-}
}

# Unpack the given .debs into DEST and run depmod there. Atomic: DEST only
# appears once everything worked, so an interrupted run leaves no half tree.
vm_unpack_debs() {
	local dest=$1
	shift
	local tmp=$dest.tmp.$$ deb moddir
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for deb in "$@"; do
		dpkg-deb -x "$deb" "$tmp" || vm_die "dpkg-deb -x $deb failed (corrupt or not a .deb?)"
	done
	# Newer kernel packages (sid) are usr-merged and keep the image beside
	# the modules: give them the classic /lib/modules and /boot/vmlinuz-KVER.
	if [[ -d $tmp/usr/lib/modules && ! -e $tmp/lib ]]; then
		ln -s usr/lib "$tmp/lib"
	fi
	# busybox insmod in the guest reads plain .ko files only.
	find "$tmp" \( -path "$tmp/lib/modules/*" -o -path "$tmp/usr/lib/modules/*" \) \
		-name '*.ko.xz' -print0 | xargs -0 -r xz -d
	find "$tmp" \( -path "$tmp/lib/modules/*" -o -path "$tmp/usr/lib/modules/*" \) \
		-name '*.ko.zst' -print0 | xargs -0 -r zstd -q -d --rm
	for moddir in "$tmp"/usr/lib/modules/*/; do
		[[ -f $moddir/vmlinuz ]] || continue
		mkdir -p "$tmp/boot"
		ln -sf "../usr/lib/modules/$(basename "$moddir")/vmlinuz" \
			"$tmp/boot/vmlinuz-$(basename "$moddir")"
	done
	for moddir in "$tmp"/lib/modules/*/; do
		[[ -d $moddir/kernel ]] || continue
		depmod -b "$tmp" "$(basename "$moddir")" ||
			vm_die "depmod -b $tmp $(basename "$moddir") failed"
	done
	rm -rf "$dest"
	mv "$tmp" "$dest"
}

# Fetch Debian's linux-image-KVER into the cache (once); sets VM_ROOT to the unpacked root.
vm_fetch_stock_kernel() {
	local kver=$1
	local dir=$VM_CACHE/stock-$kver pkg=linux-image-$kver
	VM_ROOT=$dir/root
	[[ -f $dir/root/boot/vmlinuz-$kver ]] && return
	vm_lock "stock-$kver"
	if [[ -f $dir/root/boot/vmlinuz-$kver ]]; then # a parallel run fetched it
		vm_unlock
		return
	fi
	vm_msg "fetching $pkg into $dir (first run only)"
	rm -rf "$dir/dl"
	mkdir -p "$dir/dl"
	if ! (cd "$dir/dl" && timeout 600 apt-get -o APT::Sandbox::User=root download "$pkg") >&2; then
		vm_msg "apt-get download $pkg failed; running apt-get update and retrying"
		timeout 600 apt-get update >&2 ||
			vm_die "apt-get update failed; check network access to the Debian mirror"
		(cd "$dir/dl" && timeout 600 apt-get -o APT::Sandbox::User=root download "$pkg") >&2 ||
			vm_die "apt-get download $pkg failed; the headers (linux-headers-$kver) and the image must come from the same Debian release: apt-get update && apt-get install linux-headers-amd64"
	fi
	local debs=("$dir/dl"/*.deb)
	[[ -f ${debs[0]} ]] || vm_die "apt-get download $pkg produced no .deb in $dir/dl"
	vm_unpack_debs "$dir/root" "${debs[@]}"
	[[ -f $dir/root/boot/vmlinuz-$kver ]] || vm_die "$pkg has no /boot/vmlinuz-$kver"
	rm -rf "$dir/dl"
	vm_unlock
}

# Unpack --kernel-deb and --headers-deb into the cache, keyed by their names,
# sizes and mtimes; sets VM_ROOT to the unpacked root.
vm_unpack_custom_kernel() {
	local image=$1 headers=$2 key f
	key=""
	for f in "$image" "$headers"; do
		[[ -f $f ]] || vm_die "$f: no such file"
		key+="$(basename "$f" .deb)-$(stat -c %s-%Y "$f")--"
	done
	local dir=$VM_CACHE/deb-${key%--}
	if [[ ! -d $dir/root ]]; then
		vm_lock "deb-${key%--}"
		if [[ ! -d $dir/root ]]; then
			vm_msg "unpacking $(basename "$image") and $(basename "$headers") into $dir"
			mkdir -p "$dir"
			vm_unpack_debs "$dir/root" "$image" "$headers"
		fi
		vm_unlock
	fi
	VM_ROOT=$dir/root
}

# Sets VM_KVER to the kernel release of an unpacked image: the one
# lib/modules/KVER with a matching boot/vmlinuz-KVER.
vm_kver_of_root() {
	local root=$1 d kver found=""
	for d in "$root"/lib/modules/*/; do
		kver=$(basename "$d")
		if [[ -f $root/boot/vmlinuz-$kver ]]; then
			[[ -z $found ]] || vm_die "$root holds more than one kernel ($found, $kver)"
			found=$kver
		fi
	done
	[[ -n $found ]] || vm_die "no boot/vmlinuz-KVER with lib/modules/KVER in $root; is --kernel-deb a linux-image package?"
	VM_KVER=$found
}

# Sets VM_KDIR to the out-of-tree build dir for KVER inside an unpacked headers package.
vm_kdir_of_root() {
	local root=$1 kver=$2 d rel
	for d in "$root"/usr/src/linux-headers-*/; do
		d=${d%/}
		[[ -f $d/Makefile && -f $d/include/config/kernel.release ]] || continue
		rel=$(<"$d/include/config/kernel.release")
		if [[ $rel == "$kver" ]]; then
			VM_KDIR=$d
			return
		fi
	done
	vm_die "no usr/src/linux-headers-*/ for kernel $kver in $root; --headers-deb must be the headers of --kernel-deb (a complete build dir with Makefile, .config and scripts)"
}

# Sets VM_MODULE_PATHS to the host paths of the modules to insmod, in dependency order.
# Built-in modules are skipped; a missing optional module only warns.
vm_module_list() {
	local root=$1 kver=$2 m out line
	local -A seen=()
	VM_MODULE_PATHS=()
	for m in $VM_WANTED_MODULES; do
		if ! out=$(modprobe -d "$root" -S "$kver" --show-depends "$m" 2>&1); then
			if [[ " $VM_OPTIONAL_MODULES " == *" $m "* ]]; then
				vm_msg "warning: kernel $kver has no module $m (optional, skipped)"
				continue
			fi
			vm_die "kernel $kver has neither a module nor a built-in $m: $out"
		fi
		while read -r line; do
			case $line in
			insmod\ *)
				line=${line#insmod }
				line=${line%% *}
				if [[ -z ${seen[$line]:-} ]]; then
					seen[$line]=1
					VM_MODULE_PATHS+=("$line")
				fi
				;;
			esac
		done <<<"$out"
	done
}

# ------------------------------------------------------------------ builds --

# Build (or refresh) the Meson build dir BUILD.
vm_meson_build() {
	local build=$1
	if [[ ! -f $build/build.ninja ]]; then
		[[ -f $VM_REPO/meson.build ]] || vm_die "$VM_REPO/meson.build does not exist yet; nothing to build (use --no-stack to boot without the daemon)"
		local cross=()
		if vm_arch_cross; then
			local ini
			ini=$("$VM_REPO/tools/cross-sysroot" "$VM_ARCH") ||
				vm_die "tools/cross-sysroot $VM_ARCH failed (see above)"
			# The helper is built in the kernel's root, not here.
			cross=(--cross-file "$ini" --cross-file "$VM_REPO/cross/$VM_ARCH.ini" -Dkmod=disabled)
		fi
		vm_msg "meson setup $build ${cross[*]}"
		(cd "$VM_REPO" && timeout 600 meson setup "$build" "${cross[@]}") >&2 ||
			vm_die "meson setup $build failed; fix the error above (or rm -rf $build and retry)"
	fi
	timeout 1200 ninja -C "$build" >&2 || vm_die "ninja -C $build failed; fix the build error above"
}

# Build the helper module against KDIR and copy it to OUT. The scratch dir
# CACHE/kmod-KVER-REPO is kept so make stays incremental (and locked while
# in use); REPO names the checkout, for build-module copies the sources
# with their times: in a dir shared by two worktrees, an object built from
# the other's newer copy looked up to date and went into this one's module.
# Uses the project's kmod-helper/build-module when there is one, else copies
# kmod-helper/{*.c,*.h,Kbuild} and include/ to SCRATCH/kmod-helper and
# SCRATCH/include and runs make -C KDIR M=SCRATCH/kmod-helper modules.
# With the test hooks (fault_inject, the debugfs page list) unless
# DMAHEAPD_TEST_HOOKS=n: the Meson tests pass their -Dtest_hooks.
# MAKE-ARGs after ROOT go to make (a cross build's ARCH=, CROSS_COMPILE=).
# Usage: vm_build_helper KDIR KVER OUT [ROOT [MAKE-ARG...]]
vm_build_helper() {
	local kdir=$1 kver=$2 out=$3 root=${4:-}
	shift $(($# < 4 ? $# : 4))
	local repo name work src=$VM_REPO/kmod-helper
	local hooks=DMAHEAP_TEST_HOOKS=${DMAHEAPD_TEST_HOOKS:-y}
	repo=$(printf %s "$VM_REPO" | md5sum)
	name=kmod-$kver-${repo:0:8}
	work=$VM_CACHE/$name
	[[ -f $src/Kbuild ]] || vm_die "$src/Kbuild does not exist; cannot build dmaheap_helper.ko for $kver"
	vm_lock "kmod-$kver"
	mkdir -p "$work/kmod-helper"
	rm -f "$out"
	vm_msg "building dmaheap_helper.ko against $kdir"
	if [[ -n $root ]]; then
		timeout 600 "$src/build-module" --root "$root" "$kdir" "$VM_REPO" "$name" "$out" "$hooks" "$@" >&2 ||
			vm_die "building the helper module against $kdir in $root failed (see above)"
	elif [[ -x $src/build-module ]]; then
		timeout 600 "$src/build-module" "$kdir" "$VM_REPO" "$work" "$out" "$hooks" >&2 ||
			vm_die "building the helper module against $kdir failed (see above): $src/build-module $kdir $VM_REPO $work $out"
	else
		find "$work/kmod-helper" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \) -delete
		local f
		for f in "$src"/*.c "$src"/*.h "$src"/Kbuild; do
			if [[ -f $f ]]; then cp -p "$f" "$work/kmod-helper/"; fi
		done
		rm -rf "$work/include"
		if [[ -d $VM_REPO/include ]]; then cp -pr "$VM_REPO/include" "$work/include"; fi
		timeout 600 make -C "$kdir" M="$work/kmod-helper" "$hooks" modules >&2 ||
			vm_die "building the helper module against $kdir failed (see above): make -C $kdir M=$work/kmod-helper modules"
		[[ -f $work/kmod-helper/dmaheap_helper.ko ]] ||
			vm_die "the build in $work/kmod-helper produced no dmaheap_helper.ko"
		cp "$work/kmod-helper/dmaheap_helper.ko" "$out"
	fi
	[[ -f $out ]] || vm_die "building the helper module produced no $out"
	vm_unlock
}

# Fail unless KO was built for kernel KVER.
vm_check_vermagic() {
	local ko=$1 kver=$2 magic
	magic=$(modinfo -F vermagic "$ko" 2>/dev/null) || vm_die "modinfo $ko failed; not a kernel module?"
	[[ ${magic%% *} == "$kver" ]] ||
		vm_die "$ko was built for kernel ${magic%% *}, the VM runs $kver; rebuild it against /usr/src/linux-headers-$kver (or pass --kernel-deb/--headers-deb for another kernel)"
}

# -------------------------------------------------------------- initramfs --

declare -A VM_COPIED_LIBS=()
declare -A VM_LIB_DIRS=()

vm_is_elf() {
	[[ -f $1 ]] && [[ $(head -c 4 "$1" | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]
}

# The host path of PATH inside VM_USERLAND, its links followed there (an
# absolute link points into VM_USERLAND, not into the host).
vm_userland_path() {
	local path=$1 link n=0
	while [[ -L $VM_USERLAND$path ]] && ((n++ < 20)); do
		link=$(readlink "$VM_USERLAND$path")
		case $link in
		/*) path=$link ;;
		*) path=$(dirname "$path")/$link ;;
		esac
	done
	echo "$VM_USERLAND$path"
}

# The shared libraries ELF of another architecture needs, from VM_USERLAND
# (readelf: ldd runs the program): its interpreter and every NEEDED, found
# in the userland's multiarch dirs, recursively; copied to the same paths
# under ROOT.
vm_add_elf_libs_cross() {
	local root=$1 elf=$2 triplet lib dir path found
	triplet=$(vm_arch_triplet "$VM_ARCH")
	local -a want=()
	mapfile -t want < <(
		readelf -lW "$elf" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p'
		readelf -dW "$elf" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
	)
	for lib in "${want[@]}"; do
		found=""
		case $lib in
		/*) found=$lib ;;
		*)
			for dir in "/lib/$triplet" "/usr/lib/$triplet" /lib /usr/lib; do
				if [[ -e $VM_USERLAND$dir/$lib ]]; then
					found=$dir/$lib
					break
				fi
			done
			;;
		esac
		[[ -n $found ]] || vm_die "$elf needs $lib, which $VM_USERLAND does not have"
		[[ -n ${VM_COPIED_LIBS[$found]:-} ]] && continue
		VM_COPIED_LIBS[$found]=1
		path=$(vm_userland_path "$found")
		mkdir -p "$root$(dirname "$found")"
		cp "$path" "$root$found"
		vm_add_elf_libs_cross "$root" "$path"
	done
}

# Copy the shared libraries ELF needs (per ldd) to the same paths under ROOT.
vm_add_elf_libs() {
	local root=$1 elf=$2 out line path
	if vm_arch_cross; then
		vm_add_elf_libs_cross "$root" "$elf"
		return
	fi
	out=$(ldd "$elf" 2>&1) || return 0 # static, or not an executable/library
	if grep -q 'not found' <<<"$out"; then
		vm_die "$elf needs libraries that are not found on the host:
$(grep 'not found' <<<"$out")"
	fi
	while read -r line; do
		case $line in
		*' => '/*) path=${line#* => } ;;
		/*) path=$line ;;
		*) continue ;; # linux-vdso.so.1 and friends
		esac
		path=${path%% (0x*}
		[[ -n ${VM_COPIED_LIBS[$path]:-} ]] && continue
		VM_COPIED_LIBS[$path]=1
		mkdir -p "$root$(dirname "$path")"
		cp -L "$path" "$root$path"
		case $(dirname "$path") in
		/lib | /lib64 | /usr/lib | /lib/x86_64-linux-gnu | /usr/lib/x86_64-linux-gnu) ;;
		*) VM_LIB_DIRS[$(dirname "$path")]=1 ;;
		esac
	done <<<"$out"
}

# Copy the executable SRC to ROOT/DEST, plus its shared libraries.
vm_add_program() {
	local root=$1 src=$2 dest=$3
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$src" "$root$dest"
	vm_add_elf_libs "$root" "$src"
}

# Copy the contents of DIR to ROOT/DEST, plus the libraries of every ELF file in it.
vm_add_copy_dir() {
	local root=$1 dir=$2 dest=$3 f
	mkdir -p "$root$dest"
	cp -rL --preserve=mode,timestamps "$dir/." "$root$dest/" || vm_die "copying $dir into the initramfs failed"
	while IFS= read -r -d '' f; do
		if vm_is_elf "$f"; then vm_add_elf_libs "$root" "$f"; fi
	done < <(find "$dir" -type f -print0)
}

# The guest's busybox, from VM_USERLAND, with a link for each applet: the
# host's busybox lists them (another architecture's cannot run here; both
# are Debian 12's busybox-static).
vm_add_busybox() {
	local root=$1 applet
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin"
	cp "$VM_USERLAND/bin/busybox" "$root/bin/busybox"
	while read -r applet; do
		[[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
	done < <(/bin/busybox --list-full)
}

# Write ROOT/etc/dmaheap-vm/config from the VM_CFG associative array and
# ROOT/etc/dmaheap-vm/cmd from the command's argv.
vm_write_guest_config() {
	local root=$1
	shift
	local k a
	mkdir -p "$root/etc/dmaheap-vm"
	{
		echo "# written by tests/vm/guest"
		for k in "${!VM_CFG[@]}"; do
			echo "$k=$(vm_sh_quote "${VM_CFG[$k]}")"
		done
	} >"$root/etc/dmaheap-vm/config"
	{
		printf 'set --'
		for a in "$@"; do
			printf ' %s' "$(vm_sh_quote "$a")"
		done
		printf '\n'
	} >"$root/etc/dmaheap-vm/cmd"
}

vm_write_etc() {
	local root=$1
	mkdir -p "$root/etc"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
	echo dmaheap-vm >"$root/etc/hostname"
}

# Pack ROOT into an uncompressed newc cpio archive OUT.
vm_pack_initramfs() {
	local root=$1 out=$2
	(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$out" ||
		vm_die "cpio failed while packing $root"
}

# -------------------------------------------------------------------- qemu --

# Boot KERNEL with INITRD; console goes to RUNDIR/console.log, the command's
# output (VM_OUTPUT_TTY) to RUNDIR/output.log, which is streamed to stdout.
# Returns qemu's (or timeout's) exit status.
vm_run_qemu() {
	local kernel=$1 initrd=$2 append=$3 rundir=$4 tmo=$5 mem=$6
	local accel=tcg
	[[ ${DMAHEAPD_VM_KVM:-0} == 1 ]] && accel=kvm
	: >"$rundir/console.log"
	: >"$rundir/output.log"
	local machine=() output=()
	case ${VM_ARCH:-amd64} in
	amd64)
		machine=(-accel "$accel" -cpu max)
		output=(-serial "file:$rundir/output.log")
		;;
	arm64)
		# pauth-impdef: pointer authentication with QEMU's own cipher,
		# not QARMA's, which is slow to emulate (Debian's kernels sign
		# their return addresses).
		machine=(-M virt -accel "$accel" -cpu "max,pauth-impdef=on")
		output=(-chardev "file,id=output,path=$rundir/output.log"
			-device virtio-serial-device
			-device "virtconsole,chardev=output")
		;;
	esac
	timeout -k 10 "$tmo" "$VM_QEMU" \
		"${machine[@]}" -smp 2 -m "$mem" \
		-nographic -nodefaults -no-user-config -no-reboot -nic none \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		-serial "file:$rundir/console.log" \
		"${output[@]}" \
		</dev/null >"$rundir/qemu.log" 2>&1 &
	VM_QEMU_PID=$!
	tail -c +1 -s 0.1 -f --pid="$VM_QEMU_PID" "$rundir/output.log" &
	VM_TAIL_PID=$!
	local rc=0
	wait "$VM_QEMU_PID" || rc=$?
	VM_QEMU_PID=""
	wait "$VM_TAIL_PID" || true
	VM_TAIL_PID=""
	return "$rc"
}

# Lines of FILE between the line matching START and the line matching END
# (both exclusive), with carriage returns removed.
vm_console_section() {
	local file=$1 start=$2 end=$3
	tr -d '\r' <"$file" | sed -n "/$start/,/$end/{/$start/d;/$end/d;p}"
}

# shellcheck source-path=SCRIPTDIR source=kernels.sh
. "$VM_LIB_DIR/kernels.sh"
