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
#   tb_spawn dut OUT ERR CMD...  # the same, with stdout in OUT and stderr in ERR
#   tb_wait_json FILE TYPE 10  # wait until FILE holds a JSON record {"type":"TYPE",...}
#   tb_sink OUT [ARGS...]      # rxq-sink on dut0 with --json, started and attached
#   tb_rxq_gen ARGS...         # rxq-gen in gen with --json and the test's seed; tb_gen_field reads it
#   tb_tshark ARGS...          # tshark without heuristic dissectors
#   $TB_SEED                   # the seed of every random choice; RXQ_TEST_SEED=N replays a run
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
# One seed per run for everything random a test sends or checks; printed (by tb_seed) so that a
# failure can be replayed with RXQ_TEST_SEED=N.
TB_SEED=${RXQ_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')}
case $TB_SEED in
'' | *[!0-9]*)
	printf 'FAIL: RXQ_TEST_SEED=%s is not a non-negative integer\n' "$TB_SEED" >&2
	rmdir "$TB_TMP" # the EXIT trap that would is not set yet
	exit 1 ;;
esac
TB_SEED_SHOWN=0

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
		tb_ns_del "$TB_GEN"
		tb_ns_del "$TB_DUT"
	fi
	rm -rf "$TB_TMP"
}

# tb_ns_del NS: kill whatever still runs in namespace NS (daemons fork children that TB_PIDS does
# not know, and a live process keeps the namespace's interfaces), then delete it. A failure is
# reported on stderr: a namespace left behind must say why.
tb_ns_del() {
	local ns=$1 pids err
	ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF -- "$ns" || return 0
	pids=$(ip netns pids "$ns" 2>/dev/null)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -z "$pids" ] && break
			sleep 0.1
		done
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.1
		done
	fi
	if ! err=$(ip netns del "$ns" 2>&1); then
		printf 'cleanup: cannot delete network namespace %s: %s\n' "$ns" "$err" >&2
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		[ -z "$pids" ] || printf 'cleanup: processes still in %s: %s\n' "$ns" "$pids" >&2
	fi
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
	tb_spawn "$ns" - - "$@"
}

# tb_spawn NS OUT ERR CMD...: like tb_bg, with CMD's stdout in file OUT and its stderr in file ERR
# ("-" leaves that stream as it is). TB_LAST_PID is CMD's own PID, so a signal reaches CMD.
tb_spawn() {
	local ns=$1 out=$2 err=$3 nsname
	shift 3
	case $ns in
	gen) nsname=$TB_GEN ;;
	dut) nsname=$TB_DUT ;;
	*) tb_fail "tb_spawn: namespace '$ns' is neither gen nor dut" ;;
	esac
	(
		[ "$out" = - ] || exec >"$out"
		[ "$err" = - ] || exec 2>"$err"
		exec ip netns exec "$nsname" "$@"
	) &
	TB_LAST_PID=$!
	TB_PIDS+=("$TB_LAST_PID")
}

# tb_wait_json FILE TYPE TIMEOUT_S: wait until FILE (JSON lines) holds a record of type TYPE.
# Returns 1 when the time runs out.
tb_wait_json() {
	local file=$1 type=$2 timeout=$3
	tb_wait_for "$timeout" grep -qE "\"type\" *: *\"$type\"" "$file"
}

# tb_seed: prints the run's seed once, with how to replay it. Called by everything that uses it.
tb_seed() {
	[ "$TB_SEED_SHOWN" = 1 ] && return 0
	TB_SEED_SHOWN=1
	tb_log "seed $TB_SEED (replay with RXQ_TEST_SEED=$TB_SEED)"
}

# tb_sink OUT [ARGS...]: rxq-sink --json ARGS on dut0 (in the dut), stdout in OUT, stderr in
# OUT.err; returns once its program is attached. PID in TB_SINK_PID; tb_sink_stop ends it.
TB_SINK_PID=
TB_SINK_OUT=
tb_sink() {
	local out=$1 sink
	shift
	sink=$(tb_bin rxq-sink) || exit 1
	TB_SINK_OUT=$out
	tb_spawn dut "$out" "$out.err" "$sink" "$TB_DUT_IF" --json "$@"
	TB_SINK_PID=$TB_LAST_PID
	tb_wait_json "$out" ready 10 || tb_fail "rxq-sink did not attach: $(cat "$out.err")"
}

# tb_sink_stop: SIGINT to the last tb_sink, which must exit 0 and print a summary; the summary is
# left in TB_SINK_SUM.
TB_SINK_SUM=
tb_sink_stop() {
	kill -INT "$TB_SINK_PID" || tb_fail "rxq-sink is gone: $(cat "$TB_SINK_OUT.err")"
	wait "$TB_SINK_PID" || tb_fail "rxq-sink failed: $(cat "$TB_SINK_OUT.err")"
	TB_SINK_SUM=$(grep -E '"type" *: *"summary"' "$TB_SINK_OUT") ||
		tb_fail "rxq-sink printed no summary"
}

