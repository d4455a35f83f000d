#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-offload's bad input and faults: each exits 2 with a message that says what is wrong and what
# to do, and leaves no XDP program and no TAP behind. Also: another XDP program in the way (one of
# ours through a bpf_link, one attached through netlink), --force replacing each, and SIGTERM.

source "$(dirname "$0")/lib.sh"
tb_require jq setpriv
tb_up 2

OFF=$(tb_bin rxq-offload)
FLOW='udp4 dst-port 53'
R=$TB_TMP/ok.rules
printf 'drop src net 198.19.0.0/16\ndefault pass\n' >"$R"

bad() { # bad PATTERN ARGS...: rxq-offload ARGS in the dut exits 2 saying PATTERN
	local pattern=$1
	shift
	tb_expect_exit 2 "$pattern" ip netns exec "$TB_DUT" "$OFF" "$@"
}

clean() { # nothing left on dut0
	[ -z "$(tb_xdp_attached dut dut0)" ] || tb_fail "$1: an XDP program was left on dut0"
	tb_dut ip -o link show | grep -qE '^[0-9]+: rxq' && tb_fail "$1: a TAP was left behind"
	return 0
}

# --- the port -----------------------------------------------------------------------------------
bad "no interface 'nosuch0'" xdp:nosuch0~0 --flow "$FLOW" --rules "$R"
bad "dut0 has 2 queues; queue 5 does not exist" xdp:dut0~5 --flow "$FLOW" --rules "$R"
bad "unknown port type" xpd:dut0~0 --flow "$FLOW" --rules "$R"
bad "cannot read capture .*nosuch.pcap" pcap:"$TB_TMP/nosuch.pcap" --rules "$R"
bad "no port given" --flow "$FLOW" --rules "$R"
clean "port errors"

# --- flow specs (point at the word) -------------------------------------------------------------
bad "at 'dst-prot'" xdp:dut0~0 --flow 'udp4 dst-prot 53' --rules "$R"
bad "at '99999'" xdp:dut0~0 --flow 'udp4 dst-port 99999' --rules "$R"
bad "at 'fd00::1'" xdp:dut0~0 --flow 'udp4 src-ip fd00::1' --rules "$R"
bad "at 'udp5'" xdp:dut0~0 --flow 'udp5 dst-port 53' --rules "$R"
bad "no --flow given" xdp:dut0~0 --rules "$R"
many=()
for i in $(seq 17); do many+=(--flow "udp4 dst-port $i"); done
bad "at most 16 --flow" xdp:dut0~0 "${many[@]}" --rules "$R"
clean "flow spec errors"

# --- rules files --------------------------------------------------------------------------------
printf 'drop src net 198.19.0.0/16\n\ndorp udp\ndefault pass\n' >"$TB_TMP/b1.rules"
bad "b1.rules:3:1: unknown action 'dorp'" xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/b1.rules"
printf 'drop udp and and tcp\ndefault pass\n' >"$TB_TMP/b2.rules"
bad "b2.rules:1:[0-9]+: " xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/b2.rules"
printf 'drop src net 198.19.0.0/16\n' >"$TB_TMP/b3.rules"
bad "b3.rules.*default" xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/b3.rules"
bad "nosuch.rules" xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/nosuch.rules"
bad "no rules file given" xdp:dut0~0 --flow "$FLOW"
clean "rules errors"

# --- options ------------------------------------------------------------------------------------
bad "CPU 99 does not exist" xdp:dut0~0 --flow "$FLOW" --rules "$R" --cpu 99
bad "gives 1 CPU\(s\) for 2 queues" xdp:dut0~0,1 --flow "$FLOW" --rules "$R" --cpu 0
bad "for pcap: input only" xdp:dut0~0 --flow "$FLOW" --rules "$R" --out-pass pcap:/dev/null
bad "expected auto, copy or zero-copy" xdp:dut0~0 --flow "$FLOW" --rules "$R" --mode fast
bad "expected auto, native or generic" xdp:dut0~0 --flow "$FLOW" --rules "$R" --xdp-mode hw
bad "--batch: '0' is out of range \(expected 1-1024\)" xdp:dut0~0 --flow "$FLOW" --rules "$R" --batch 0
bad "unknown option '--flwo'" xdp:dut0~0 --flwo "$FLOW" --rules "$R"
bad "cannot write .*nosuch/x.prom" xdp:dut0~0 --flow "$FLOW" --rules "$R" --prom "$TB_TMP/nosuch/x.prom"
bad "--vlan: '0' is not a list of 802.1Q VIDs" xdp:dut0~0 --flow "$FLOW" --rules "$R" --vlan 0
bad "--vlan=5,5: VID 5 given twice" xdp:dut0~0 --flow "$FLOW" --rules "$R" --vlan 5,5
bad "--frag-mem: '0' is out of range" xdp:dut0~0 --flow "$FLOW" --rules "$R" --frag-mem 0
bad "--frag-timeout: 'soon' is not a duration" xdp:dut0~0 --flow "$FLOW" --rules "$R" --frag-timeout soon
bad "expected auto, on or off" xdp:dut0~0 --flow "$FLOW" --rules "$R" --csum-complete maybe
bad "dut0 has no VLAN interface for VID 7" xdp:dut0~0 --flow "$FLOW" --rules "$R" --vlan 7
clean "option errors"

