#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# 'meson install --destdir DIR' as an unprivileged user (nobody) into a temporary directory puts
# exactly the expected files where they belong: admin tools (need CAP_NET_ADMIN to do anything
# useful) in sbin, the others in bin, man pages, example rules and settings, the service wrapper
# in libexec, and the unit in systemd's unit directory, which -Dsystemd=false leaves out.

set -u
set -o pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }
n=0
pass() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$*"; }

[ "$(id -u)" = 0 ] || skip "needs root to become the unprivileged user nobody (setpriv)"
for c in meson ninja setpriv pkg-config; do
	command -v "$c" >/dev/null || skip "'$c' is not installed"
done
id nobody >/dev/null 2>&1 || skip "there is no user nobody"

tmp=$(mktemp -d /tmp/rxq-pkg-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
# The source must be readable by nobody; a copy without build directories is.
mkdir "$tmp/src"
tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$tmp/src" -xf - ||
	fail "cannot copy the source tree"
chown -R nobody "$tmp"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all -- env HOME="$tmp" "$@"
}

as_nobody meson setup "$tmp/b" "$tmp/src" --prefix=/usr -Dtests=false >"$tmp/setup.log" 2>&1 ||
	fail "meson setup as nobody failed: $(tail -5 "$tmp/setup.log")"
as_nobody ninja -C "$tmp/b" >"$tmp/build.log" 2>&1 ||
	fail "build as nobody failed: $(tail -5 "$tmp/build.log")"
as_nobody meson install -C "$tmp/b" --no-rebuild --destdir "$tmp/dest" >"$tmp/inst.log" 2>&1 ||
	fail "meson install --destdir as nobody failed: $(tail -5 "$tmp/inst.log")"
pass "meson install --destdir works as nobody"

if pkg-config --exists systemd; then
	unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
else
	unitdir=/usr/lib/systemd/system
fi
expect() {
	cat <<-LIST
	$unitdir/rxq-offload@.service
	/usr/bin/rxq-gen
	/usr/bin/rxq-udpclient
	/usr/bin/rxq-udpserver
	/usr/libexec/rxq/rxq-offload-service
	/usr/sbin/rxq-nic
	/usr/sbin/rxq-offload
	/usr/share/man/man8/rxq-gen.8
	/usr/share/man/man8/rxq-nic.8
	/usr/share/man/man8/rxq-offload.8
	/usr/share/man/man8/rxq-udpclient.8
	/usr/share/man/man8/rxq-udpserver.8
	/usr/share/rxq/examples/README.md
	/usr/share/rxq/examples/basic.rules
	/usr/share/rxq/examples/blocklist.rules
	/usr/share/rxq/examples/dns-server.rules
	/usr/share/rxq/examples/offload.conf
	/usr/share/rxq/examples/reflection.rules
	LIST
}
got=$(cd "$tmp/dest" && find . ! -type d | sed 's/^\.//' | sort)
diff -u <(expect | sort) <(echo "$got") >&2 || fail "the installed files differ from the list (- expected, + got)"
pass "the installed file list is exactly the expected one ($(echo "$got" | wc -l) files)"
[ -d "$tmp/dest/etc/rxq/offload" ] || fail "/etc/rxq/offload was not created"
pass "/etc/rxq/offload is created for the settings files"

for f in /usr/bin/rxq-gen /usr/bin/rxq-udpclient /usr/bin/rxq-udpserver /usr/sbin/rxq-nic \
	/usr/sbin/rxq-offload /usr/libexec/rxq/rxq-offload-service; do
	[ -x "$tmp/dest$f" ] || fail "$f is not executable"
done
"$tmp/dest/usr/sbin/rxq-offload" --version >"$tmp/v" 2>&1 || fail "installed rxq-offload --version failed"
grep -q '0\.[0-9]' "$tmp/v" || fail "rxq-offload --version printed no version: $(cat "$tmp/v")"
pass "programs are executable and run ($(head -1 "$tmp/v"))"

unit=$tmp/dest$unitdir/rxq-offload@.service
grep -qx 'ExecStart=/usr/libexec/rxq/rxq-offload-service %i' "$unit" ||
	fail "the unit does not start the installed wrapper: $(grep ExecStart= "$unit")"
grep -qx 'EnvironmentFile=/etc/rxq/offload/%i.conf' "$unit" ||
	fail "the unit does not read /etc/rxq/offload/NAME.conf"
grep -q '@[a-z]*@' "$unit" "$tmp/dest/usr/libexec/rxq/rxq-offload-service" &&
	fail "a @placeholder@ was left unsubstituted"
grep -q '^exec "/usr/sbin/rxq-offload"' "$tmp/dest/usr/libexec/rxq/rxq-offload-service" ||
	fail "the wrapper does not exec the installed /usr/sbin/rxq-offload"
pass "unit and wrapper point at the installed paths (prefix /usr, sysconfdir /etc)"

# -Dsystemd=false: no unit; a custom unit directory is honoured.
as_nobody meson configure "$tmp/b" -Dsystemd=false >/dev/null 2>&1 || fail "meson configure failed"
as_nobody meson install -C "$tmp/b" --destdir "$tmp/dest2" >"$tmp/inst2.log" 2>&1 ||
	fail "meson install -Dsystemd=false failed: $(tail -5 "$tmp/inst2.log")"
[ -z "$(find "$tmp/dest2" -name '*.service')" ] || fail "-Dsystemd=false still installed a unit"
[ -x "$tmp/dest2/usr/sbin/rxq-offload" ] || fail "-Dsystemd=false lost the programs"
pass "-Dsystemd=false installs no unit"
as_nobody meson configure "$tmp/b" -Dsystemd=true -Dsystemdsystemunitdir=/srv/units >/dev/null 2>&1 ||
	fail "meson configure failed"
as_nobody meson install -C "$tmp/b" --destdir "$tmp/dest3" >"$tmp/inst3.log" 2>&1 ||
	fail "meson install with a unit directory failed: $(tail -5 "$tmp/inst3.log")"
[ -f "$tmp/dest3/srv/units/rxq-offload@.service" ] || fail "-Dsystemdsystemunitdir=/srv/units was ignored"
pass "-Dsystemdsystemunitdir is honoured"
