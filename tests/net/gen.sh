#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-gen on the testbed: exact counts over packet: and xdp:, mix proportions, rate accuracy,
# a clean stop on SIGINT, and pcap: output that tshark reads without a warning. The receiver is
# rxq-sink (an XDP program counting per class) on dut0; rxq-gen's own numbers come from --json.

source "$(dirname "$0")/lib.sh"
tb_require jq tshark
tb_up 2

GEN=$(tb_bin rxq-gen)
N=0

# sink_start CLASS...: rxq-sink on dut0 with these classes; waits until it is attached.
sink_start() {
	local args=() c
	for c in "$@"; do args+=(--class "$c"); done
	N=$((N + 1))
	tb_sink "$TB_TMP/sink.$N.json" "${args[@]}"
}
sink_class() { echo "$TB_SINK_SUM" | jq -r ".c$1.packets"; }

FLOOD='udp4 src 198.18.0.0/16 random sport 1024-65535 dst 198.18.0.2 dport 9 size 60'

# --- exact counts, every port kind --------------------------------------------------------------
exact() {
	local what=$1 count=$2
	shift 2
	sink_start 'udp4 dst-ip 198.18.0.2/32 dst-port 9'
	tb_rxq_gen "$@" --count "$count" --flow "$FLOOD"
	sleep 0.2
	tb_sink_stop
	tb_assert_eq "$(tb_gen_field tx_packets)" "$count" "$what: rxq-gen reports $count sent"
	tb_assert_eq "$(tb_gen_field errors)" 0 "$what: no send errors"
	tb_assert_eq "$(sink_class 0)" "$count" "$what: the receiver counted exactly $count"
}
exact "packet: sendmmsg" 100000 packet:gen0
exact "packet: TX ring" 20000 packet:gen0 --tx-ring --batch 32
exact "packet: 2 threads, odd count" 100001 packet:gen0 --threads 2
exact "xdp: queue 0" 100000 xdp:gen0~0
exact "xdp: queue 1" 20000 xdp:gen0~1 --batch 16
exact "xdp: every queue" 100001 xdp:gen0
mode=$(jq -r 'select(.type == "start") | .xdp_mode' "$GEN_OUT")
[ "$mode" = copy ] || [ "$mode" = zero-copy ] || tb_fail "granted AF_XDP mode not reported ('$mode')"
tb_pass "granted AF_XDP mode reported ($mode)"

# --- mix proportions ----------------------------------------------------------------------------
sink_start 'udp4 src-ip 198.19.0.0/24 dst-port 53' 'udp4 src-ip 198.18.0.0/16 dst-port 53'
tb_rxq_gen packet:gen0 --count 100000 \
	--flow 'udp4 src 198.18.0.0/16 dst 198.18.0.2 dport 53 payload random size 60-200 weight 90' \
	--flow 'udp4 src 198.19.0.0/24 dst 198.18.0.2 dport 53 payload dns:example.com:A weight 10'
sleep 0.2
tb_sink_stop
tb_assert_within "$(sink_class 0)" 10000 1 "mix: valid DNS share at the receiver"
tb_assert_within "$(sink_class 1)" 90000 1 "mix: flood share at the receiver"
tb_assert_eq "$(sink_class 0)" "$(tb_gen_flow 1)" "mix: receiver and rxq-gen agree on the DNS count"
tb_assert_eq "$(sink_class 1)" "$(tb_gen_flow 0)" "mix: receiver and rxq-gen agree on the flood count"

