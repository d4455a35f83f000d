#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpserver --xdp: the echo answered from an AF_XDP socket. Probes over IPv4 and IPv6 must be
# answered correctly without the kernel's UDP stack seeing them, while everything else on the
# interface (ping, neighbour discovery, another UDP port) stays with the kernel; when the server
# exits, the interface is back to normal.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq nstat ping

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)

tb_up 1
port_up() { tb_dut ss -Hlun "sport = :$1" | grep -q .; }

# ---- bad input first (nothing may stay attached after them) -----------------------------------
s() { tb_dut "$SERVER" --duration=1 "$@"; }
tb_expect_exit 2 "dut0 has 1 .*queue 5 does not exist" s --xdp=dut0~5
tb_expect_exit 2 "there is no interface nosuch0" s --xdp=nosuch0~0
tb_expect_exit 2 "missing queue after" s --xdp=dut0~
tb_expect_exit 2 "--threads, --reuseport and --polling do not apply" s --xdp=dut0~0 --threads=2
tb_expect_exit 2 "--xdp-mode: 'turbo' is not a known value \(expected auto, native or generic\)" \
	s --xdp=dut0~0 --xdp-mode=turbo
[ -z "$(tb_xdp_attached dut "$TB_DUT_IF")" ] || tb_fail "an XDP program stayed attached after bad input"

# ---- the AF_XDP echo, next to a kernel echo on another port -----------------------------------
tb_spawn dut "$TB_TMP/xdp.json" "$TB_TMP/xdp.err" "$SERVER" --listen=:4321 --xdp="$TB_DUT_IF~0" --json
xdp_pid=$TB_LAST_PID
tb_bg dut "$SERVER" --listen=:4322 >/dev/null 2>&1
tb_wait_for 5 port_up 4322 || tb_fail "kernel rxq-udpserver did not start"
attached() { [ -n "$(tb_xdp_attached dut "$TB_DUT_IF")" ] && grep -q "echoing UDP port 4321" "$TB_TMP/xdp.err"; }
tb_wait_for 10 attached || tb_fail "rxq-udpserver --xdp did not start: $(cat "$TB_TMP/xdp.err")"
tb_pass "--xdp server up: $(head -n1 "$TB_TMP/xdp.err")"
port_up 4321 && tb_fail "--xdp must not need a kernel socket on 4321"

summary() { jq -c 'select(.type == "summary")' "$1" | tail -n1; }
tb_dut nstat -n >/dev/null
for target in 198.18.0.2:4321 '[fd00::2]:4321'; do
	tb_gen "$CLIENT" --json --count=2000 --timeout=200ms "$target" >"$TB_TMP/c.json" \
		2>"$TB_TMP/c.err" || tb_fail "client failed: $(cat "$TB_TMP/c.err")"
	s=$(summary "$TB_TMP/c.json")
	jq -e '.replies == 2000 and .lost == 0 and .dup == 0 and .min_us > 0 and
		.min_us <= .p50_us and .p50_us <= .p99_us and .p99_us <= .max_us' <<<"$s" >/dev/null ||
		tb_fail "$target via AF_XDP: $s"
	tb_pass "$target answered from AF_XDP: min $(jq .min_us <<<"$s") us, p50 $(jq .p50_us <<<"$s") us"
done
# The kernel's UDP stack in dut never saw those 4000 probes.
kernel_udp=$(tb_dut nstat -a 2>/dev/null | awk '$1 == "UdpInDatagrams" || $1 == "Udp6InDatagrams" { n += $2 } END { print n + 0 }')
tb_dut nstat -n >/dev/null
[ "$kernel_udp" -lt 20 ] || tb_fail "the kernel received $kernel_udp UDP datagrams: the probes were not steered"
tb_pass "the kernel's UDP stack saw $kernel_udp of the 4000 probes"

# ---- everything else stays with the kernel -----------------------------------------------------
tb_gen ping -c 3 -i 0.2 -W 1 198.18.0.2 >/dev/null || tb_fail "ping over IPv4 failed under --xdp"
tb_gen ping -6 -c 3 -i 0.2 -W 1 fd00::2 >/dev/null || tb_fail "ping over IPv6 failed under --xdp"
tb_pass "ping (IPv4 and IPv6) still answered by the kernel"
tb_gen "$CLIENT" --json --count=500 --timeout=200ms 198.18.0.2:4322 '[fd00::2]:4322' \
	>"$TB_TMP/c.json" || tb_fail "client to the kernel port failed"
jq -e -s '[.[] | select(.type == "summary") | select(.replies == 500 and .lost == 0)] | length == 2' \
	"$TB_TMP/c.json" >/dev/null || tb_fail "UDP port 4322 under --xdp: $(cat "$TB_TMP/c.json")"
kernel_udp=$(tb_dut nstat -a 2>/dev/null | awk '$1 == "UdpInDatagrams" || $1 == "Udp6InDatagrams" { n += $2 } END { print n + 0 }')
[ "$kernel_udp" -ge 1000 ] || tb_fail "port 4322's datagrams did not reach the kernel ($kernel_udp)"
tb_pass "another UDP port is still the kernel's ($kernel_udp datagrams)"

# ---- the server's own account, and a clean exit ------------------------------------------------
kill -TERM "$xdp_pid"
wait "$xdp_pid" 2>/dev/null || true
s=$(summary "$TB_TMP/xdp.json")
jq -e '.echoed >= 4000 and .echoed == .received and .steered >= 4000 and .passed >= 6 and
	.tx_errors == 0 and .not_echo == 0' <<<"$s" >/dev/null ||
	tb_fail "--xdp server summary: $s"
tb_pass "--xdp server: $(jq -r '"\(.echoed) echoed, \(.steered) steered, \(.passed) passed to the kernel"' <<<"$s")"
[ -z "$(tb_xdp_attached dut "$TB_DUT_IF")" ] || tb_fail "the XDP program stayed attached after exit"
# Port 4321 is the kernel's again: nobody listens, so probes are refused.
# (Every probe lost: the client exits 1.)
rc=0
tb_gen "$CLIENT" --json --count=5 --timeout=100ms 198.18.0.2:4321 >"$TB_TMP/c.json" 2>/dev/null ||
	rc=$?
[ "$rc" = 1 ] || tb_fail "client after the --xdp server exited: exit $rc, expected 1"
jq -e 'select(.type == "summary") | .replies == 0 and .refused > 0' "$TB_TMP/c.json" >/dev/null ||
	tb_fail "after exit, 4321 should be refused by the kernel: $(summary "$TB_TMP/c.json")"
tb_pass "after exit the interface is back to normal (XDP detached, 4321 refused by the kernel)"
