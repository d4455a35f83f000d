#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpclient --xdp: probes sent and echoes received through an AF_XDP socket, past the client's
# own UDP/IP stack. Against the kernel's echo and the AF_XDP echo, IPv4 and IPv6, the accounting
# must stay exact (every 10th echo dropped by nftables = 10% lost), the client's kernel must not
# see the echoes, ARP/ND and other traffic must stay the kernel's, and nothing may stay attached,
# not even after kill -9. Also --inflight (closed loop, N outstanding) on both paths.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq nft nstat ping

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)

tb_up 1
port_up() { tb_dut ss -Hlun "sport = :$1" | grep -q .; }
summary() { jq -c 'select(.type == "summary")' "$1" | tail -n1; }
xdpline() { jq -c 'select(.type == "xdp")' "$1" | tail -n1; }
gen_udp_in() {
	tb_gen nstat -a 2>/dev/null |
		awk '$1 == "UdpInDatagrams" || $1 == "Udp6InDatagrams" { n += $2 } END { print n + 0 }'
}
no_xdp_on_gen() { [ -z "$(tb_xdp_attached gen "$TB_GEN_IF")" ]; }

# ---- bad input: clear errors, nothing attached --------------------------------------------------
c() { tb_gen "$CLIENT" --count=10 "$@"; }
tb_expect_exit 2 "expected IF~Q" c --xdp="$TB_GEN_IF" 198.18.0.2:4321
tb_expect_exit 2 "gen0 has 1 .*queue 3 does not exist" c --xdp="$TB_GEN_IF~3" 198.18.0.2:4321
tb_expect_exit 2 "there is no interface nosuch0" c --xdp=nosuch0~0 198.18.0.2:4321
tb_expect_exit 2 "--xdp probes one target" c --xdp="$TB_GEN_IF~0" 198.18.0.2:4321 198.18.0.2:4322
tb_expect_exit 2 "--timestamp, --hwtstamp and --incoming-cpu do not apply" \
	c --xdp="$TB_GEN_IF~0" --timestamp 198.18.0.2:4321
tb_expect_exit 2 "--xdp-mode needs --xdp" c --xdp-mode=native 198.18.0.2:4321
tb_expect_exit 2 "choose one" c --inflight=4 --rate=1000 198.18.0.2:4321
tb_expect_exit 2 "lo has no Ethernet address" c --xdp=lo~0 198.18.0.2:4321
tb_expect_exit 1 "could not resolve the MAC of 198.18.0.99 on gen0" c --xdp="$TB_GEN_IF~0" 198.18.0.99:4321
no_xdp_on_gen || tb_fail "an XDP program stayed attached after bad input"

# ---- against the kernel's echo ---------------------------------------------------------------------
tb_spawn dut "$TB_TMP/ks.json" "$TB_TMP/ks.err" "$SERVER" --listen=:4322 --json
tb_wait_for 5 port_up 4322 || tb_fail "kernel rxq-udpserver did not start: $(cat "$TB_TMP/ks.err")"
# The client has the kernel resolve the next hop (the testbed's permanent entries removed first).
tb_gen ip neigh del 198.18.0.2 dev "$TB_GEN_IF"
tb_gen ip -6 neigh del fd00::2 dev "$TB_GEN_IF"
tb_gen nstat -n >/dev/null
for target in 198.18.0.2:4322 '[fd00::2]:4322'; do
	tb_gen "$CLIENT" --json --count=2000 --timeout=200ms --xdp="$TB_GEN_IF~0" "$target" \
		>"$TB_TMP/c.json" 2>"$TB_TMP/c.err" || tb_fail "client failed: $(cat "$TB_TMP/c.err")"
	s=$(summary "$TB_TMP/c.json")
	x=$(xdpline "$TB_TMP/c.json")
	jq -e '.replies == 2000 and .lost == 0 and .dup == 0 and .min_us > 0 and
		.min_us <= .p50_us and .p50_us <= .p99_us and .p99_us <= .max_us' <<<"$s" >/dev/null ||
		tb_fail "$target via the AF_XDP client: $s"
	jq -e '.steered == 2000 and .ring_drops == 0 and .stray == 0 and .kernel_echoes == 0' \
		<<<"$x" >/dev/null || tb_fail "$target: the AF_XDP path's account: $x"
	grep -q "probing through AF_XDP on $TB_GEN_IF queue 0" "$TB_TMP/c.err" ||
		tb_fail "no start-up line: $(cat "$TB_TMP/c.err")"
	tb_pass "$target from the AF_XDP client: 2000/2000, p50 $(jq .p50_us <<<"$s") us, 2000 echoes steered"
done
neigh=$(tb_gen ip neigh show dev "$TB_GEN_IF")
grep -E "^198\.18\.0\.2 lladdr .* (REACHABLE|STALE|DELAY|PROBE)" <<<"$neigh" >/dev/null &&
	grep -E "^fd00::2 lladdr .* (REACHABLE|STALE|DELAY|PROBE)" <<<"$neigh" >/dev/null ||
	tb_fail "the kernel did not resolve the targets' MACs: $neigh"
tb_pass "ARP and neighbour discovery were the kernel's (entries for both families)"
k=$(gen_udp_in)
[ "$k" -lt 20 ] || tb_fail "the client's kernel received $k UDP datagrams: the echoes were not steered"
tb_pass "the client's kernel saw $k of the 4000 echoes"
no_xdp_on_gen || tb_fail "the client's XDP program stayed attached after it exited"

