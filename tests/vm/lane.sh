#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The VM lane: rxq on a real driver. QEMU (TCG, no KVM needed) emulates two Intel 82576 NICs
# (-device igb) on one QEMU hub with no way out of the VM; Debian 12's own 6.12 kernel drives them
# with the real igb driver. The guest mounts this machine's root read-only over 9p, so it runs the
# tools and tests of this tree as built; a second 9p share carries the command in and the results
# out (a guest's exit status does not come back through QEMU).
#
#   tests/vm/lane.sh prepare              packages, kernel and initramfs, once (cached in $VM_DIR)
#   tests/vm/lane.sh run SCRIPT [ARGS]    boot a guest that runs SCRIPT (a path in this tree) and
#                                         exit with its status; 77 when the lane cannot be prepared
#
#   RXQ_BUILD        the build dir whose tools the guest runs (default: build)
#   RXQ_VM_DIR       the lane's cache (default: $RXQ_BUILD/vm)
#   RXQ_VM_TIMEOUT   seconds a guest may run (default 400); QEMU is killed after that
#   RXQ_SKIP_DEPS=1  never run apt-get; skip when something is missing
#
# Inside the guest, SCRIPT sees two igb interfaces: rxqigb0 (the one under test) in the guest's
# root namespace and rxqigb1 (its peer, on the same hub) in the namespace "peer", and 2 vCPUs.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RXQ_BUILD=${RXQ_BUILD:-$ROOT/build}
RXQ_BUILD=$(cd "$RXQ_BUILD" && pwd)
VM_DIR=${RXQ_VM_DIR:-$RXQ_BUILD/vm}
TIMEOUT=${RXQ_VM_TIMEOUT:-400}
QEMU_PACKAGES=(qemu-system-x86 qemu-system-common qemu-system-data seabios)

skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}
die() {
	printf 'lane: %s\n' "$*" >&2
	exit 1
}

# QEMU 10 (igb needs QEMU >= 8) comes from bookworm-backports, pinned there for its packages only.
install_qemu() {
	local src=/etc/apt/sources.list.d/rxq-bookworm-backports.sources
	[ "${RXQ_SKIP_DEPS:-0}" = 1 ] && skip "QEMU with igb is not installed and RXQ_SKIP_DEPS=1"
	command -v apt-get >/dev/null || skip "QEMU is not installed and there is no apt-get"
	grep -qs bookworm /etc/os-release || skip "QEMU's igb comes from Debian 12's backports; this is not Debian 12"
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		cat >"$src" <<-'EOF' || skip "cannot add bookworm-backports to apt's sources"
			Types: deb
			URIs: http://deb.debian.org/debian
			Suites: bookworm-backports
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed (no mirror?)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-t bookworm-backports "${QEMU_PACKAGES[@]}" >/dev/null 2>&1 ||
		skip "cannot install QEMU from bookworm-backports (${QEMU_PACKAGES[*]})"
}

# need CMD PACKAGE: installs PACKAGE (Debian) when CMD is missing, or skips saying what is missing.
need() {
	command -v "$1" >/dev/null && return 0
	[ "${RXQ_SKIP_DEPS:-0}" = 1 ] && skip "'$1' is not installed (package $2) and RXQ_SKIP_DEPS=1"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" \
		>/dev/null 2>&1 || skip "cannot install $2 (for '$1')"
}

qemu_has_igb() {
	qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"'
}

