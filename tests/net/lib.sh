# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# The rxq testbed, sourced by network tests, benchmarks and the demo.
#
#   +---------------- netns $TB_GEN ---------------+    +---------------- netns $TB_DUT ---------------+
#   | gen0  198.18.0.1/24  fd00::1/64  $TB_GEN_MAC |<-->| dut0  198.18.0.2/24  fd00::2/64  $TB_DUT_MAC |
#   +----------------------------------------------+    +----------------------------------------------+
#
# Both namespaces get a random suffix so parallel runs never collide, and are deleted by an EXIT trap
# together with every process started through tb_bg. The veth pair is created inside the namespaces:
# the root namespace's interfaces are never touched. Neighbour entries are permanent, so no ARP/ND
# traffic disturbs packet counts. The dut routes everything back via gen (default route), so replies
# to spoofed sources from 198.18.0.0/15 leave through dut0 and rp_filter never drops a flood packet.
#
# Usage:
#   source tests/net/lib.sh
#   tb_require ip jq           # skip (exit 77) unless root and the commands exist
#   tb_up 4                    # testbed with 4 queues per side
#   tb_gen CMD...              # run in the gen namespace (tb_dut likewise)
#   tb_bg dut CMD... >LOG      # background process in a namespace, killed at exit; its PID is
#                              # in $TB_LAST_PID (call it directly, not inside $(...))
#   tb_rx_packets dut dut0     # kernel RX packet counter of an interface
#   tb_fail "message"          # fail the test (exit 1)
#   tb_pass "message"          # one passed check, printed

set -u
set -o pipefail