# tb_rxq_gen [-o OUT] ARGS...: rxq-gen --json --quiet ARGS in gen, with --seed $TB_SEED unless ARGS
# give one. Its output goes to OUT (default: a new file under $TB_TMP), stderr to OUT.err; the
# output file is left in GEN_OUT. Fails the test if rxq-gen fails.
GEN_OUT=
TB_GEN_RUNS=0
tb_rxq_gen() {
	local a gen seed=(--seed "$TB_SEED")
	gen=$(tb_bin rxq-gen) || exit 1
	if [ "${1:-}" = -o ]; then
		GEN_OUT=$2
		shift 2
	else
		TB_GEN_RUNS=$((TB_GEN_RUNS + 1))
		GEN_OUT=$TB_TMP/gen.$TB_GEN_RUNS.json
	fi
	for a in "$@"; do
		case $a in --seed | --seed=*) seed=() ;; esac
	done
	[ ${#seed[@]} = 0 ] || tb_seed
	tb_gen "$gen" --json --quiet "${seed[@]}" "$@" >"$GEN_OUT" 2>"$GEN_OUT.err" ||
		tb_fail "rxq-gen $* failed: $(cat "$GEN_OUT.err")"
}
# tb_gen_field FIELD [FILE]: a field of rxq-gen's summary (default: the last tb_rxq_gen's).
tb_gen_field() { jq -r "select(.type == \"summary\") | .$1" "${2:-$GEN_OUT}"; }
# tb_gen_flow INDEX [FILE]: the packets rxq-gen sent of flow INDEX.
tb_gen_flow() { jq -r "select(.type == \"flow\" and .index == $1) | .packets" "${2:-$GEN_OUT}"; }

# tb_tshark ARGS...: tshark -n with every heuristic dissector off. A heuristic guesses a protocol
# from the bytes alone, so a random payload on a random port can pass for, say, an IP packet inside
# UDP, and the dissection (and its checksum verdicts) then judges bytes that are no packet at all.
# --disable-heuristic wants a heuristic's short name, which tshark -G heuristic-decodes does not
# print (it lists table, protocol, enabled): the names tried are those the usual spellings make of
# each enabled row, and tshark itself says which exist. An enabled heuristic left without a name has
# its protocol disabled instead, unless the tests judge that protocol (TB_TSHARK_KEEP).
# The options are worked out once per test and kept in a file, so that $(tb_tshark ...) finds them.
TB_TSHARK_KEEP=' eth ethertype ip ipv6 udp tcp icmp icmpv6 dns data frame '
tb_tshark() {
	local opts=$TB_TMP/tshark-options rows=$TB_TMP/tshark-heuristics row cands=() bad o=()
	if [ ! -s "$opts" ]; then
		# Each enabled row as "PROTO CANDIDATE..." (a protocol is one word, a table may hold dots).
		tshark -G heuristic-decodes 2>/dev/null | awk -F'\t' '$3 == "T" {
			p = $2; lp = tolower(p); n = lp; gsub(/[-.]/, "_", n); t = $1; gsub(/[-.]/, "_", t)
			print p, p, lp, n, n "_" t, lp "_" $1, n "_heur"
		}' >"$rows"
		[ -s "$rows" ] || tb_fail "tshark -G heuristic-decodes lists no heuristic dissectors"
		while read -r -a row; do cands+=("${row[@]:1}"); done <"$rows"
		mapfile -t cands < <(printf '%s\n' "${cands[@]}" | sort -u)
		for row in "${cands[@]}"; do o+=(--disable-heuristic "$row"); done
		bad=" $(tshark -n "${o[@]}" -r /nonexistent 2>&1 |
			sed -n 's/.*No such protocol \(.*\), can.t disable.*/\1/p' | tr '\n' ' ') "
		while read -r -a row; do
			local hit=0 c
			for c in "${row[@]:1}"; do
				case $bad in *" $c "*) ;; *) echo "--disable-heuristic $c"; hit=1 ;; esac
			done
			[ $hit = 1 ] && continue
			case $TB_TSHARK_KEEP in
			*" ${row[0]} "*) tb_log "tshark: the ${row[0]} heuristic has no name to disable it by" ;;
			*) echo "--disable-protocol ${row[0]}" ;;
			esac
		done <"$rows" | sort -u | tr ' ' '\n' >"$opts"
	fi
	mapfile -t o <"$opts"
	tshark -n "${o[@]}" "$@"
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
