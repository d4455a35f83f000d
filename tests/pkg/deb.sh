#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The Debian package: built with dpkg-buildpackage from a copy of the tree without build
# directories or .git, lintian finds no error in it, dpkg -i installs it, the installed tools
# run (rxq-offload filters a capture the installed rxq-gen wrote, with an installed example
# rules file), man finds the pages, systemd-analyze accepts the installed unit, and
# dpkg --purge leaves nothing behind. Takes a few minutes (the package build).

source "$(dirname "$0")/../net/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" = 0 ] || tb_skip "installing a package needs root"
for c in dpkg-buildpackage dpkg-checkbuilddeps dh fakeroot jq; do
	command -v "$c" >/dev/null || tb_skip "'$c' is not installed (apt-get install dpkg-dev debhelper fakeroot jq, or scripts/deps.sh)"
done
dpkg-query -W -f='${Status}' rxq 2>/dev/null | grep -q 'installed' &&
	tb_skip "a package rxq is installed on this machine: the test would replace and purge it"
(cd "$top" && dpkg-checkbuilddeps) 2>"/tmp/rxq-deb-deps.$$" || {
	msg=$(cat "/tmp/rxq-deb-deps.$$")
	rm -f "/tmp/rxq-deb-deps.$$"
	tb_skip "build dependencies missing: $msg"
}
rm -f "/tmp/rxq-deb-deps.$$"

tmp=$(mktemp -d /tmp/rxq-pkg-deb.XXXXXX)
installed=0
cleanup() {
	[ "$installed" = 1 ] && dpkg --purge rxq >/dev/null 2>&1
	rm -rf "$tmp"
}
tb_on_exit cleanup

version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$tmp/rxq-$version
mkdir "$src"
tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf - ||
	tb_fail "cannot copy the tree"
start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 ||
	tb_fail "dpkg-buildpackage failed: $(tail -20 "$tmp/build.log")"
deb=$tmp/rxq_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || tb_fail "no $deb after the build: $(ls "$tmp")"
tb_pass "dpkg-buildpackage -us -uc -b built $(basename "$deb") in $(($(date +%s) - start)) s"
# pkg-nspawn installs this package in a container.
if [ -n "${RXQ_BUILD:-}" ] && [ -d "$RXQ_BUILD" ]; then
	mkdir -p "$RXQ_BUILD/tests/pkg"
	cp "$deb" "$RXQ_BUILD/tests/pkg/" || tb_fail "cannot copy the package to $RXQ_BUILD/tests/pkg"
fi

if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 "$deb" >"$tmp/lintian.log" 2>&1
	grep '^E:' "$tmp/lintian.log" >&2 && tb_fail "lintian reports errors"
	printf '# lintian: %s\n' "$(grep -c '^W:' "$tmp/lintian.log") warnings" >&2
	sed 's/^/#   /' "$tmp/lintian.log" >&2
	tb_pass "lintian: no errors"
else
	printf '# lintian is not installed: not run\n' >&2
fi

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's/^\.//' | grep -v '/$' | sort >"$tmp/files"
for f in /usr/sbin/rxq-offload /usr/sbin/rxq-nic /usr/bin/rxq-gen /usr/bin/rxq-udpserver \
	/usr/bin/rxq-udpclient /usr/libexec/rxq/rxq-offload-service \
	/lib/systemd/system/rxq-offload@.service /usr/share/rxq/examples/offload.conf \
	/lib/systemd/system/rxq-nic@.service /usr/share/rxq/examples/nic.conf \
	/usr/share/rxq/examples/basic.rules /usr/share/doc/rxq/copyright; do
	grep -qx "$f" "$tmp/files" || tb_fail "the package lacks $f"
done
tb_pass "the package holds the tools, wrapper, unit, examples and copyright"

dpkg -i "$deb" >"$tmp/install.log" 2>&1 || tb_fail "dpkg -i failed: $(cat "$tmp/install.log")"
installed=1
dpkg -L rxq | sort >"$tmp/owned"
tb_pass "dpkg -i installed it ($(wc -l <"$tmp/owned") paths)"

/usr/sbin/rxq-offload --version >"$tmp/v" 2>&1 || tb_fail "rxq-offload --version failed: $(cat "$tmp/v")"
[ "$(cat "$tmp/v")" = "rxq-offload $version" ] || tb_fail "rxq-offload --version says '$(cat "$tmp/v")', expected 'rxq-offload $version'"
/usr/sbin/rxq-offload --help >"$tmp/h" 2>&1 || tb_fail "rxq-offload --help failed"
grep -q -- '--rules' "$tmp/h" || tb_fail "rxq-offload --help does not describe --rules"
for t in rxq-gen rxq-udpserver rxq-udpclient; do
	"/usr/bin/$t" --version >/dev/null 2>&1 || tb_fail "$t --version failed"
