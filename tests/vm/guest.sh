#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# PID 1 of a VM-lane guest, on the host's root (read-only 9p): give the guest writable scratch
# space, the guest kernel's modules and the results share, name the two igb NICs, move the peer
# into its own namespace, run the test script, write its exit status, and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
# What udev or systemd would make: bash's process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
# The host's root stays reachable under /media: the tree, the build or the lane's cache may live
# under /tmp or /var/tmp, which get a tmpfs of the guest's own below.
mount --bind / /media
for d in /tmp /run /var/tmp /dev/shm; do
	mount -t tmpfs -o mode=1777 tmpfs "$d"
done
mount -t bpf bpf /sys/fs/bpf
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 rxqres /mnt || {
	echo "guest: cannot mount the results share" >/dev/console
	echo b >/proc/sysrq-trigger
}

log=/mnt/log
finish() {
	echo "$1" >/mnt/rc
	sync
	umount /mnt 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 5
	echo b >/proc/sysrq-trigger
}

# shellcheck source=/dev/null
source /mnt/cmd || finish 1

# Paths of the host under a tmpfs of the guest: bind them back from /media.
for p in "$RXQ_TREE" "$RXQ_BUILD" "$RXQ_VM_KERNEL"; do
	case $p in
	/tmp/* | /run/* | /var/tmp/* | /dev/shm/*)
		mountpoint -q "$p" && continue
		mkdir -p "$p" && mount --bind "/media$p" "$p" ;;
	esac
done

# The guest kernel's modules live in the lane's cache, not under /lib/modules of the read-only
# root: a modprobe that looks there comes first in PATH and is the kernel's own helper too.
mkdir -p /run/rxq-vm/bin
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %q "$@"\n' "$RXQ_VM_KERNEL" >/run/rxq-vm/bin/modprobe
chmod +x /run/rxq-vm/bin/modprobe
export PATH=/run/rxq-vm/bin:$PATH
echo /run/rxq-vm/bin/modprobe >/proc/sys/kernel/modprobe
{
	hostname rxq-vm
	ip link set lo up
	modprobe igb
	modprobe tun
	modprobe veth
	# Name the NICs by MAC: rxqigb0 is under test, rxqigb1 its peer on the same QEMU hub.
	for i in $(seq 50); do
		[ "$(ls /sys/class/net | grep -c '^eth')" -ge 2 ] && break
		sleep 0.1
	done
	for ifc in $(ls /sys/class/net); do
		case $(cat "/sys/class/net/$ifc/address") in
		52:54:00:52:51:10) ip link set "$ifc" name rxqigb0 ;;
		52:54:00:52:51:11) ip link set "$ifc" name rxqigb1 ;;
		esac
	done
	ip netns add peer
	ip link set rxqigb1 netns peer
} >>"$log" 2>&1

export RXQ_TREE RXQ_BUILD
cd "$RXQ_TREE" || finish 1
echo "# guest: kernel $(uname -r), $(nproc) CPUs, igb driver $(ethtool -i rxqigb0 2>/dev/null | awk '/^version/ { print $2 }')" >>"$log"
timeout 600 "${RXQ_VM_SCRIPT[@]}" >>"$log" 2>&1
finish $?
