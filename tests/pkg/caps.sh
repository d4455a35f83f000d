#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The capability set of rxq-offload@.service is enough, and each capability in it is needed:
# rxq-offload runs as the unprivileged user nobody with exactly the unit's set (ambient, bounding
# set limited to it, as systemd grants it) on the testbed's veth, filters frames rxq-gen sends,
# and with any one capability removed refuses to start with a message that names it.
#
# The locked-memory limit is lowered to 4 MiB for every run, below one default UMEM (16 MiB),
# so that CAP_IPC_LOCK is needed whatever limit this machine sets. Where /dev/net/tun is not
# open to every user (udev makes it 0666; some containers 0600), the test binds a 0666 node
# over it inside the dut namespace's private mount namespace only.

source "$(dirname "$0")/../net/lib.sh"
tb_require jq setpriv mknod mount

OFF=$(tb_bin rxq-offload)
GEN=$(tb_bin rxq-gen)
UNIT=$RXQ_BUILD/dist/rxq-offload@.service
[ -f "$UNIT" ] || tb_fail "$UNIT is not built (run ninja -C $RXQ_BUILD)"
id nobody >/dev/null 2>&1 || tb_skip "there is no user nobody"

unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
ambient=$(sed -n 's/^AmbientCapabilities=//p' "$UNIT")
[ -n "$unit_caps" ] || tb_fail "the unit sets no CapabilityBoundingSet"
[ "$unit_caps" = "$ambient" ] || tb_fail "the unit's ambient set ($ambient) differs from its bounding set ($unit_caps)"
tb_log "the unit's capabilities: $unit_caps"

tb_up 1
chmod 755 "$TB_TMP"
R=$TB_TMP/caps.rules
printf 'drop udp dst port 9\ndefault pass\n' >"$R"
chmod 644 "$R"
tun_wrap=()
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	mknod -m 666 "$TB_TMP/tun" c 10 200 || tb_fail "cannot make a tun device node"
	tun_wrap=(sh -c 'mount --bind "$0" /dev/net/tun && shift && exec "$@"' "$TB_TMP/tun" --)
	tb_log "/dev/net/tun is mode $(stat -c %a /dev/net/tun) here: a 0666 node is bound over it in the dut namespace"
fi

# offload CAPS ARGS...: rxq-offload in the dut namespace as nobody with exactly CAPS (e.g.
# "CAP_NET_ADMIN CAP_BPF"), in the background; its PID in $off_pid, output in $TB_TMP/off.*.
offload() {
	local caps=$1 c list=
	shift
	for c in $caps; do
		c=${c#CAP_}
		list+=",+${c,,}"
	done
	list=${list#,}
	: >"$TB_TMP/off.json"
	tb_bg dut "${tun_wrap[@]}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps="-all${list:+,$list}" --ambient-caps="-all${list:+,$list}" \
		--bounding-set="-all${list:+,$list}" -- \
		sh -c 'ulimit -l 4096 && exec "$@"' rxq-offload "$OFF" --json "$@" \
		>"$TB_TMP/off.json" 2>"$TB_TMP/off.err"
	off_pid=$TB_LAST_PID
}

offload "$unit_caps" xdp:dut0~0 --flow 'udp4' --rules "$R"
tb_wait_for 20 grep -q '"type":"start"' "$TB_TMP/off.json" ||
	tb_fail "rxq-offload with the unit's capabilities did not start: $(cat "$TB_TMP/off.err")"
tb_pass "rxq-offload starts as nobody with only $unit_caps"
tb_gen "$GEN" --quiet xdp:gen0~0 --count 100 --flow "udp4 src $TB_GEN_IP4 dst $TB_DUT_IP4 dport 9" \
	>/dev/null 2>"$TB_TMP/gen.err" || tb_fail "rxq-gen failed: $(cat "$TB_TMP/gen.err")"
tb_gen "$GEN" --quiet xdp:gen0~0 --count 50 --flow "udp4 src $TB_GEN_IP4 dst $TB_DUT_IP4 dport 7" \
	>/dev/null 2>"$TB_TMP/gen.err" || tb_fail "rxq-gen failed: $(cat "$TB_TMP/gen.err")"
# The counters are read once a second; the summary at exit is final.
sleep 1.5
kill -INT "$off_pid"
wait "$off_pid" || tb_fail "rxq-offload exited $?: $(cat "$TB_TMP/off.err")"
sum=$(grep '"type":"summary"' "$TB_TMP/off.json") || tb_fail "rxq-offload printed no summary"
tb_assert_eq "$(jq -r .rx <<<"$sum")" 150 "all 150 frames reached the filter"
tb_assert_eq "$(jq -r .dropped <<<"$sum")" 100 "the 100 frames to port 9 were dropped"
tb_assert_eq "$(jq -r .passed <<<"$sum")" 50 "the 50 others were passed"

for cap in $unit_caps; do
	fewer=
	for c in $unit_caps; do
		[ "$c" = "$cap" ] || fewer+="$c "
	done
	offload "$fewer" xdp:dut0~0 --flow 'udp4' --rules "$R" --duration 5
	rc=0
	wait "$off_pid" || rc=$?
	[ "$rc" != 0 ] || tb_fail "without $cap rxq-offload still ran (exit 0)"
	grep -q "$cap" "$TB_TMP/off.err" ||
		tb_fail "without $cap the message does not name it: $(cat "$TB_TMP/off.err")"
	tb_pass "without $cap: exit $rc, '$(head -c 160 "$TB_TMP/off.err")'"
done
