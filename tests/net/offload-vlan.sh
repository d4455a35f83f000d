#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-offload --vlan: frames of a steered VID leave the kernel, are filtered, and the passed ones
# arrive on the TAP's VLAN interface as they would have on IF's: dnsmasq listening on dut0.5's
# address answers tagged queries through the filter; an attack name tagged the same way is
# dropped; a VID not given stays with the kernel (dropped there: no interface for it).
# Needs 802.1Q VLAN interfaces in the kernel (CONFIG_VLAN_8021Q); skipped, saying so, without.

source "$(dirname "$0")/lib.sh"
tb_require jq python3 dig dnsmasq
tb_up 1

OFF=$(tb_bin rxq-offload)
HERE=$(cd "$(dirname "$0")" && pwd)
if ! tb_dut ip link add link dut0 name dut0.5 type vlan id 5 2>"$TB_TMP/vlan.err"; then
	tb_skip "this kernel cannot create 802.1Q VLAN interfaces ($(head -c 200 "$TB_TMP/vlan.err"); CONFIG_VLAN_8021Q)"
fi
tb_gen ip link add link gen0 name gen0.5 type vlan id 5 || tb_fail "cannot create gen0.5"
tb_dut ip addr add 198.18.5.2/24 dev dut0.5
tb_gen ip addr add 198.18.5.1/24 dev gen0.5
tb_dut ip link set dut0.5 up
tb_gen ip link set gen0.5 up
tb_gen ip neigh replace 198.18.5.2 lladdr "$TB_DUT_MAC" dev gen0.5 nud permanent
tb_dut ip neigh replace 198.18.5.1 lladdr "$TB_GEN_MAC" dev dut0.5 nud permanent
tb_bg dut dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
	--listen-address=198.18.5.2 --address=/example.com/198.18.0.53 --pid-file= --user=root \
	--log-queries --log-facility="$TB_TMP/dnsmasq5.log"
tb_dns_up gen "dnsmasq on dut0.5" 10 198.18.5.2 53
got() { sleep 0.3; grep -c " $1 from" "$TB_TMP/dnsmasq5.log" || true; }
raw() { tb_gen python3 "$HERE/raw-dns.py" gen0 "$TB_GEN_MAC" "$TB_DUT_MAC" "$@" || tb_fail "raw-dns.py $*"; }

printf 'drop dns qname *.attack.example\ndefault pass\n' >"$TB_TMP/r"
tb_spawn dut "$TB_TMP/off.json" "$TB_TMP/off.err" "$OFF" --json xdp:dut0~0 --flow 'udp4 dst-port 53' \
	--vlan 5 --rules "$TB_TMP/r"
OFF_PID=$TB_LAST_PID
tb_wait_json "$TB_TMP/off.json" start 10 || tb_fail "did not start: $(cat "$TB_TMP/off.err")"
tap=$(jq -r 'select(.type == "start") | .tap' "$TB_TMP/off.json")
tb_dut ip link show "$tap.5" >/dev/null 2>&1 || tb_fail "no VLAN interface $tap.5 on the TAP"
tb_pass "the TAP has $tap.5"
a=$(tb_gen dig +short +tries=1 +time=2 @198.18.5.2 v5.example.com | head -n1)
tb_assert_eq "$a" 198.18.0.53 "a query on VLAN 5 is answered through the filter (kernel sender)"
raw 198.18.5.1 198.18.5.2 t5.attack.example 10 --vlan 5
raw 198.18.5.1 198.18.5.2 t5.example.com 10 --vlan 5
raw 198.18.5.1 198.18.5.2 t6.example.com 10 --vlan 6
tb_assert_eq "$(got t5.attack.example)/$(got t5.example.com)/$(got t6.example.com)" 0/10/0 \
	"VLAN 5: attack names dropped, valid names delivered; VLAN 6 (not given) stays the kernel's"
kill -INT "$OFF_PID"
wait "$OFF_PID" || tb_fail "rxq-offload failed: $(cat "$TB_TMP/off.err")"
sum=$(grep '"type":"summary"' "$TB_TMP/off.json")
tb_assert_eq "$(jq -r .reconciled <<<"$sum")" true "counters reconcile"
tb_assert_eq "$(jq -r .dropped <<<"$sum")" 10 "the tagged attack queries were dropped by the rule"
