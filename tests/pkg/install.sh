#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# 'meson install --destdir DIR' as an unprivileged user (nobody) into a temporary directory puts
# exactly the expected files where they belong: admin tools (need CAP_NET_ADMIN to do anything
# useful) in sbin, the others in bin, man pages, example rules and settings, the service wrapper
# in libexec, and the unit in systemd's unit directory, which -Dsystemd=false leaves out.

source "$(dirname "$0")/../net/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

[ "$(id -u)" = 0 ] || tb_skip "needs root to become the unprivileged user nobody (setpriv)"
for c in meson ninja setpriv pkg-config; do
	command -v "$c" >/dev/null || tb_skip "'$c' is not installed"
done
id nobody >/dev/null 2>&1 || tb_skip "there is no user nobody"

tmp=$(mktemp -d /tmp/rxq-pkg-install.XXXXXX)
tb_on_exit 'rm -rf "$tmp"'
chmod 755 "$tmp"
# The source must be readable by nobody; a copy without build directories is.
mkdir "$tmp/src"
tar -C "$top" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$tmp/src" -xf - ||
	tb_fail "cannot copy the source tree"
chown -R nobody "$tmp"
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		--bounding-set=-all -- env HOME="$tmp" "$@"
}

as_nobody meson setup "$tmp/b" "$tmp/src" --prefix=/usr -Dtests=false >"$tmp/setup.log" 2>&1 ||
	tb_fail "meson setup as nobody failed: $(tail -5 "$tmp/setup.log")"
as_nobody ninja -C "$tmp/b" >"$tmp/build.log" 2>&1 ||
	tb_fail "build as nobody failed: $(tail -5 "$tmp/build.log")"
as_nobody meson install -C "$tmp/b" --no-rebuild --destdir "$tmp/dest" >"$tmp/inst.log" 2>&1 ||
	tb_fail "meson install --destdir as nobody failed: $(tail -5 "$tmp/inst.log")"
tb_pass "meson install --destdir works as nobody"

if pkg-config --exists systemd; then
	unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
else
	unitdir=/usr/lib/systemd/system
fi
expect() {
	cat <<-LIST
	$unitdir/rxq-nic@.service
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
	/usr/share/rxq/examples/nic.conf
	/usr/share/rxq/examples/offload.conf
	/usr/share/rxq/examples/reflection.rules
	LIST
}
got=$(cd "$tmp/dest" && find . ! -type d | sed 's/^\.//' | sort)
diff -u <(expect | sort) <(echo "$got") >&2 || tb_fail "the installed files differ from the list (- expected, + got)"
tb_pass "the installed file list is exactly the expected one ($(echo "$got" | wc -l) files)"
[ -d "$tmp/dest/etc/rxq/offload" ] || tb_fail "/etc/rxq/offload was not created"
[ -d "$tmp/dest/etc/rxq/nic" ] || tb_fail "/etc/rxq/nic was not created"
tb_pass "/etc/rxq/offload and /etc/rxq/nic are created for the settings files"

for f in /usr/bin/rxq-gen /usr/bin/rxq-udpclient /usr/bin/rxq-udpserver /usr/sbin/rxq-nic \
	/usr/sbin/rxq-offload /usr/libexec/rxq/rxq-offload-service; do
	[ -x "$tmp/dest$f" ] || tb_fail "$f is not executable"
done
"$tmp/dest/usr/sbin/rxq-offload" --version >"$tmp/v" 2>&1 || tb_fail "installed rxq-offload --version failed"
grep -q '0\.[0-9]' "$tmp/v" || tb_fail "rxq-offload --version printed no version: $(cat "$tmp/v")"
tb_pass "programs are executable and run ($(head -1 "$tmp/v"))"

unit=$tmp/dest$unitdir/rxq-offload@.service
grep -qx 'ExecStart=/usr/libexec/rxq/rxq-offload-service %i' "$unit" ||
	tb_fail "the unit does not start the installed wrapper: $(grep ExecStart= "$unit")"
