#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-nic on a real driver (igb, QEMU's 82576), run inside a VM-lane guest (tests/vm/lane.sh).
# Every check reads what the kernel and the driver report afterwards (ethtool, /proc/interrupts,
# /proc/irq, per-queue driver statistics), not rxq-nic's own output:
#   show      per-queue IRQs: the rxqigb0-rx-N vector of each RX queue, rxqigb0-tx-N of each TX queue
#   channels  4 queue pairs, then the RSS table and vectors follow
#   irq       --spread: CPU 0 left out unless named (each CPU's reason in the output); with
#             --cpus 0-1 every queue's vectors on one CPU, rx-N and tx-N together, both CPUs used
#   rss       --hash udp4 sdfn (ethtool -n shows the ports hashed; tcp4 sd is refused with the
#             reason), --equal/--weights/--isolate, and UDP from the peer then lands only on the
#             queues with weight (with the UDP hash over ports, as RSS on igb needs)
#   coalesce, pause, features, rings: the driver reports the new values
#   tstamp    capabilities as ethtool -T lists them; --rx/--tx set (read back with SIOCGHWTSTAMP);
#             a filter the 82576 lacks is refused
#   undo      everything back byte for byte (channels, RSS table and hash fields, IRQ affinities,
#             coalescing, pause, features, rings, hardware timestamping)
#   isolate / flow on a driver without ntuple: refused with the reason, nothing changed
source "$RXQ_TREE/tests/vm/guestlib.sh"
NIC=$(tb_bin rxq-nic)
GEN=$(tb_bin rxq-gen)
vm_link_up

# vectors KIND: "QUEUE IRQ" for each rxqigb0-KIND-QUEUE line of /proc/interrupts.
vectors() {
	awk -v pre="$IF-$1-" '{ n = $NF; if (index(n, pre) == 1) { q = substr(n, length(pre) + 1); sub(":", "", $1); print q, $1 } }' \
		/proc/interrupts | sort -n
}
affinity() { cat "/proc/irq/$1/smp_affinity_list"; }

# hwtstamp: "TX RX" numbers of the hardware stamping in force (SIOCGHWTSTAMP, read here without
# rxq), or "unsupported".
hwtstamp() {
	python3 - "$IF" <<'PY'
import ctypes, fcntl, socket, struct, sys
cfg = ctypes.create_string_buffer(12)
ifr = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(cfg)).ljust(40, b"\0")
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    fcntl.ioctl(sock.fileno(), 0x89b1, ifr)
except OSError:
    print("unsupported")
    sys.exit(0)
print(*struct.unpack("iii", cfg.raw)[1:])
PY
}
# ts_section NAME: the lines of ethtool -T's section NAME, space-separated.
ts_section() { ethtool -T "$IF" | awk -v s="$1" '/^[^\t]/ { on = ($0 == s ":") } $0 == s ": none" { printf "none " } on && /^\t/ { sub(/^\t/, ""); sub(/ .*/, ""); printf "%s ", $0 }' | sed 's/ $//'; }

