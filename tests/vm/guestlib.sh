# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# Sourced by the VM lane's test scripts inside a guest (tests/vm/guest.sh has named the NICs):
# the testbed library's checks (tb_pass, tb_fail, tb_assert_eq, tb_wait_for, tb_bin ...) and
#   vm_link_up    rxqigb0 198.18.1.1/24 in the guest's namespace, its peer rxqigb1 198.18.1.2/24
#                 in "peer", permanent neighbour entries both ways (no ARP in the counts), both
#                 links with carrier.
source "$RXQ_TREE/tests/net/lib.sh"

IF=rxqigb0
IF_MAC=52:54:00:52:51:10
PEER_MAC=52:54:00:52:51:11

vm_link_up() {
	ip link set "$IF" up
	ip addr add 198.18.1.1/24 dev "$IF"
	ip -n peer link set rxqigb1 up
	ip -n peer addr add 198.18.1.2/24 dev rxqigb1
	ip neigh replace 198.18.1.2 lladdr "$PEER_MAC" dev "$IF" nud permanent
	ip -n peer neigh replace 198.18.1.1 lladdr "$IF_MAC" dev rxqigb1 nud permanent
	tb_wait_for 10 sh -c "ip -j link show $IF | grep -q '\"operstate\":\"UP\"'" ||
		tb_fail "$IF has no carrier"
	tb_wait_for 10 sh -c "ip -n peer -j link show rxqigb1 | grep -q '\"operstate\":\"UP\"'" ||
		tb_fail "rxqigb1 has no carrier"
}