done
/usr/sbin/rxq-nic --version >/dev/null 2>&1 || tb_fail "rxq-nic --version failed"
tb_pass "installed tools run: $(cat "$tmp/v"), --help"

# basic.rules drops src net 198.51.100.0/24 and passes the rest by default.
cap=$tmp/in.pcap
/usr/bin/rxq-gen --quiet pcap:"$cap" --count 60 --seed 1 \
	--flow 'udp4 src 198.51.100.7 dst 198.18.0.2 dport 80 weight 2' \
	--flow 'udp4 src 198.18.0.1 dst 198.18.0.2 dport 80 weight 1' >/dev/null 2>"$tmp/gen.err" ||
	tb_fail "the installed rxq-gen could not write a capture: $(cat "$tmp/gen.err")"
/usr/sbin/rxq-offload --json pcap:"$cap" --rules /usr/share/rxq/examples/basic.rules \
	>"$tmp/off.json" 2>"$tmp/off.err" || tb_fail "installed rxq-offload on a pcap failed: $(cat "$tmp/off.err")"
sum=$(grep '"type":"summary"' "$tmp/off.json") || tb_fail "rxq-offload printed no summary"
rx=$(jq -r .rx <<<"$sum") dropped=$(jq -r .dropped <<<"$sum") passed=$(jq -r .passed <<<"$sum")
[ "$rx" = 60 ] && [ "$dropped" = 40 ] && [ "$passed" = 20 ] ||
	tb_fail "expected rx 60, dropped 40, passed 20 with basic.rules; got rx $rx, dropped $dropped, passed $passed"
tb_pass "installed rxq-offload filters a capture with the installed basic.rules (rx $rx, dropped $dropped, passed $passed)"

if command -v man >/dev/null; then
	for t in rxq-offload rxq-gen rxq-nic rxq-udpserver rxq-udpclient; do
		p=$(man -w "$t" 2>/dev/null) || tb_fail "man -w $t finds no page"
		grep -qx "$p" "$tmp/owned" || tb_fail "man -w $t found $p, which the package does not own"
	done
	tb_pass "man -w finds the five pages the package installed"
else
	for t in rxq-offload rxq-gen rxq-nic rxq-udpserver rxq-udpclient; do
		grep -qx "/usr/share/man/man8/$t.8.gz" "$tmp/owned" || tb_fail "no man page $t.8.gz"
	done
	tb_pass "the five man pages are installed (man is not installed: file check)"
fi

if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify rxq-offload@test.service >"$tmp/verify.log" 2>&1 ||
		tb_fail "systemd-analyze verify rejects the installed unit: $(cat "$tmp/verify.log")"
	[ ! -s "$tmp/verify.log" ] || tb_fail "systemd-analyze verify complains: $(cat "$tmp/verify.log")"
	tb_pass "systemd-analyze verify accepts the installed rxq-offload@test.service"
	systemd-analyze verify rxq-nic@test.service >"$tmp/verify.log" 2>&1 ||
		tb_fail "systemd-analyze verify rejects the installed rxq-nic@.service: $(cat "$tmp/verify.log")"
	[ ! -s "$tmp/verify.log" ] || tb_fail "systemd-analyze verify complains: $(cat "$tmp/verify.log")"
	tb_pass "systemd-analyze verify accepts the installed rxq-nic@test.service"
fi

dpkg --purge rxq >"$tmp/purge.log" 2>&1 || tb_fail "dpkg --purge failed: $(cat "$tmp/purge.log")"
installed=0
dpkg-query -W -f='${Status}' rxq 2>/dev/null | grep -q 'installed' && tb_fail "rxq is still installed"
left=
while read -r f; do
	# Directories shared with other packages stay; anything of ours must go.
	[ -e "$f" ] || continue
	if [ -d "$f" ] && [ -n "$(dpkg -S "$f" 2>/dev/null)" ]; then
		continue
	fi
	case $f in /etc/rxq* | /usr/share/rxq* | /usr/libexec/rxq* | /usr/share/doc/rxq*) left+=" $f" ;;
	*) [ -d "$f" ] || left+=" $f" ;;
	esac
done <"$tmp/owned"
[ -z "$left" ] || tb_fail "left after dpkg --purge:$left"
tb_pass "dpkg --purge removed everything ($(wc -l <"$tmp/owned") paths checked)"
