#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-nic check --for latency on the testbed's veth (dut0, in the test's own namespace): every host
# finding says what the live kernel shows -- the busy-poll sysctls, CPU 1's idle states and SMT
# siblings, the kernel command line -- and the conntrack finding follows the namespace's own
# connection table: ok before any packet, warn while packets to the port are tracked, ok again once
# the notrack rules it prints are in place. Only the namespace changes: its nftables rules and its
# UDP conntrack timeout; the global sysctls are read, never written.

source "$(dirname "$0")/lib.sh"
tb_require jq nft
[ -e /sys/devices/system/cpu/cpu1 ] || tb_skip "the check of CPU 1 needs a second CPU"
tb_up 2

NIC=$(tb_bin rxq-nic)
PORT=4321
OUT=
RC=0

check() {
	RC=0
	OUT=$(tb_dut "$NIC" check dut0 --for latency --cpu 1 --port "$PORT" --json) || RC=$?
	[ -n "$OUT" ] || tb_fail "check printed nothing (exit $RC)"
}
field() { jq -r "select(.type == \"check\" and .check == \"$1\") | .$2 // \"\"" <<<"$OUT"; }
# Connection table entries of UDP with the port on either side, as the namespace's kernel lists them.
tracked() { tb_dut cat /proc/net/nf_conntrack | grep ' udp ' | grep -cE "[sd]port=$PORT( |$)" || true; }
send() {
	local before
	before=$(tb_rx_packets dut dut0)
	tb_gen bash -c "for i in 1 2 3 4 5; do echo probe > /dev/udp/$TB_DUT_IP4/$PORT; done" ||
		tb_fail "cannot send UDP from the gen namespace"
	tb_wait_until 5 "[ \"\$(tb_rx_packets dut dut0)\" -ge $((before + 5)) ]" ||
		tb_fail "the 5 probes did not reach dut0"
}

check
# Exit status 1 exactly when something works against latency.
warns=$(jq -s '[.[] | select(.type == "check" and .verdict == "warn")] | length' <<<"$OUT")
tb_assert_eq "$(jq -r 'select(.type == "summary") | .findings' <<<"$OUT")" "$warns" \
	"summary counts the warnings"
tb_assert_eq "$RC" "$([ "$warns" -gt 0 ] && echo 1 || echo 0)" "exit status follows the warnings"
tb_assert_eq "$(jq -s '[.[] | select(.type == "check" and .verdict == "warn" and .fix == null)] |
	length' <<<"$OUT")" 0 "every warning says its fix"

tb_expect_exit 2 "--port: '70000' is out of range" tb_dut "$NIC" check dut0 --port 70000
tb_expect_exit 2 "--port does not apply to 'show'" tb_dut "$NIC" show dut0 --port "$PORT"

# ---- busy polling: global sysctls, visible only in the initial namespace ----
if tb_dut test -e /proc/sys/net/core/busy_read; then
	rd=$(tb_dut cat /proc/sys/net/core/busy_read)
	pl=$(tb_dut cat /proc/sys/net/core/busy_poll)
	case $(field busy-poll detail) in
	*"net.core.busy_read $rd, net.core.busy_poll $pl"*) tb_pass "busy-poll: the values of /proc/sys" ;;
	*) tb_fail "busy-poll: '$(field busy-poll detail)' lacks busy_read $rd, busy_poll $pl" ;;
	esac
	[ "$rd" != 0 ] && [ "$pl" != 0 ] && want=ok || want=warn
	tb_assert_eq "$(field busy-poll verdict)" "$want" "busy-poll verdict"
else
	tb_assert_eq "$(field busy-poll verdict)" unknown "busy-poll: sysctls not visible here"
fi

# ---- cpuidle: CPU 1's enabled states deeper than C1, or none to read ----
dir=/sys/devices/system/cpu/cpu1/cpuidle
if tb_dut test -d "$dir"; then
	deep=0
	for s in $(tb_dut sh -c "ls -d $dir/state*"); do
		name=$(tb_dut cat "$s/name")
		[ "${s##*state}" = 0 ] || [ "$name" = POLL ] || [ "$name" = C1 ] || [ "$name" = WFI ] &&
			continue
		[ "$(tb_dut cat "$s/disable")" = 0 ] && deep=$((deep + 1))
	done
	[ "$deep" -gt 0 ] && want=warn || want=ok
	tb_assert_eq "$(field cpuidle verdict)" "$want" "cpuidle: $deep deep states enabled"