# ---- every 10th echo dropped: the accounting stays exact ---------------------------------------------
tb_dut nft -f - <<'EOF'
table inet rxqtest {
	chain out {
		type filter hook output priority 0;
		udp sport 4322 numgen inc mod 10 == 0 counter drop
	}
}
EOF
for target in 198.18.0.2:4322 '[fd00::2]:4322'; do
	for mode in closed open; do
		# closed loop: each lost echo costs a timeout, so fewer probes and a short one
		args=(--count=1000 --timeout=50ms --xdp="$TB_GEN_IF~0")
		[ $mode = open ] && args+=(--rate=3000)
		tb_gen "$CLIENT" --json "${args[@]}" "$target" >"$TB_TMP/c.json" 2>"$TB_TMP/c.err" ||
			tb_fail "client failed: $(cat "$TB_TMP/c.err")"
		s=$(summary "$TB_TMP/c.json")
		tb_assert_eq "$(jq '.replies + .lost' <<<"$s")" "$(jq .sent <<<"$s")" \
			"$target $mode loop over AF_XDP: replies + lost = sent"
		tb_assert_eq "$(jq .lost <<<"$s")" 100 "$target $mode loop over AF_XDP: every 10th echo lost"
	done
done
tb_dut nft delete table inet rxqtest

# ---- AF_XDP on both ends ---------------------------------------------------------------------------
tb_spawn dut "$TB_TMP/xs.json" "$TB_TMP/xs.err" "$SERVER" --listen=:4321 --xdp="$TB_DUT_IF~0" --json
xs_pid=$TB_LAST_PID
xs_up() { grep -q "echoing UDP port 4321" "$TB_TMP/xs.err"; }
tb_wait_for 10 xs_up || tb_fail "rxq-udpserver --xdp did not start: $(cat "$TB_TMP/xs.err")"
for target in 198.18.0.2:4321 '[fd00::2]:4321'; do
	tb_gen "$CLIENT" --json --count=2000 --timeout=200ms --xdp="$TB_GEN_IF~0" "$target" \
		>"$TB_TMP/c.json" 2>"$TB_TMP/c.err" || tb_fail "client failed: $(cat "$TB_TMP/c.err")"
	s=$(summary "$TB_TMP/c.json")
	jq -e '.replies == 2000 and .lost == 0 and .dup == 0' <<<"$s" >/dev/null ||
		tb_fail "$target, AF_XDP on both ends: $s"
	tb_pass "$target, AF_XDP on both ends: 2000/2000, min $(jq .min_us <<<"$s") us, p50 $(jq .p50_us <<<"$s") us"
done

# ---- --inflight: N probes outstanding, on both paths -------------------------------------------------
for path in socket xdp; do
	args=(--json --count=20000 --inflight=8 --timeout=500ms)
	[ $path = xdp ] && args+=(--xdp="$TB_GEN_IF~0")
	tb_gen "$CLIENT" "${args[@]}" 198.18.0.2:4321 >"$TB_TMP/c.json" 2>"$TB_TMP/c.err" ||
		tb_fail "--inflight=8 over the $path failed: $(cat "$TB_TMP/c.err")"
	s=$(summary "$TB_TMP/c.json")
	jq -e '.sent == 20000 and .replies + .lost == 20000 and .dup == 0 and .lost <= 20' <<<"$s" \
		>/dev/null || tb_fail "--inflight=8 over the $path: $s"
	tb_pass "--inflight=8 over the $path: $(jq .replies <<<"$s") replies, $(jq '.pps | round' <<<"$s") probes/s"
done
kill -TERM "$xs_pid"
wait "$xs_pid" 2>/dev/null || true
jq -e 'select(.type == "summary") | .echoed >= 44000' "$TB_TMP/xs.json" >/dev/null ||
	tb_fail "the AF_XDP server's account: $(summary "$TB_TMP/xs.json")"

# ---- while the client runs, the rest of the interface is the kernel's; kill -9 leaves nothing -------
tb_spawn gen "$TB_TMP/k.json" "$TB_TMP/k.err" "$CLIENT" --json --duration=20 --timeout=200ms \
	--xdp="$TB_GEN_IF~0" 198.18.0.2:4322
k_pid=$TB_LAST_PID
k_up() { grep -q "probing through AF_XDP" "$TB_TMP/k.err"; }
tb_wait_for 10 k_up || tb_fail "the client did not start: $(cat "$TB_TMP/k.err")"
[ -n "$(tb_xdp_attached gen "$TB_GEN_IF")" ] || tb_fail "no XDP program on $TB_GEN_IF while the client runs"
tb_gen ping -c 3 -i 0.2 -W 1 198.18.0.2 >/dev/null || tb_fail "ping over IPv4 failed under the client"
tb_gen ping -6 -c 3 -i 0.2 -W 1 fd00::2 >/dev/null || tb_fail "ping over IPv6 failed under the client"
tb_gen "$CLIENT" --json --count=500 --timeout=200ms 198.18.0.2:4322 >"$TB_TMP/c2.json" ||
	tb_fail "a kernel-socket client next to the AF_XDP one failed"
jq -e 'select(.type == "summary") | .replies == 500' "$TB_TMP/c2.json" >/dev/null ||
	tb_fail "a kernel-socket client next to the AF_XDP one: $(summary "$TB_TMP/c2.json")"
tb_pass "ping (both families) and another client's socket still work next to the AF_XDP client"
kill -KILL "$k_pid"
wait "$k_pid" 2>/dev/null || true
tb_wait_for 5 no_xdp_on_gen || tb_fail "the XDP program stayed attached after kill -9"
tb_gen "$CLIENT" --json --count=200 --timeout=200ms --xdp="$TB_GEN_IF~0" 198.18.0.2:4322 \
	>"$TB_TMP/c.json" 2>"$TB_TMP/c.err" || tb_fail "client after kill -9 failed: $(cat "$TB_TMP/c.err")"
tb_pass "after kill -9 nothing stays attached, and the next client starts clean"
