#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-nic command arguments on the testbed's veth: a misspelt feature name is an error that names
# the close ones (not "nothing to change" or "the driver does not have it"), while a real feature
# the driver lacks keeps its own answers; a flow spec reads the same as one quoted argument (as
# --flow takes it) or as several words; rss --hash refuses bad letters and flow types before it
# asks the driver, and says veth has no hash settings.

source "$(dirname "$0")/lib.sh"
tb_require jq ethtool
tb_up 2

NIC=$(tb_bin rxq-nic)
STATE=$TB_TMP/state
nic() { tb_dut "$NIC" --state-dir "$STATE" "$@"; }
JOURNAL=$STATE/net-$(tb_dut stat -Lc %i /proc/self/ns/net)/dut0.journal
gro() { tb_dut ethtool -k dut0 | awk '/^generic-receive-offload:/ { print $2 }'; }

# ---- feature names ----
GRO0=$(gro)
tb_expect_exit 2 "unknown feature 'gor' \(did you mean gro[,?]" nic features dut0 gor off
tb_expect_exit 2 "unknown feature 'gor' \(did you mean gro[,?]" nic features dut0 gor on
tb_expect_exit 2 "unknown feature 'rx-gor' \(did you mean [^)]*rx-gro[,?]" \
	nic features dut0 rx-gor off
tb_expect_exit 2 "unknown feature 'qwertyuiop' \(rxq-nic features dut0 lists them\)" \
	nic features dut0 qwertyuiop on
# One bad name in a list refuses the whole command.
tb_expect_exit 2 "unknown feature 'lor'" nic features dut0 gro off lor off
tb_assert_eq "$(gro)" "$GRO0" "gro unchanged after the refused commands"
[ -e "$JOURNAL" ] && tb_fail "a refused command saved a journal"
tb_pass "no journal after refused commands"

# Real names keep their meaning: one veth lacks is off already, and cannot be turned on.
out=$(nic --json features dut0 l2-fwd-offload off) || tb_fail "features l2-fwd-offload off failed"
tb_assert_eq "$(jq -r 'select(.type=="result") | .changed' <<<"$out")" 0 \
	"a feature veth lacks, off: nothing to change"
tb_expect_exit 2 "veth cannot turn l2-fwd-offload on" \
	nic features dut0 l2-fwd-offload on
# Kernel names and aliases both still work.
out=$(nic --json --dry-run features dut0 rx-gro "$GRO0") || tb_fail "features rx-gro failed"
tb_assert_eq "$(jq -r 'select(.type=="result") | .changed' <<<"$out")" 0 \
	"rx-gro as it is: nothing to change"

# ---- flow specs: one quoted argument or several words ----
# veth has no ntuple filters: a spec that parsed gets as far as asking the driver.
NOTUPLE="veth does not support ntuple rules"
tb_expect_exit 2 "$NOTUPLE" nic flow dut0 add udp4 dst-port 53 action 1
tb_expect_exit 2 "$NOTUPLE" nic flow dut0 add 'udp4 dst-port 53' action 1
tb_expect_exit 2 "$NOTUPLE" nic flow dut0 add 'udp4 dst-port 53' action 1 loc 7
tb_expect_exit 2 "$NOTUPLE" nic flow dut0 add 'udp4 dst-port 53 action drop'
tb_expect_exit 2 "$NOTUPLE" nic flow dut0 add udp4 'dst-port 53' action 1
# Errors still point at the word, wherever it was.
tb_expect_exit 2 "flow add, at 'dst-prot'" nic flow dut0 add 'udp4 dst-prot 53' action 1
tb_expect_exit 2 "flow add: missing the flow spec before 'action'" nic flow dut0 add ' ' action 1
tb_expect_exit 2 "flow add: expected SPEC action" nic flow dut0 add 'udp4 dst-port 53'

# ---- rss --hash TYPE FIELDS: checked before the driver is asked; veth has no hash settings ----
tb_expect_exit 2 "rss --hash udp4: 'x' in 'sdx' is not a field" nic rss dut0 --hash udp4 sdx
tb_expect_exit 2 "rss --hash udp4: 's' in 'sds' is not a field, or twice" nic rss dut0 --hash udp4 sds
tb_expect_exit 2 "rss --hash: unknown flow type 'udp'" nic rss dut0 --hash udp sdfn
tb_expect_exit 2 "rss --hash: give pairs of a flow type and its fields" nic rss dut0 --hash udp4
tb_expect_exit 2 "rss: give one of --weights, --equal, --isolate, --hash" \
	nic rss dut0 --equal 2 --hash udp4 sdfn
tb_expect_exit 2 "veth does not support RSS hash fields \(ETHTOOL_GRXFH: EOPNOTSUPP\)" \
	nic rss dut0 --hash udp4 sdfn
tb_expect_exit 2 "veth does not support RSS hash fields" nic --dry-run rss dut0 --hash tcp6 sd
[ -e "$JOURNAL" ] && tb_fail "a refused rss --hash saved a journal"
tb_pass "no journal after refused rss --hash"