# --- rate accuracy over >= 5 s at the receiver --------------------------------------------------
# rate_check PORT RATE: send for 8 s and measure the receiver over 5 full report periods.
rate_check() {
	local port=$1 rate=$2 measured
	sink_start 'udp4 dst-ip 198.18.0.2/32 dst-port 9'
	tb_rxq_gen "$port" --rate "$rate" --duration 8 --flow "$FLOOD"
	tb_sink_stop
	# Report lines: skip the first one with packets (partial second), take the next five.
	measured=$(jq -s '[.[] | select(.type == "report" and .packets > 0)] as $r |
		if ($r | length) < 7 then -1 else
		(($r[6].c0.packets - $r[1].c0.packets) / ($r[6].t - $r[1].t) | floor) end' "$TB_SINK_OUT")
	[ "$measured" -gt 0 ] || tb_fail "$port: too few receiver reports to measure the rate"
	tb_assert_within "$measured" "$rate" 2 "$port --rate $rate: pps at the receiver over 5 s"
}
rate_check packet:gen0 50000
rate_check xdp:gen0~0 2000

# --- SIGINT stops cleanly, with an exact summary ------------------------------------------------
sink_start 'udp4 dst-ip 198.18.0.2/32 dst-port 9'
GEN_OUT=$TB_TMP/gen-sigint.json
tb_seed
tb_spawn gen "$GEN_OUT" "$GEN_OUT.err" "$GEN" packet:gen0 --json --rate 20000 --duration 30 \
	--seed "$TB_SEED" --flow "$FLOOD"
gen_pid=$TB_LAST_PID
sleep 1.5
kill -INT "$gen_pid"
rc=0
wait "$gen_pid" || rc=$?
tb_assert_eq "$rc" 0 "SIGINT: rxq-gen exits 0"
tb_assert_eq "$(tb_gen_field interrupted)" true "SIGINT: summary says interrupted"
sleep 0.2
tb_sink_stop
sent=$(tb_gen_field tx_packets)
[ "$sent" -gt 10000 ] || tb_fail "SIGINT: only $sent frames before the signal"
tb_assert_eq "$(sink_class 0)" "$sent" "SIGINT: receiver count equals the summary"

# --- pcap: output -------------------------------------------------------------------------------
# tshark with every checksum check on; ts FILE FILTER counts the frames FILTER selects.
ts() {
	tb_tshark -r "$1" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o tcp.check_checksum:TRUE -T fields -e frame.number ${2:+-Y "$2"} 2>/dev/null | wc -l
}
GOOD='(udp.checksum.status == "Good" || tcp.checksum.status == "Good" ||
	icmp.checksum.status == "Good" || icmpv6.checksum.status == "Good") &&
	(!ip || ip.checksum.status == "Good")'

# Structured payloads: whole dissection must be clean.
PCAP=$TB_TMP/gen.pcap
tb_rxq_gen pcap:"$PCAP" --count 7000 \
	--flow 'udp4 src 198.18.0.0/16 dst 198.18.0.2 sport 40000 dport 9 size 60-300' \
	--flow 'udp4 src 198.19.0.0/24 dst 198.18.0.2 sport 40001 dport 53 payload dns:www.example.com:AAAA' \
	--flow 'udp6 src fd00::100-fd00::1ff seq dst fd00::2 sport 40002 dport 9 size 62-1000' \
	--flow 'tcp4 src 198.18.0.0/15 dst 198.18.0.2 dport 80 flags S' \
	--flow 'tcp6 src fd00::1 dst fd00::2 dport 443 size 100' \
	--flow 'icmp4 src 198.18.0.1 dst 198.18.0.2 size 98' \
	--flow 'icmp6 src fd00::1 dst fd00::2 size 70'
tb_assert_eq "$(ts "$PCAP")" 7000 "pcap: tshark reads every frame"
tb_assert_eq "$(ts "$PCAP" "$GOOD")" 7000 "pcap: every IP and L4 checksum verified good"
tb_assert_eq "$(ts "$PCAP" '_ws.expert.severity >= "Warning" || _ws.malformed')" 0 \
	"pcap: no checksum, malformed or other warnings"
tb_assert_eq "$(ts "$PCAP" 'dns.qry.name == "www.example.com" && dns.qry.type == 28 &&
	ip.src == 198.19.0.0/24 && udp.dstport == 53')" "$(tb_gen_flow 1)" \
	"pcap: DNS AAAA queries for www.example.com from 198.19.0.0/24"
tb_assert_eq "$(ts "$PCAP" 'tcp.flags == 0x002 && tcp.dstport == 80 && ip.src == 198.18.0.0/15')" \
	"$(tb_gen_flow 3)" "pcap: TCP SYNs to port 80 from 198.18.0.0/15"
tb_assert_eq "$(ts "$PCAP" 'ipv6.src >= fd00::100 && ipv6.src <= fd00::1ff && udp.dstport == 9')" \
	"$(tb_gen_flow 2)" "pcap: UDP over IPv6 from fd00::100-fd00::1ff"
