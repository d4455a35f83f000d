#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-offload on one queue of a real NIC (igb, QEMU's 82576) in a VM-lane guest: native XDP in the
# igb driver, AF_XDP (copy mode) on queue 1, RSS spreading a flood of UDP/53 over both queues.
# Judged by the driver's per-queue counters and a counting server:
#   - rxq-offload saw exactly the frames the driver received on queue 1 (steered = rx_queue_1);
#   - on queue 1 the flood was dropped and the valid queries were passed through the TAP;
#   - queue 0's traffic, flood included, reached the server untouched (the kernel's queue);
#   - counters reconcile; with the kernel tier on, the same verdicts come from XDP in the driver.
source "$RXQ_TREE/tests/vm/guestlib.sh"
OFF=$(tb_bin rxq-offload)
GEN=$(tb_bin rxq-gen)
vm_link_up
ip route add 198.19.0.0/16 via 198.18.1.2 dev "$IF"
ethtool -N "$IF" rx-flow-hash udp4 sdfn || tb_fail "ethtool -N $IF rx-flow-hash udp4 sdfn"
tb_assert_eq "$(ethtool -l "$IF" | sed -n '/Current/,$p' | awk '/Combined/ { print $2 }')" 2 "igb runs 2 queue pairs"

SRV_STATE=$TB_TMP/srv.json
python3 "$RXQ_TREE/tests/net/offload-server.py" 198.18.1.1 "$SRV_STATE" 53 >"$TB_TMP/srv.log" 2>&1 &
TB_PIDS+=($!)
tb_wait_for 20 test -s "$SRV_STATE" || tb_fail "server did not start: $(cat "$TB_TMP/srv.log")"
# Datagrams the kernel handed to UDP port 53's socket, including those its full buffer refused
# (the counting server is slow under TCG; the question is what the kernel delivered).
srv_total() {
	nstat -az UdpInDatagrams UdpRcvbufErrors | awk '/^Udp/ { s += $2 } END { print s + 0 }'
}

cat >"$TB_TMP/rules" <<'EOF'
drop    src net 198.19.0.0/16
default pass
EOF

queue_packets() { ethtool -S "$IF" | awk -v k="rx_queue_$1_packets:" '$1 == k { print $2 }'; }

# run TIER: rxq-offload on queue 1 with the kernel tier TIER while the peer sends the mix.
run() {
	local tier=$1 out=$TB_TMP/off.$1.json q0 q1 srv0 pid rc=0
	"$OFF" --json --kernel-tier="$tier" xdp:"$IF"~1 --flow 'udp4 dst-port 53' --rules "$TB_TMP/rules" \
		>"$out" 2>"$out.err" &
	pid=$!
	TB_PIDS+=("$pid")
	tb_wait_for 30 grep -q '"type":"start"' "$out" || tb_fail "rxq-offload did not start: $(cat "$out.err")"
	tb_assert_eq "$(jq -r 'select(.type == "start") | .xdp_mode' "$out")" native \
		"[$tier] the steering program runs in the igb driver (native XDP)"
	q0=$(queue_packets 0) q1=$(queue_packets 1) srv0=$(srv_total)
	# 4000 frames at 5 kpps (TCG loses longer bursts): 90% flood from blocked sources, 10% valid.
	ip netns exec peer "$GEN" --json --quiet --tx-ring packet:rxqigb1 --count 4000 --rate 5000 \
		--seed 11 --dst-mac "$IF_MAC" --src-mac "$PEER_MAC" \
		--flow 'udp4 src 198.19.0.0/16 random sport 1024-65535 random dst 198.18.1.1 dport 53 size 60 weight 9' \
		--flow 'udp4 src 198.18.1.2 sport 1024-65535 random dst 198.18.1.1 dport 53 payload dns:www.example.com:A weight 1' \
		>"$TB_TMP/gen.json" 2>"$TB_TMP/gen.err" || tb_fail "rxq-gen failed: $(cat "$TB_TMP/gen.err")"
	sleep 1
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || tb_fail "rxq-offload exited $rc: $(cat "$out.err")"
	SUM=$(grep '"type":"summary"' "$out") || tb_fail "rxq-offload printed no summary"
	Q0=$(($(queue_packets 0) - q0)) Q1=$(($(queue_packets 1) - q1)) SRV=$(($(srv_total) - srv0))
	tb_log "[$tier] driver: queue 0 $Q0, queue 1 $Q1 frames; server got $SRV"
	tb_assert_eq "$((Q0 + Q1))" 4000 "[$tier] the igb received all 4000 frames (driver's per-queue counters)"
	[ "$Q0" -gt 400 ] && [ "$Q1" -gt 400 ] || tb_fail "[$tier] RSS did not spread the mix: $Q0/$Q1"
	tb_pass "[$tier] RSS spread the mix over both queues ($Q0/$Q1)"
	tb_assert_eq "$(jq -r .reconciled <<<"$SUM")" true "[$tier] rx = dropped + passed + limited + errors"
	tb_assert_eq "$(jq -r .rx <<<"$SUM")" "$Q1" "[$tier] rxq-offload judged exactly queue 1's frames"
	tb_assert_eq "$((SRV + $(jq -r .dropped <<<"$SUM")))" 4000 \
		"[$tier] the kernel delivered to port 53 every frame rxq-offload did not drop (queue 0 untouched)"
	tb_assert_eq "$(jq -r .errors <<<"$SUM")" 0 "[$tier] no errors"
}

run off
blocked_on_q1=$(jq -r .dropped <<<"$SUM")
[ "$blocked_on_q1" -gt 0 ] || tb_fail "[off] nothing dropped"
tb_assert_eq "$(jq -r .user_rx <<<"$SUM")" "$Q1" "[off] every frame of queue 1 went through user space (AF_XDP on igb)"
tb_assert_eq "$(jq -r .reinjected <<<"$SUM")" "$(jq -r .passed <<<"$SUM")" "[off] passed frames went back through the TAP"

run on
tb_assert_eq "$(jq -r .user_rx <<<"$SUM")" 0 "[on] the kernel tier decided every frame in the driver's XDP"
tb_assert_eq "$(jq -r .xdp_dropped <<<"$SUM")" "$(jq -r .dropped <<<"$SUM")" "[on] drops in XDP"