# --- privileges (say which) ---------------------------------------------------------------------
tb_expect_exit 2 "missing CAP_NET_ADMIN: .*run as root" ip netns exec "$TB_DUT" \
	setpriv --bounding-set=-net_admin "$OFF" xdp:dut0~0 --flow "$FLOW" --rules "$R"
tb_expect_exit 2 "missing CAP_BPF" ip netns exec "$TB_DUT" \
	setpriv --bounding-set=-bpf,-sys_admin "$OFF" xdp:dut0~0 --flow "$FLOW" --rules "$R"
clean "privilege errors"

# --- XDP / AF_XDP unsupported -------------------------------------------------------------------
bad "lo does not support XDP in native mode" xdp:lo~0 --flow "$FLOW" --rules "$R" --xdp-mode native
bad "zero-copy" xdp:dut0~0 --flow "$FLOW" --rules "$R" --mode zero-copy
clean "unsupported modes"

# --- TAP failure --------------------------------------------------------------------------------
bad "cannot create TAP dut0: the name is in use" xdp:dut0~0 --flow "$FLOW" --rules "$R" --tap dut0
bad "TAP name .* must have 1 to 15 characters" xdp:dut0~0 --flow "$FLOW" --rules "$R" \
	--tap a-very-long-tap-name
clean "TAP errors"

# --- another XDP program ------------------------------------------------------------------------
start_first() {
	FIRST_OUT=$TB_TMP/first.json
	tb_spawn dut "$FIRST_OUT" "$FIRST_OUT.err" "$OFF" --json xdp:dut0~0 --flow "$FLOW" --rules "$R"
	FIRST=$TB_LAST_PID
	tb_wait_json "$FIRST_OUT" start 10 ||
		tb_fail "first rxq-offload did not start: $(cat "$FIRST_OUT.err")"
}
start_first
id1=$(tb_xdp_attached dut dut0)
bad "dut0 already has an XDP program 'rxq_steer_dev' \(id $id1, native mode, bpf_link [0-9]+ held by pid $FIRST rxq-offload\); not replacing it.*--force" \
	xdp:dut0~1 --flow "$FLOW" --rules "$R"
tb_assert_eq "$(tb_xdp_attached dut dut0)" "$id1" "the first program is still attached"

SECOND_OUT=$TB_TMP/second.json
tb_spawn dut "$SECOND_OUT" "$SECOND_OUT.err" "$OFF" --json xdp:dut0~1 --flow "$FLOW" --rules "$R" --force
SECOND=$TB_LAST_PID
tb_wait_json "$SECOND_OUT" start 10 ||
	tb_fail "--force did not start: $(cat "$SECOND_OUT.err")"
grep -q "has an XDP program 'rxq_steer_dev' (id $id1.*detaching it (--force)" "$SECOND_OUT.err" ||
	tb_fail "--force did not say what it replaced: $(cat "$SECOND_OUT.err")"
tb_pass "--force says what it detaches: $(head -n1 "$SECOND_OUT.err")"
id2=$(tb_xdp_attached dut dut0)
[ -n "$id2" ] && [ "$id2" != "$id1" ] || tb_fail "--force: program $id1 still attached ($id2)"
tb_pass "--force replaced program $id1 with $id2"
kill -TERM "$SECOND" "$FIRST"
wait "$SECOND" || tb_fail "SIGTERM: the second rxq-offload exited $?"
wait "$FIRST" || tb_fail "SIGTERM: the first rxq-offload exited $?"
grep -q '"type":"summary"' "$SECOND_OUT" || tb_fail "SIGTERM: no summary"
tb_pass "SIGTERM: exit 0 with a summary"
clean "after SIGTERM"
tb_pass "SIGTERM: no XDP program and no TAP left"

# a program attached through netlink (as ip link or older loaders do)
OBJ=$RXQ_BUILD/bpf/steer.bpf.o
[ -f "$OBJ" ] || tb_fail "$OBJ is not built"
tb_dut ip link set dev dut0 xdpgeneric obj "$OBJ" sec xdp ||
	tb_fail "cannot attach a test program with ip link"
idn=$(tb_xdp_attached dut dut0)
bad "already has an XDP program 'rxq_steer' \(id $idn, generic mode, attached through netlink\)" \
	xdp:dut0~0 --flow "$FLOW" --rules "$R"
tb_assert_eq "$(tb_xdp_attached dut dut0)" "$idn" "the netlink program is still attached"
tb_expect_exit 0 "detaching it \(--force\)" ip netns exec "$TB_DUT" "$OFF" xdp:dut0~0 \
	--flow "$FLOW" --rules "$R" --force --duration 1s
clean "--force over a netlink program"
tb_pass "--force detached the netlink program, and its own on exit"