tb_assert_eq "$(ts "$PCAP" 'icmp.type == 8 || icmpv6.type == 128')" \
	"$(($(tb_gen_flow 5) + $(tb_gen_flow 6)))" "pcap: ICMP and ICMPv6 echo requests"
tb_assert_eq "$(ts "$PCAP" 'frame.len < 60 || frame.len > 1000')" 0 \
	"pcap: every frame between 60 and 1000 bytes"

# Random payloads: application dissectors may guess at them, so only the checksums are judged.
PCAP=$TB_TMP/gen-random.pcap
tb_rxq_gen pcap:"$PCAP" --count 4000 \
	--flow 'udp4 src 198.18.0.0/16 dst 198.18.0.2 payload random size 60-1514' \
	--flow 'udp6 src fd00::1 dst fd00::2 payload random size 63-777' \
	--flow 'tcp6 src fd00::1 dst fd00::2 payload random size 100-101' \
	--flow 'icmp4 src 198.18.0.1 dst 198.18.0.2 payload random size 61-99'
tb_assert_eq "$(ts "$PCAP" "$GOOD")" 4000 "pcap: random payloads carry good checksums"

# --- pcap: on a full file system ----------------------------------------------------------------
# full_fs SIZE COUNT: rxq-gen writes COUNT frames of three flows to a tmpfs of SIZE, mounted in a
# private mount namespace, that takes fewer. rxq-gen must fail, and what it reports (in total and
# per flow) is what the file holds: whole frames only, so that the capture still reads to its end
# without an error. The file is copied out before the mount namespace, and the tmpfs, go away.
full_fs() {
	local size=$1 count=$2 what="full file system ($1, $2 frames)" rc=0 sent f
	rm -rf "$TB_TMP/full" && mkdir "$TB_TMP/full"
	PCAP=$TB_TMP/full.pcap
	GEN_OUT=$TB_TMP/gen-full.json
	tb_seed
	unshare -m bash -c 'dir=$1 out=$2; shift 2; mount -t tmpfs -o size="$0" rxq-full "$dir" ||
		exit 99; rc=0; "$@" || rc=$?; cp "$dir"/x.pcap "$out" && exit $rc' \
		"$size" "$TB_TMP/full" "$PCAP" \
		"$GEN" --json --quiet --seed "$TB_SEED" pcap:"$TB_TMP/full/x.pcap" --count "$count" \
		--flow 'udp4 src 198.18.0.1 dst 198.18.0.2 dport 9 size 60' \
		--flow 'udp4 src 198.18.0.1 dst 198.18.0.2 dport 10 size 100-200 weight 3' \
		--flow 'udp6 src fd00::1 dst fd00::2 dport 11 size 80-90' \
		>"$GEN_OUT" 2>"$GEN_OUT.err" || rc=$?
	[ "$rc" != 99 ] || tb_fail "cannot mount a tmpfs in a private mount namespace"
	tb_assert_eq "$rc" 1 "$what: rxq-gen exits 1"
	grep -q 'No space left on device' "$GEN_OUT.err" ||
		tb_fail "$what: rxq-gen did not say why: $(cat "$GEN_OUT.err")"
	tb_pass "$what: $(head -n1 "$GEN_OUT.err")"
	sent=$(tb_gen_field tx_packets)
	[ "$sent" -gt 10 ] && [ "$sent" -lt "$count" ] ||
		tb_fail "$what: $sent frames reported written"
	tb_tshark -r "$PCAP" -T fields -e frame.number >/dev/null 2>"$TB_TMP/tshark.err" ||
		tb_fail "$what: the capture does not read to its end: $(cat "$TB_TMP/tshark.err")"
	tb_pass "$what: the capture reads to its end (no frame cut in half)"
	tb_assert_eq "$(ts "$PCAP")" "$sent" "$what: tx_packets is the frames in the file"
	tb_assert_eq "$(tb_tshark -r "$PCAP" -T fields -e frame.len 2>/dev/null |
		awk '{s += $1} END {print s}')" "$(tb_gen_field tx_bytes)" "$what: tx_bytes is their bytes"
	for f in 0 1 2; do
		tb_assert_eq "$(ts "$PCAP" "udp.dstport == $((9 + f))")" "$(tb_gen_flow $f)" \
			"$what: flow $f counts its frames in the file"
	done
}
full_fs 64k 100000
# All of it fits the writer's buffer: the write that fails is the last one, at the end.
full_fs 4k 60