# state: everything rxq-nic may change, as the kernel and the driver report it.
state() {
	local q irq
	echo "hwtstamp $(hwtstamp)"
	ethtool -l "$IF" | sed -n '/Current/,$p'
	ethtool -x "$IF"
	ethtool -n "$IF" rx-flow-hash udp4
	ethtool -c "$IF"
	ethtool -a "$IF"
	ethtool -g "$IF" | sed -n '/Current/,$p'
	ethtool -k "$IF"
	awk -v n="$IF" '$NF ~ "^" n { sub(":", "", $1); print $1, $NF }' /proc/interrupts |
		while read -r irq name; do echo "$name $(affinity "$irq")"; done
	for q in /sys/class/net/$IF/queues/*; do
		echo "$(basename "$q") $(cat "$q"/rps_cpus "$q"/xps_cpus 2>/dev/null | tr '\n' ' ')"
	done
}

# queue_packets: "Q PACKETS" per RX queue from the driver's statistics.
queue_packets() {
	ethtool -S "$IF" | awk '/rx_queue_[0-9]+_packets/ { q = $1; gsub(/rx_queue_|_packets:/, "", q); print q, $2 }'
}

# udp_from_peer N: N UDP frames from the peer, random source ports, 5 kpps (TCG loses bursts).
udp_from_peer() {
	ip netns exec peer "$GEN" --quiet --json packet:rxqigb1 --count "$1" --rate 5000 --seed 7 \
		--dst-mac "$IF_MAC" --src-mac "$PEER_MAC" \
		--flow 'udp4 src 198.18.1.2 sport 1024-65535 random dst 198.18.1.1 dport 5000-5999 random' \
		>"$TB_TMP/gen.json" 2>"$TB_TMP/gen.err" || tb_fail "rxq-gen failed: $(cat "$TB_TMP/gen.err")"
	sleep 0.5
}

# spread_of N: "Q DELTA" per queue for N frames from the peer.
spread_of() {
	local before
	before=$(queue_packets)
	udp_from_peer "$1"
	join <(echo "$before") <(queue_packets) | awk '{ print $1, $3 - $2 }'
}

state >"$TB_TMP/state.0"

# --- show: which IRQ serves which queue ------------------------------------------------------------
"$NIC" --json show "$IF" >"$TB_TMP/show.json" || tb_fail "rxq-nic show failed"
tb_assert_eq "$(jq -r 'select(.type == "nic") | .driver' "$TB_TMP/show.json")" igb "show: the driver"
while read -r q irq; do
	tb_assert_eq "$(jq -r "select(.type == \"queue\" and .queue == $q) | .irq" "$TB_TMP/show.json")" "$irq" \
		"show: RX queue $q is served by $IF-rx-$q (IRQ $irq)"
done < <(vectors rx)
while read -r q irq; do
	tb_assert_eq "$(jq -r "select(.type == \"queue\" and .queue == $q) | .tx_irq" "$TB_TMP/show.json")" "$irq" \
		"show: TX queue $q is served by $IF-tx-$q (IRQ $irq)"
done < <(vectors tx)

# --- channels ---------------------------------------------------------------------------------------
"$NIC" channels "$IF" 4 >/dev/null 2>"$TB_TMP/err" || tb_fail "channels 4: $(cat "$TB_TMP/err")"
tb_assert_eq "$(ethtool -l "$IF" | sed -n '/Current/,$p' | awk '/Combined/ { print $2 }')" 4 "channels: the driver runs 4 queue pairs"
tb_assert_eq "$(vectors rx | wc -l)/$(vectors tx | wc -l)" 4/4 "channels: 4 RX and 4 TX vectors"

# --- irq --spread -----------------------------------------------------------------------------------
# Without --cpus CPU 0 is left to the host's housekeeping: both vCPUs' queues go to CPU 1.
"$NIC" --json irq "$IF" --spread >"$TB_TMP/spread.json" 2>"$TB_TMP/err" || tb_fail "irq --spread: $(cat "$TB_TMP/err")"
tb_assert_eq "$(jq -r 'select(.type == "cpu") | "\(.cpu)=\(.irqs)"' "$TB_TMP/spread.json" | tr '\n' ' ')" "0=no 1=yes " \
	"irq --spread: CPU 0 skipped, CPU 1 chosen"
jq -r 'select(.type == "cpu" and .cpu == 0) | .why' "$TB_TMP/spread.json" | grep -q housekeeping ||
	tb_fail "irq --spread: no reason given for skipping CPU 0: $(cat "$TB_TMP/spread.json")"
tb_assert_eq "$(vectors rx | while read -r q irq; do affinity "$irq"; done | sort -u | tr '\n' ' ')" "1 " \
	"irq --spread: every receive vector on CPU 1"
# CPU 0 named explicitly is used.
"$NIC" irq "$IF" --spread --cpus 0-1 >/dev/null 2>"$TB_TMP/err" || tb_fail "irq --spread --cpus 0-1: $(cat "$TB_TMP/err")"
declare -A CPU_OF
while read -r q irq; do
	a=$(affinity "$irq")
	[[ $a =~ ^[0-9]+$ ]] || tb_fail "irq --spread: $IF-rx-$q (IRQ $irq) is on CPUs $a, not one CPU"
	CPU_OF[$q]=$a
done < <(vectors rx)
while read -r q irq; do
	tb_assert_eq "$(affinity "$irq")" "${CPU_OF[$q]}" "irq --spread: $IF-tx-$q is on the CPU of $IF-rx-$q"
done < <(vectors tx)
tb_assert_eq "$(printf '%s\n' "${CPU_OF[@]}" | sort -u | tr '\n' ' ')" "0 1 " "irq --spread: both CPUs serve queues"

# --- rss --------------------------------------------------------------------------------------------
# igb hashes UDP over addresses only until told otherwise: one peer would land on one queue.
udp4_hash() { ethtool -n "$IF" rx-flow-hash udp4 | grep -c -e 'IP SA' -e 'IP DA' -e 'L4 bytes'; }
tb_assert_eq "$(udp4_hash)" 2 "igb hashes udp4 over the addresses only at first"
"$NIC" --json rss "$IF" >"$TB_TMP/rss.json" 2>"$TB_TMP/err" || tb_fail "rss (show): $(cat "$TB_TMP/err")"
tb_assert_eq "$(jq -r 'select(.type == "rss_hash") | .udp4 + " " + .tcp4' "$TB_TMP/rss.json")" "sd sdfn" \
	"rss: shows the hash fields igb reports (udp4 sd, tcp4 sdfn)"
"$NIC" rss "$IF" --hash udp4 sdfn >/dev/null 2>"$TB_TMP/err" || tb_fail "rss --hash udp4 sdfn: $(cat "$TB_TMP/err")"
tb_assert_eq "$(udp4_hash)" 4 "rss --hash udp4 sdfn: ethtool -n shows IP SA, IP DA and both L4 byte pairs"
rc=0
"$NIC" rss "$IF" --hash tcp4 sd >"$TB_TMP/hash.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || tb_fail "rss --hash tcp4 sd: igb hashes TCP over ports always, yet it succeeded"
grep -q 'refused these fields' "$TB_TMP/hash.out" || tb_fail "rss --hash tcp4 sd: no reason given: $(cat "$TB_TMP/hash.out")"
tb_assert_eq "$(ethtool -n "$IF" rx-flow-hash tcp4 | grep -c 'L4 bytes')" 2 "rss --hash tcp4 sd: refused, tcp4 unchanged"
"$NIC" rss "$IF" --equal 2 >/dev/null 2>"$TB_TMP/err" || tb_fail "rss --equal 2: $(cat "$TB_TMP/err")"
tb_assert_eq "$(ethtool -x "$IF" | awk '/^ *[0-9]+:/ { for (i = 2; i <= NF; i++) print $i }' | sort -u | tr '\n' ' ')" "0 1 " \
	"rss --equal 2: the table holds queues 0 and 1 only"
spread=$(spread_of 2000)
tb_assert_eq "$(awk '$1 >= 2 { s += $2 } END { print s + 0 }' <<<"$spread")" 0 "rss --equal 2: no frame on queues 2-3"
tb_assert_eq "$(awk '$1 < 2 && $2 > 0 { n++ } END { print n + 0 }' <<<"$spread")" 2 "rss --equal 2: frames on both queue 0 and 1"
"$NIC" rss "$IF" --weights 0 0 0 1 >/dev/null 2>"$TB_TMP/err" || tb_fail "rss --weights: $(cat "$TB_TMP/err")"
spread=$(spread_of 1000)
tb_assert_eq "$(awk '$1 == 3 { print $2 }' <<<"$spread")" 1000 "rss --weights 0 0 0 1: every frame on queue 3"
# watch: with every frame on queue 3, the queue's interrupts show up on the CPU its IRQ is on,
# and follow it when it moves.
# watch_cpu: the CPU watch names busiest for queue 3 while 3000 frames arrive ("none" if no tick
# counted its interrupts).
watch_cpu() {
	local wp
	"$NIC" --json watch "$IF" --interval 1s --count 3 >"$TB_TMP/watch.json" 2>"$TB_TMP/err" &
	wp=$!
	sleep 1.2
	udp_from_peer 3000
	wait "$wp" || tb_fail "watch: $(cat "$TB_TMP/err")"
	jq -s -r '[.[] | select(.type == "queue_irq" and .queue == 3 and .interrupts > 0)] |
		if length == 0 then "none" else (max_by(.interrupts) | .busiest_cpu | tostring) end' \
		"$TB_TMP/watch.json"
}
q3_irq=$(vectors rx | awk '$1 == 3 { print $2 }')
for cpu in "${CPU_OF[3]}" "$((1 - CPU_OF[3]))"; do
	echo "$cpu" >"/proc/irq/$q3_irq/smp_affinity_list" || tb_fail "cannot pin IRQ $q3_irq to CPU $cpu"
	tb_assert_eq "$(watch_cpu)" "$cpu" "watch: queue 3's interrupts counted on CPU $cpu, where its IRQ is"
done
"$NIC" irq "$IF" --spread --cpus 0-1 >/dev/null 2>"$TB_TMP/err" || tb_fail "irq --spread --cpus 0-1: $(cat "$TB_TMP/err")"
"$NIC" rss "$IF" --equal 4 >/dev/null 2>&1 || tb_fail "rss --equal 4"
"$NIC" rss "$IF" --isolate 1 >/dev/null 2>"$TB_TMP/err" || tb_fail "rss --isolate 1: $(cat "$TB_TMP/err")"
spread=$(spread_of 2000)
tb_assert_eq "$(awk '$1 == 1 { print $2 }' <<<"$spread")" 0 "rss --isolate 1: no RSS traffic on queue 1"
tb_assert_eq "$(awk '$1 != 1 && $2 > 0 { n++ } END { print n + 0 }' <<<"$spread")" 3 "rss --isolate 1: the other three queues share it"

# --- coalesce, pause, features, rings -----------------------------------------------------------------
"$NIC" coalesce "$IF" rx-usecs 50 >/dev/null 2>"$TB_TMP/err" || tb_fail "coalesce: $(cat "$TB_TMP/err")"
tb_assert_eq "$(ethtool -c "$IF" | awk '$1 == "rx-usecs:" { print $2 }')" 50 "coalesce rx-usecs 50: the driver reports 50"
"$NIC" pause "$IF" off >/dev/null 2>"$TB_TMP/err" || tb_fail "pause off: $(cat "$TB_TMP/err")"
# With pause autonegotiation on, igb keeps rx/tx on whatever is advertised: "off" must turn it off.
tb_assert_eq "$(ethtool -a "$IF" | awk '$1 == "Autonegotiate:" || $1 == "RX:" || $1 == "TX:" { printf "%s ", $2 }')" \
	"off off off " "pause off: autonegotiation, RX and TX pause off"
"$NIC" features "$IF" gro off >/dev/null 2>"$TB_TMP/err" || tb_fail "features gro off: $(cat "$TB_TMP/err")"
tb_assert_eq "$(ethtool -k "$IF" | awk '$1 == "generic-receive-offload:" { print $2 }')" off "features gro off"

# --- tstamp: what the 82576 emulation offers, as ethtool -T reports it -----------------------------------
"$NIC" --json tstamp "$IF" >"$TB_TMP/ts.json" 2>"$TB_TMP/err" || tb_fail "tstamp (show): $(cat "$TB_TMP/err")"
ethtool -T "$IF" >"$TB_TMP/ethtool-T" || tb_fail "ethtool -T failed"
tb_assert_eq "$(jq -r .phc_index "$TB_TMP/ts.json")" "$(awk -F': ' '/PTP Hardware Clock/ { print ($2 == "none" ? -1 : $2) }' "$TB_TMP/ethtool-T")" \
	"tstamp: the PTP hardware clock ethtool -T names"
tb_assert_eq "$(jq -r .capabilities "$TB_TMP/ts.json")" "$(ts_section Capabilities)" "tstamp: the capabilities ethtool -T lists"
tb_assert_eq "$(jq -r .tx_types "$TB_TMP/ts.json")" "$(ts_section 'Hardware Transmit Timestamp Modes')" "tstamp: the transmit modes ethtool -T lists"
tb_assert_eq "$(jq -r .rx_filters "$TB_TMP/ts.json")" "$(ts_section 'Hardware Receive Filter Modes')" "tstamp: the receive filters ethtool -T lists"
tb_pass "tstamp: igb reports $(jq -c . "$TB_TMP/ts.json")"
# The 82576 cannot stamp every received packet (igb refuses "all" on it): ask for what it offers.
RXF=all
[[ " $(jq -r .rx_filters "$TB_TMP/ts.json") " == *" all "* ]] || RXF=ptpv2-event
"$NIC" --json tstamp "$IF" --rx "$RXF" --tx on >"$TB_TMP/ts-set.json" 2>"$TB_TMP/err" ||
	tb_fail "tstamp --rx $RXF --tx on: $(cat "$TB_TMP/err")"
want_rx=$(python3 -c "print({'all': 1, 'ptpv2-event': 12}['$RXF'])")
tb_assert_eq "$(hwtstamp)" "1 $want_rx" "tstamp --rx $RXF --tx on: SIOCGHWTSTAMP reads tx on, rx $RXF"
if [ "$RXF" != all ]; then
	rc=0
	"$NIC" tstamp "$IF" --rx all >"$TB_TMP/ts-all.out" 2>&1 || rc=$?
	tb_assert_eq "$rc" 2 "tstamp --rx all on the 82576: refused as not offered (exit 2)"
	grep -q "does not offer hardware receive timestamps rx all" "$TB_TMP/ts-all.out" ||
		tb_fail "tstamp --rx all: no reason given: $(cat "$TB_TMP/ts-all.out")"
	tb_assert_eq "$(hwtstamp)" "1 $want_rx" "tstamp --rx all refused: the stamping unchanged"
fi

# --- undo: everything back ------------------------------------------------------------------------------
"$NIC" undo "$IF" >"$TB_TMP/undo.out" 2>&1 || tb_fail "undo: $(cat "$TB_TMP/undo.out")"
tb_assert_eq "$(udp4_hash)" 2 "undo: igb hashes udp4 over the addresses only again"
state >"$TB_TMP/state.1"
diff -u "$TB_TMP/state.0" "$TB_TMP/state.1" >"$TB_TMP/diff" ||
	tb_fail "undo left the NIC different: $(cat "$TB_TMP/diff") -- undo said: $(cat "$TB_TMP/undo.out")"
tb_pass "undo: channels, RSS table and hash fields, IRQ affinities, coalescing, pause, features, hardware stamping: all as before"

# --- ntuple rules: igb's 82576 has none ----------------------------------------------------------------
rc=0
"$NIC" flow "$IF" add udp4 dst-port 53 action 1 >"$TB_TMP/flow.out" 2>&1 || rc=$?
tb_assert_eq "$rc" 2 "flow add on a driver without ntuple: exit 2 (unsupported)"
grep -qi 'ntuple' "$TB_TMP/flow.out" && ! grep -qi 'full' "$TB_TMP/flow.out" ||
	tb_fail "flow add: the message should say igb has no ntuple rules: $(cat "$TB_TMP/flow.out")"
tb_pass "flow add: says the driver has no ntuple rules ($(head -c 120 "$TB_TMP/flow.out"))"
rc=0
"$NIC" isolate "$IF" --queue 1 --flow 'udp4 dst-port 53' >"$TB_TMP/iso.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || tb_fail "isolate with a flow rule succeeded on a driver without ntuple"
state >"$TB_TMP/state.2"
diff -u "$TB_TMP/state.0" "$TB_TMP/state.2" >"$TB_TMP/diff" ||
	tb_fail "isolate failed but left changes: $(cat "$TB_TMP/diff") -- it said: $(cat "$TB_TMP/iso.out")"
tb_pass "isolate: refused (exit $rc), the NIC exactly as before"
