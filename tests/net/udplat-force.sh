#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpserver --xdp next to another XDP program: without --force it refuses and leaves that
# program alone, telling the user to use --force; --force (an option the server once named but
# did not have) replaces it, echoes, and leaves the interface clean on exit.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)
OBJ=$RXQ_BUILD/bpf/steer.bpf.o
[ -f "$OBJ" ] || tb_fail "$OBJ is not built"

tb_up 1
s() { tb_dut "$SERVER" --duration=1 "$@"; }

tb_expect_exit 2 "--force needs --xdp" s --force

# Someone else's program, attached through netlink as ip link does.
tb_dut ip link set dev "$TB_DUT_IF" xdpgeneric obj "$OBJ" sec xdp ||
	tb_fail "cannot attach a test program with ip link"
other=$(tb_xdp_attached dut "$TB_DUT_IF")
[ -n "$other" ] || tb_fail "the test program is not attached"

tb_expect_exit 2 "already has an XDP program .*\(id $other.*not replacing it.*use --force" \
	s --xdp="$TB_DUT_IF~0"
tb_assert_eq "$(tb_xdp_attached dut "$TB_DUT_IF")" "$other" \
	"without --force the other program stays attached"

# --force: the server takes the interface over and answers.
tb_spawn dut "$TB_TMP/force.json" "$TB_TMP/force.err" "$SERVER" --listen=:4321 \
	--xdp="$TB_DUT_IF~0" --force --json --duration=4
server_pid=$TB_LAST_PID
echoing() { grep -q "echoing UDP port 4321" "$TB_TMP/force.err"; }
tb_wait_for 10 echoing || tb_fail "--force did not start: $(cat "$TB_TMP/force.err")"
grep -q "has an XDP program .*(id $other.*detaching it (--force)" "$TB_TMP/force.err" ||
	tb_fail "--force did not say what it replaced: $(cat "$TB_TMP/force.err")"
now=$(tb_xdp_attached dut "$TB_DUT_IF")
[ -n "$now" ] && [ "$now" != "$other" ] || tb_fail "--force: program $other still attached ($now)"
tb_pass "--force replaced program $other with $now"

tb_gen "$CLIENT" --json --count=200 --timeout=200ms 198.18.0.2:4321 >"$TB_TMP/c.json" \
	2>"$TB_TMP/c.err" || tb_fail "client failed: $(cat "$TB_TMP/c.err")"
jq -e 'select(.type == "summary") | .replies == 200 and .lost == 0' "$TB_TMP/c.json" \
	>/dev/null || tb_fail "echo after --force: $(cat "$TB_TMP/c.json")"
tb_pass "the echo answers after --force"

wait "$server_pid" || tb_fail "--force server exited $?: $(cat "$TB_TMP/force.err")"
[ -z "$(tb_xdp_attached dut "$TB_DUT_IF")" ] || tb_fail "an XDP program stayed attached after exit"
tb_pass "after exit nothing is attached"