else
	tb_assert_eq "$(field cpuidle verdict)" unknown "cpuidle: no cpuidle directory"
fi

# ---- isolation: the kernel command line ----
cmdline=$(sed 's/ -- .*//' /proc/cmdline)
if ! grep -qE '(^| )(isolcpus|nohz_full|rcu_nocbs)(=| |$)' <<<"$cmdline"; then
	tb_assert_eq "$(field isolation verdict)" warn "isolation: no parameter on the command line"
	case $(field isolation fix) in
	*"isolcpus=1 nohz_full=1 rcu_nocbs=1") tb_pass "isolation: the parameters to add" ;;
	*) tb_fail "isolation fix: '$(field isolation fix)'" ;;
	esac
else
	case $(field isolation verdict) in
	ok | warn) tb_pass "isolation: a verdict" ;;
	*) tb_fail "isolation: verdict '$(field isolation verdict)'" ;;
	esac
fi

# ---- smt: veth has no queue IRQs; a CPU without sibling needs none ----
sib=$(cat /sys/devices/system/cpu/cpu1/topology/thread_siblings_list)
if [ "$sib" = 1 ]; then
	tb_assert_eq "$(field smt verdict)" ok "smt: CPU 1 has no sibling"
else
	tb_assert_eq "$(field smt verdict)" unknown "smt: siblings $sib, no queue IRQ to compare"
fi

# ---- conntrack: the namespace's own table ----
# A rule that needs connection state turns tracking on in this namespace (and loads the module).
tb_dut nft -f - <<'NFT' || tb_skip "nftables cannot use connection tracking here"
table inet rxqtest {
	chain in {
		type filter hook input priority 0;
		ct state new counter
	}
}
NFT
tb_dut test -e /proc/net/nf_conntrack || tb_skip "no /proc/net/nf_conntrack (CONFIG_NF_CONNTRACK_PROCFS)"
# Entries of the probes must expire while the test waits: a short timeout, this namespace's own.
global_timeout=$(cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)
tb_dut sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 ||
	tb_skip "cannot set this namespace's UDP conntrack timeout"
tb_assert_eq "$(cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)" "$global_timeout" \
	"the initial namespace's UDP timeout is untouched"

tb_wait_until 10 '[ "$(tracked)" = 0 ]' || tb_fail "entries for port $PORT before any probe"
check
tb_assert_eq "$(field conntrack verdict)" ok "conntrack: nothing tracked before the probes"

send
n=$(tracked)
[ "$n" -gt 0 ] || tb_fail "the probes left no conntrack entry (is tracking on?)"
check
tb_assert_eq "$(field conntrack verdict)" warn "conntrack: the probes are tracked"
case $(field conntrack detail) in
"$n entr"*" for UDP port $PORT "*) tb_pass "conntrack: $n entries, as /proc/net/nf_conntrack" ;;
*) tb_fail "conntrack detail: '$(field conntrack detail)' (expected $n entries)" ;;
esac
fix=$(field conntrack fix)
case $fix in
*"udp dport $PORT notrack"*) tb_pass "conntrack: the fix is a notrack rule for port $PORT" ;;
*) tb_fail "conntrack fix: '$fix'" ;;
esac

# The printed fix, run as it is, in the namespace.
tb_dut sh -c "$fix" || tb_fail "the conntrack fix failed: $fix"
tb_assert_eq "$(tb_dut nft list chain inet raw prerouting | grep -c notrack)" 2 \
	"the fix put two notrack rules on prerouting"
tb_wait_until 30 '[ "$(tracked)" = 0 ]' || tb_fail "the probes' entries did not expire"
send
tb_assert_eq "$(tracked)" 0 "probes after the fix are not tracked"
check
tb_assert_eq "$(field conntrack verdict)" ok "conntrack: ok after the fix"