grep -qx 'EnvironmentFile=/etc/rxq/offload/%i.conf' "$unit" ||
	tb_fail "the unit does not read /etc/rxq/offload/NAME.conf"
grep -q '@[a-z]*@' "$unit" "$tmp/dest/usr/libexec/rxq/rxq-offload-service" &&
	tb_fail "a @placeholder@ was left unsubstituted"
grep -q '^exec "/usr/sbin/rxq-offload"' "$tmp/dest/usr/libexec/rxq/rxq-offload-service" ||
	tb_fail "the wrapper does not exec the installed /usr/sbin/rxq-offload"
tb_pass "unit and wrapper point at the installed paths (prefix /usr, sysconfdir /etc)"

nicunit=$tmp/dest$unitdir/rxq-nic@.service
grep -qx 'ExecStart=/usr/sbin/rxq-nic apply /etc/rxq/nic/%i.conf' "$nicunit" ||
	tb_fail "rxq-nic@.service does not apply /etc/rxq/nic/NAME.conf: $(grep ExecStart= "$nicunit")"
grep -qx 'BindsTo=sys-subsystem-net-devices-%i.device' "$nicunit" &&
	grep -qx 'After=sys-subsystem-net-devices-%i.device' "$nicunit" ||
	tb_fail "rxq-nic@.service does not wait for its interface"
grep -q '@[a-z]*@' "$nicunit" && tb_fail "a @placeholder@ was left in rxq-nic@.service"
tb_pass "rxq-nic@.service applies /etc/rxq/nic/NAME.conf once the interface is there"
# systemd-analyze checks the unit as systemd would load it; the command must exist, so the copy
# runs the rxq-nic of the destination directory (the man page is not installed: not checked).
if command -v systemd-analyze >/dev/null; then
	mkdir "$tmp/units"
	sed "s|/usr/sbin/rxq-nic|$tmp/dest/usr/sbin/rxq-nic|" "$nicunit" >"$tmp/units/rxq-nic@test0.service"
	systemd-analyze verify --man=no "$tmp/units/rxq-nic@test0.service" >"$tmp/verify.log" 2>&1 ||
		tb_fail "systemd-analyze verify rejects rxq-nic@.service: $(cat "$tmp/verify.log")"
	[ ! -s "$tmp/verify.log" ] || tb_fail "systemd-analyze verify complains: $(cat "$tmp/verify.log")"
	tb_pass "systemd-analyze verify accepts rxq-nic@test0.service"
else
	printf '# systemd-analyze is not installed: the unit is not verified\n' >&2
fi

# -Dsystemd=false: no unit; a custom unit directory is honoured.
as_nobody meson configure "$tmp/b" -Dsystemd=false >/dev/null 2>&1 || tb_fail "meson configure failed"
as_nobody meson install -C "$tmp/b" --destdir "$tmp/dest2" >"$tmp/inst2.log" 2>&1 ||
	tb_fail "meson install -Dsystemd=false failed: $(tail -5 "$tmp/inst2.log")"
[ -z "$(find "$tmp/dest2" -name '*.service')" ] || tb_fail "-Dsystemd=false still installed a unit"
[ -x "$tmp/dest2/usr/sbin/rxq-offload" ] || tb_fail "-Dsystemd=false lost the programs"
tb_pass "-Dsystemd=false installs no unit"
as_nobody meson configure "$tmp/b" -Dsystemd=true -Dsystemdsystemunitdir=/srv/units >/dev/null 2>&1 ||
	tb_fail "meson configure failed"
as_nobody meson install -C "$tmp/b" --destdir "$tmp/dest3" >"$tmp/inst3.log" 2>&1 ||
	tb_fail "meson install with a unit directory failed: $(tail -5 "$tmp/inst3.log")"
[ -f "$tmp/dest3/srv/units/rxq-offload@.service" ] && [ -f "$tmp/dest3/srv/units/rxq-nic@.service" ] ||
	tb_fail "-Dsystemdsystemunitdir=/srv/units was ignored"
tb_pass "-Dsystemdsystemunitdir is honoured"