TB_ROOT=${TB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RXQ_BUILD=${RXQ_BUILD:-$TB_ROOT/build}
TB_SUFFIX=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
TB_GEN=rxq-gen-$TB_SUFFIX
TB_DUT=rxq-dut-$TB_SUFFIX
TB_GEN_IF=gen0
TB_DUT_IF=dut0
TB_GEN_IP4=198.18.0.1
TB_DUT_IP4=198.18.0.2
TB_GEN_IP6=fd00::1
TB_DUT_IP6=fd00::2
TB_GEN_MAC=02:52:51:00:00:01
TB_DUT_MAC=02:52:51:00:00:02
TB_QUEUES=1
TB_TMP=$(mktemp -d /tmp/rxq-test.XXXXXX)
TB_PIDS=()
TB_CLEANUP_HOOKS=()
TB_UP=0
TB_CHECKS=0

tb_log() { printf '# %s\n' "$*" >&2; }

tb_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

tb_pass() {
	TB_CHECKS=$((TB_CHECKS + 1))
	printf 'ok %d - %s\n' "$TB_CHECKS" "$*"
}

# A test that cannot run says why and exits 77 (meson counts it as skipped).
tb_skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

tb_require() {
	local c
	[ "$(id -u)" = 0 ] || tb_skip "network tests need root (network namespaces, XDP)"
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || tb_skip "'$c' is not installed"
	done
}

# Path of a built tool or test helper, failing clearly when the build lacks it.
tb_bin() {
	local f
	for f in "$RXQ_BUILD/tools/$1/$1" "$RXQ_BUILD/tests/net/$1" "$RXQ_BUILD/bench/$1"; do
		[ -x "$f" ] && { echo "$f"; return 0; }
	done
	tb_fail "$1 is not built under $RXQ_BUILD (run ninja -C $RXQ_BUILD)"
}

tb_on_exit() { TB_CLEANUP_HOOKS+=("$*"); }

tb_cleanup() {
	local pid hook
	for hook in "${TB_CLEANUP_HOOKS[@]}"; do
		eval "$hook" >/dev/null 2>&1 || true
	done
	for pid in "${TB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${TB_PIDS[@]}"; do
		# Give tools a moment to print their summary and detach, then insist.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "$TB_UP" = 1 ]; then
		ip netns del "$TB_GEN" 2>/dev/null || true
		ip netns del "$TB_DUT" 2>/dev/null || true
	fi
	rm -rf "$TB_TMP"
}
trap tb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tb_gen() { ip netns exec "$TB_GEN" "$@"; }
tb_dut() { ip netns exec "$TB_DUT" "$@"; }

# tb_up [QUEUES]: create the two namespaces and the veth pair with QUEUES RX and TX queues each.
tb_up() {
	local q=${1:-1}
	TB_QUEUES=$q
	tb_log "testbed: $TB_GEN $TB_DUT"
	ip netns add "$TB_GEN" || tb_fail "cannot create network namespace $TB_GEN"
	TB_UP=1
	ip netns add "$TB_DUT" || tb_fail "cannot create network namespace $TB_DUT"
	ip -n "$TB_GEN" link add "$TB_GEN_IF" numtxqueues "$q" numrxqueues "$q" \
		address "$TB_GEN_MAC" type veth peer name "$TB_DUT_IF" netns "$TB_DUT" \
		numtxqueues "$q" numrxqueues "$q" address "$TB_DUT_MAC" ||
		tb_fail "cannot create the veth pair (is the veth module available?)"
	local ns ifc ip4 ip6 peer4 peer6 peermac
	for ns in gen dut; do
		if [ $ns = gen ]; then
			ifc=$TB_GEN_IF ip4=$TB_GEN_IP4 ip6=$TB_GEN_IP6
			peer4=$TB_DUT_IP4 peer6=$TB_DUT_IP6 peermac=$TB_DUT_MAC
		else
			ifc=$TB_DUT_IF ip4=$TB_DUT_IP4 ip6=$TB_DUT_IP6
			peer4=$TB_GEN_IP4 peer6=$TB_GEN_IP6 peermac=$TB_GEN_MAC
		fi
		"tb_$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
		"tb_$ns" ip link set lo up
		"tb_$ns" ip addr add "$ip4/24" dev "$ifc"
		"tb_$ns" ip addr add "$ip6/64" dev "$ifc" nodad
		"tb_$ns" ip link set "$ifc" up
		"tb_$ns" ip neigh replace "$peer4" lladdr "$peermac" dev "$ifc" nud permanent
		"tb_$ns" ip neigh replace "$peer6" lladdr "$peermac" dev "$ifc" nud permanent
		"tb_$ns" ip route add default via "$peer4" dev "$ifc"
		"tb_$ns" ip -6 route add default via "$peer6" dev "$ifc"
	done
	# Wait for both ends to report carrier (veth brings it up asynchronously).
	local i
	for i in $(seq 50); do
		if tb_gen ip -j link show "$TB_GEN_IF" | grep -q '"operstate":"UP"' &&
			tb_dut ip -j link show "$TB_DUT_IF" | grep -q '"operstate":"UP"'; then
			return 0
		fi
		sleep 0.1
	done
	tb_fail "veth pair did not come up"
}

# tb_bg NS CMD...: start CMD in namespace NS (gen|dut) in the background and register it for the
# cleanup. Its PID is left in TB_LAST_PID: a $(tb_bg ...) would run in a subshell, lose the
# registration and wait for CMD to close its stdout.
TB_LAST_PID=
tb_bg() {
	local ns=$1
	shift
	local nsname
	[ "$ns" = gen ] && nsname=$TB_GEN || nsname=$TB_DUT
	ip netns exec "$nsname" "$@" &
	TB_LAST_PID=$!
	TB_PIDS+=("$TB_LAST_PID")
}

# tb_stat NS IF FIELD: a kernel interface counter (rx.packets, rx.dropped, tx.packets, ...).
tb_stat() {
	local ns=$1 ifc=$2 field=$3
	"tb_$ns" ip -s -j link show "$ifc" | jq -r ".[0].stats64.$field"
}
tb_rx_packets() { tb_stat "$1" "$2" rx.packets; }
tb_tx_packets() { tb_stat "$1" "$2" tx.packets; }

# tb_xdp_attached NS IF: prints the attached XDP program id(s), nothing if none.
tb_xdp_attached() {
	"tb_$1" ip -j link show "$2" | jq -r '.[0].xdp.prog.id // (.[0].xdp.attached // [] | map(.prog.id) | join(" ")) // empty'
}

# tb_wait_for TIMEOUT_S CMD...: retry CMD every 50 ms until it succeeds or the time runs out.
tb_wait_for() {
	local timeout=$1
	shift
	local deadline=$(($(date +%s%N) + timeout * 1000000000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# tb_napi_pin NS IF CPU [PRIO]: IF's receive work (its XDP program and the stack above it) on CPU, as a
# NIC queue's interrupt pinned there would have it: threaded NAPI, the NAPI threads pinned. veth
# runs NAPI only while an XDP program is attached, and makes new threads each time one is: call it
# after the attach. Fails the test if there is no NAPI thread to pin. With PRIO > 0 the threads run
# SCHED_FIFO PRIO: as a NIC's softirq does, and as PREEMPT_RT's interrupt threads do (at 50), the
# receive work then runs ahead of the processes on that CPU instead of taking turns with them.
tb_napi_pin() {
	local ns=$1 ifc=$2 cpu=$3 fifo=${4:-0} pid n=0
	"tb_$ns" sh -c "echo 1 > /sys/class/net/$ifc/threaded" ||
		tb_fail "cannot enable threaded NAPI on $ifc"
	for pid in $(pgrep "^napi/$ifc-"); do
		taskset -pc "$cpu" "$pid" >/dev/null || continue
		if [ "$fifo" -gt 0 ]; then
			chrt -f -p "$fifo" "$pid" || tb_fail "cannot make $ifc's NAPI thread SCHED_FIFO $fifo"
		fi
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || tb_fail "no NAPI thread of $ifc found"
}

# tb_wait_until TIMEOUT_S 'EXPR': like tb_wait_for, for a shell expression evaluated anew on every
# try -- quote it, so that a $(...) inside runs each time, not once before the first.
tb_wait_until() {
	local timeout=$1
	shift
	tb_wait_for "$timeout" eval "$*"
}

# Assertions. All compare integers (or decimals via awk) and fail the test with a message.
tb_assert_eq() {
	[ "$1" = "$2" ] || tb_fail "$3: expected $2, got $1"
	tb_pass "$3 ($1)"
}

# tb_assert_within ACTUAL EXPECTED PERCENT WHAT
tb_assert_within() {
	local actual=$1 expected=$2 pct=$3 what=$4
	awk -v a="$actual" -v e="$expected" -v p="$pct" \
		'BEGIN { d = a - e; if (d < 0) d = -d; exit !(e != 0 && d * 100 <= p * e) }' ||
		tb_fail "$what: $actual is not within $pct% of $expected"
	tb_pass "$what ($actual within $pct% of $expected)"
}

# tb_expect_exit STATUS PATTERN CMD...: CMD must exit with STATUS and print PATTERN on stderr.
tb_expect_exit() {
	local want=$1 pattern=$2
	shift 2
	local err=$TB_TMP/expect.err rc=0
	"$@" >/dev/null 2>"$err" || rc=$?
	[ "$rc" = "$want" ] || tb_fail "'$*' exited $rc, expected $want; stderr: $(head -c 400 "$err")"
	grep -qE -- "$pattern" "$err" ||
		tb_fail "'$*' did not say /$pattern/; stderr: $(head -c 400 "$err")"
	tb_pass "'$*' -> exit $want: $(head -n1 "$err")"
}

# --- real DNS servers and clients ---------------------------------------------------------------

TB_DNS_V4=198.18.0.53 # what the servers answer
TB_DNS_V6=fd00::53

# tb_dns_up NS WHAT TIMEOUT_S ADDR PORT: waits until a server in NS answers a query on ADDR#PORT.
tb_dns_up() {
	local ns=$1 what=$2 timeout=$3 addr=$4 port=$5 name=${6:-www.example.com}
	tb_wait_for "$timeout" "tb_$ns" dig +short +tries=1 +time=1 -p "$port" "@$addr" "$name" ||
		tb_fail "$what does not answer on $addr#$port"
}

# tb_dnsmasq [--log]: dnsmasq (the DNS forwarder most hosts and containers run) in the dut on
# port 53 of $TB_DUT_IP4 and $TB_DUT_IP6, answering *.example.com with $TB_DNS_V4/$TB_DNS_V6 and
# REFUSED for other names. With --log every query it receives is a line "query[TYPE] NAME from
# ADDR" in $TB_DNSMASQ_LOG (costs time: not for floods).
TB_DNSMASQ_LOG=
tb_dnsmasq() {
	local log=()
	TB_DNSMASQ_LOG=$TB_TMP/dnsmasq.log
	: >"$TB_DNSMASQ_LOG"
	[ "${1:-}" = --log ] && log=(--log-queries)
	tb_bg dut dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll --bind-interfaces \
		--listen-address="$TB_DUT_IP4" --listen-address="$TB_DUT_IP6" --except-interface=lo \
		--address="/example.com/$TB_DNS_V4" --address="/example.com/$TB_DNS_V6" \
		--cache-size=1000 --dns-forward-max=10000 --pid-file= --user=root \
		--log-facility="$TB_DNSMASQ_LOG" "${log[@]}" 2>>"$TB_DNSMASQ_LOG"
	tb_dns_up gen dnsmasq 10 "$TB_DUT_IP4" 53
}
# tb_dnsmasq_queries PATTERN: queries in dnsmasq's log whose line matches PATTERN (grep -E).
tb_dnsmasq_queries() { grep -E 'query\[' "$TB_DNSMASQ_LOG" | grep -cE -- "$1" || true; }

# tb_nsd ADDR4 ADDR6 PORT: NSD (an authoritative server) in the dut on ADDR4#PORT and ADDR6#PORT,
# serving example.net (www and every other name: A 198.18.0.80, AAAA fd00::80). Response rate limiting is off: the
# tests and benchmarks ask from one source faster than its default of 200 answers a second.
tb_nsd() {
	local a4=$1 a6=$2 port=$3 d=$TB_TMP/nsd
	mkdir -p "$d"
	cat >"$d/example.net.zone" <<-'ZONE'
		$ORIGIN example.net.
		$TTL 300
		@    IN SOA ns1 admin 1 3600 600 86400 300
		@    IN NS  ns1
		ns1  IN A   198.18.0.2
		www  IN A   198.18.0.80
		www  IN AAAA fd00::80
		*    IN A   198.18.0.80
		*    IN AAAA fd00::80
	ZONE
	cat >"$d/nsd.conf" <<-CONF
		server:
		  ip-address: $a4@$port
		  ip-address: $a6@$port
		  username: ""
		  zonesdir: "$d"
		  database: ""
		  pidfile: "$d/nsd.pid"
		  xfrdfile: "$d/xfrd.state"
		  zonelistfile: "$d/zone.list"
		  logfile: "$d/nsd.log"
		  server-count: 1
		  rrl-ratelimit: 0
		remote-control:
		  control-enable: no
		zone:
		  name: example.net
		  zonefile: example.net.zone
	CONF
	tb_bg dut nsd -d -c "$d/nsd.conf" 2>>"$d/nsd.log"
	tb_dns_up gen nsd 10 "$a4" "$port" www.example.net
}

# tb_dnsperf OUT ARGS...: dnsperf in gen (-v: one line per answer with its latency), its output in
# OUT; read it with tb_dnsperf_get.
tb_dnsperf() {
	local out=$1
	shift
	tb_gen dnsperf -v "$@" >"$out" 2>&1 || tb_fail "dnsperf $* failed: $(tail -n 5 "$out")"
}
# tb_dnsperf_get OUT sent|completed|lost|p50|p99|max: a count, or a latency in microseconds.
tb_dnsperf_get() {
	case $2 in
	sent | completed | lost)
		awk -v k="$2" '$1 == "Queries" && $2 == k ":" { print $3; exit }' "$1" ;;
	p50 | p99 | max)
		awk '$1 == ">" { printf "%.1f\n", $NF * 1e6 }' "$1" | sort -n | awk -v k="$2" '
			{ v[++n] = $1 }
			END {
				if (!n) { print "none"; exit }
				q = k == "p50" ? 0.50 : k == "p99" ? 0.99 : 1
				i = int(q * n + 0.999999); if (i < 1) i = 1
				printf "%.0f\n", v[i]
			}' ;;
	esac
}