# The guest kernel: Debian 12's 6.12 image (not -cloud: it has neither igb nor 9p), unpacked.
prepare_kernel() {
	local k=$VM_DIR/kernel pkg deb
	[ -f "$k/.done" ] && return 0
	rm -rf "$k" && mkdir -p "$k/deb" || die "cannot create $k"
	pkg=$(apt-cache depends linux-image-6.12-amd64 2>/dev/null |
		awk '/Depends: linux-image-6\.12/ { print $2; exit }')
	[ -n "$pkg" ] || skip "no Debian 6.12 kernel image in apt's lists (linux-image-6.12-amd64)"
	(cd "$k/deb" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
		skip "cannot download $pkg"
	deb=$(ls "$k"/deb/*.deb)
	dpkg-deb -x "$deb" "$k" || die "cannot unpack $deb"
	rm -rf "$k/deb"
	depmod -b "$k" "$(ls "$k/lib/modules")" || die "depmod failed for the guest kernel"
	touch "$k/.done"
}

# A busybox initramfs that mounts this machine's root over 9p and switches to it.
prepare_initramfs() {
	local k=$VM_DIR/kernel ver dir m f
	[ -f "$VM_DIR/initrd.gz" ] && [ "$VM_DIR/initrd.gz" -nt "$0" ] && return 0
	need busybox busybox-static
	ver=$(ls "$k/lib/modules")
	dir=$(mktemp -d) || die "mktemp failed"
	mkdir -p "$dir"/{bin,dev,proc,sys,newroot,lib/modules} || die "cannot build the initramfs tree"
	cp "$(command -v busybox)" "$dir/bin/busybox" || die "cannot copy busybox"
	for m in sh mount insmod switch_root mkdir cat sleep echo; do
		ln -s busybox "$dir/bin/$m"
	done
	# Dependency order: netfs, then 9pnet, then its virtio transport and the file system.
	for m in fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p; do
		f=$k/lib/modules/$ver/kernel/$m.ko
		if [ -f "$f.xz" ]; then
			xz -dc "$f.xz" >"$dir/lib/modules/$(basename "$m").ko" || die "cannot unpack $f.xz"
		else
			cp "$f" "$dir/lib/modules/" || die "no module $f"
		fi
	done
	cp "$ROOT/tests/vm/initramfs-init" "$dir/init" && chmod +x "$dir/init" || die "no init"
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$VM_DIR/initrd.gz.tmp" ||
		die "cannot pack the initramfs"
	mv "$VM_DIR/initrd.gz.tmp" "$VM_DIR/initrd.gz"
	rm -rf "$dir"
}

prepare() {
	mkdir -p "$VM_DIR" || die "cannot create $VM_DIR"
	exec 9>"$VM_DIR/.lock"
	flock 9 || die "cannot lock $VM_DIR"
	[ "$(id -u)" = 0 ] || skip "the VM lane needs root (apt-get, 9p export of /)"
	if ! command -v qemu-system-x86_64 >/dev/null || ! qemu_has_igb; then
		install_qemu
		qemu_has_igb || skip "this QEMU has no igb device (needs QEMU >= 8)"
	fi
	need cpio cpio
	need xz xz-utils
	prepare_kernel
	prepare_initramfs
	flock -u 9
}

# boot_guest RES KERNEL_DIR VERSION: one guest run; QEMU's exit status.
boot_guest() {
	local res=$1 k=$2 ver=$3
	# No -netdev user or tap: the hub's only ports are the two NICs, so nothing leaves the VM.
	# Each igb on its own root port: the 82576 reserves function numbers for its VFs on its bus.
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
		-machine q35 -accel tcg,thread=multi -cpu max -smp 2 -m 1024 \
		-nographic -no-reboot -nodefaults -serial stdio \
		-kernel "$k/boot/vmlinuz-$ver" -initrd "$VM_DIR/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 rxq.tree=$ROOT" \
		-virtfs "local,path=/,mount_tag=rxqroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$res,mount_tag=rxqres,security_model=none" \
		-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1,addr=0x4 \
		-device pcie-root-port,id=rp1,bus=pcie.0,chassis=2,addr=0x5 \
		-netdev hubport,id=p0,hubid=0 -device igb,bus=rp0,netdev=p0,mac=52:54:00:52:51:10 \
		-netdev hubport,id=p1,hubid=0 -device igb,bus=rp1,netdev=p1,mac=52:54:00:52:51:11 \
		</dev/null >"$res/console" 2>&1
}

run() {
	local script=$1 res k ver rc start
	shift
	[ -f "$ROOT/$script" ] || die "no such test script: $script (a path relative to $ROOT)"
	prepare
	k=$VM_DIR/kernel
	ver=$(ls "$k/lib/modules")
	res=$(mktemp -d "$VM_DIR/run.XXXXXX") || die "mktemp failed"
	trap 'rm -rf "$res"' EXIT
	{
		printf 'RXQ_TREE=%q\nRXQ_BUILD=%q\nRXQ_VM_KERNEL=%q\n' "$ROOT" "$RXQ_BUILD" "$k"
		printf 'RXQ_VM_SCRIPT=(%q' "$ROOT/$script"
		[ $# -gt 0 ] && printf ' %q' "$@"
		printf ')\n'
	} >"$res/cmd"
	start=$(date +%s.%N)
	local attempt
	for attempt in 1 2 3; do
		boot_guest "$res" "$k" "$ver"
		rc=$?
		# QEMU's multi-threaded TCG can abort on an internal assertion while the firmware
		# boots (iotlb_to_section: seen once in a few hundred boots). Before the guest started
		# the script nothing has run: boot again, and say so; after that it is a failure.
		[ "$rc" = 134 ] && [ ! -e "$res/log" ] && [ ! -e "$res/rc" ] || break
		echo "# lane: QEMU aborted before the guest started $script ($(grep -m1 -o 'Assertion.*' "$res/console" || echo "exit 134")); booting again (attempt $((attempt + 1)))" >&2
	done
	rc=$?
	[ -f "$res/log" ] && cat "$res/log"
	if [ ! -f "$res/rc" ]; then
		echo "--- guest console (last 40 lines) ---" >&2
		tail -n 40 "$res/console" >&2
		[ "$rc" = 124 ] || [ "$rc" = 137 ] &&
			die "the guest ran out of time (${TIMEOUT}s, RXQ_VM_TIMEOUT) before $script ended"
		die "the guest ended without a result (crash or panic; QEMU exit $rc)"
	fi
	rc=$(cat "$res/rc")
	awk -v s="$start" -v e="$(date +%s.%N)" -v t="$script" -v rc="$rc" 'BEGIN { printf "# guest ran %s in %.1fs, exit %s\n", t, e - s, rc }' >&2
	exit "$rc"
}

case ${1:-} in
prepare) prepare ;;
run)
	shift
	[ $# -ge 1 ] || die "usage: lane.sh run SCRIPT [ARGS...]"
	run "$@"
	;;
*) die "usage: lane.sh prepare | lane.sh run SCRIPT [ARGS...]" ;;
esac
