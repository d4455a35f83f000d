#!/usr/bin/env bash
# The testbed itself: both namespaces exist, the veth pair has the queues asked for, IPv4 and IPv6
# reach the peer, and the cleanup leaves nothing behind (checked from a second shell).
source "$(dirname "$0")/lib.sh"
tb_require ip jq ping

if [ "${1:-}" != inner ]; then
	# Run the real test in a child so its EXIT trap fires, then look for left-overs.
	out=$(bash "$0" inner) || { echo "$out"; tb_fail "testbed checks failed"; }
	echo "$out"
	names=$(echo "$out" | sed -n 's/^namespaces: //p')
	[ -n "$names" ] || tb_fail "inner run did not report its namespaces"
	for ns in $names; do
		ip netns list | grep -qw "$ns" && tb_fail "namespace $ns left behind"
	done
	tb_pass "namespaces removed on exit ($names)"
	exit 0
fi

tb_up 4
echo "namespaces: $TB_GEN $TB_DUT"
tb_assert_eq "$(tb_gen ip -j -d link show gen0 | jq '.[0].num_rx_queues')" 4 "gen0 RX queues"
tb_assert_eq "$(tb_dut ip -j -d link show dut0 | jq '.[0].num_tx_queues')" 4 "dut0 TX queues"
tb_gen ping -c 2 -i 0.2 -W 2 -q "$TB_DUT_IP4" >/dev/null || tb_fail "IPv4 ping gen -> dut"
tb_pass "IPv4 ping gen -> dut"
tb_dut ping -6 -c 2 -i 0.2 -W 2 -q "$TB_GEN_IP6" >/dev/null || tb_fail "IPv6 ping dut -> gen"
tb_pass "IPv6 ping dut -> gen"
# Replies to spoofed sources in the benchmark range must route back through dut0.
dev=$(tb_dut ip -j route get 198.19.7.7 | jq -r '.[0].dev')
tb_assert_eq "$dev" dut0 "route from dut to a spoofed source"
