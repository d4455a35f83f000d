#!/usr/bin/env bash
# Installs what rxq needs to build, test, benchmark and run its demo on Debian 12 (as root).
set -euo pipefail
packages=(
	build-essential meson ninja-build pkg-config clang clang-format llvm libclang-rt-14-dev bpftool
	libbpf-dev libxdp-dev libpcap-dev libmnl-dev libcmocka-dev
	iproute2 iputils-ping nftables ethtool jq xdp-tools netsniff-ng sockperf tshark
	python3 procps kmod dnsmasq-base nsd dnsperf bind9-dnsutils gnuplot-nox
	debhelper dpkg-dev fakeroot lintian man-db systemd systemd-container debootstrap
)
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: run as root (apt-get install, network namespaces and XDP need it)" >&2
	exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tshark asks whether non-root users may capture; the default (no) is what we want.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
