#!/usr/bin/env bash
# Installs what is needed, then builds rxq twice (plain, and with ASan+UBSan) and runs every test
# under both, then runs each fuzz target for a bounded time. Ends with "N passed, N failed, N skipped".
#   RXQ_FUZZ_SECONDS   time per fuzz target (default 6, two targets at a time; 0 skips fuzzing)
#   RXQ_SKIP_DEPS=1    do not run apt-get (the packages are known to be there)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ "${RXQ_SKIP_DEPS:-0}" != 1 ]; then
	bash scripts/deps.sh || { echo "test.sh: installing dependencies failed" >&2; exit 1; }
fi

passed=0 failed=0 skipped=0
failures=()

# count_meson BUILD LABEL: add the results of BUILD's last meson test run to the totals.
count_meson() {
	local log=$1/meson-logs/testlog.json label=$2 line name result
	[ -f "$log" ] || { failed=$((failed + 1)); failures+=("$label: no test log"); return; }
	while IFS=$'\t' read -r name result; do
		case $result in
		OK | EXPECTEDFAIL) passed=$((passed + 1)) ;;
		SKIP) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)); failures+=("$label: $name ($result)") ;;
		esac
	done < <(jq -r '[.name, .result] | @tsv' "$log")
}

# run_suite DIR LABEL "MESON-TEST-ARGS" [SETUP-ARGS...]
run_suite() {
	local dir=$1 label=$2 test_args=$3
	shift 3
	echo "=== $label: build ($dir)"
	if ! bash scripts/build.sh "$dir" "$@"; then
		failed=$((failed + 1))
		failures+=("$label: build failed")
		return
	fi
	echo "=== $label: tests"
	# shellcheck disable=SC2086 # the test arguments are words
	meson test -C "$dir" --print-errorlogs --num-processes 2 $test_args
	count_meson "$dir" "$label"
	echo "=== $label: done at ${SECONDS}s"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "=== format: scripts/check-format.sh"
if bash scripts/check-format.sh; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	failures+=("format: files not in the house style (scripts/check-format.sh --fix)")
fi

run_suite build plain ""
# The VM lane and the package tests run once, with the plain build: they take minutes (guests
# under TCG, package builds) and prove the driver's behaviour and the packaging, not the tools'
# memory safety, which the other suites give. So do the tests that only measure time and rates.
run_suite build-asan asan "--no-suite vm --no-suite pkg --no-suite timing" \
	-Db_sanitize=address,undefined -Db_lundef=false

fuzz_seconds=${RXQ_FUZZ_SECONDS:-6}
if [ "$fuzz_seconds" != 0 ]; then
	echo "=== fuzz: build (build-fuzz, clang + libFuzzer)"
	if [ ! -f build-fuzz/build.ninja ]; then
		CC=clang CFLAGS='-fsanitize=fuzzer-no-link,address,undefined' \
			meson setup build-fuzz -Dfuzz=true -Dtests=false -Db_lundef=false >/dev/null
	fi
	if ninja -C build-fuzz; then
		# Two targets at a time, one per CPU; each keeps its own corpus copy and log.
		fuzz_one() {
			local target=$1 name corpus
			name=$(basename "$target")
			corpus=$(mktemp -d)
			[ -d "fuzz/corpus/${name#fuzz_}" ] && cp -r "fuzz/corpus/${name#fuzz_}/." "$corpus/"
			"$target" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
				-print_final_stats=1 "$corpus" >"$fuzz_dir/$name.log" 2>&1
			echo $? >"$fuzz_dir/$name.rc"
			rm -rf "$corpus"
		}
		fuzz_dir=$(mktemp -d)
		targets=()
		for target in build-fuzz/fuzz/fuzz_*; do
			[ -f "$target" ] && [ -x "$target" ] && targets+=("$target")
		done
		for ((i = 0; i < ${#targets[@]}; i += 2)); do
			echo "=== fuzz: $(basename "${targets[i]}") ${targets[i + 1]:+and $(basename "${targets[i + 1]}") }for ${fuzz_seconds}s"
			fuzz_one "${targets[i]}" &
			[ -n "${targets[i + 1]:-}" ] && fuzz_one "${targets[i + 1]}" &
			wait
		done
		for target in "${targets[@]}"; do
			name=$(basename "$target")
			if [ "$(cat "$fuzz_dir/$name.rc" 2>/dev/null)" = 0 ]; then
				passed=$((passed + 1))
				printf '%s: ' "$name"
				grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units)' "$fuzz_dir/$name.log" | tail -1
			else
				failed=$((failed + 1))
				failures+=("fuzz: $name found a crash")
				tail -40 "$fuzz_dir/$name.log"
			fi
		done
		rm -rf "$fuzz_dir"
	else
		failed=$((failed + 1))
		failures+=("fuzz: build failed")
	fi
fi

leftover=$(ip netns list 2>/dev/null | awk '/^rxq-/ { print $1 }')
if [ -n "$leftover" ]; then
	failed=$((failed + 1))
	for ns in $leftover; do
		# tb_up logs "testbed: GEN DUT", so the test that made a namespace can be named.
		owner=$(awk -v ns="$ns" '/^test: / { t = $0; sub(/^test: */, "", t) }
			/testbed: / && index($0, ns) { print FILENAME ": " t; exit }' \
			build*/meson-logs/testlog.txt 2>/dev/null)
		failures+=("network namespace $ns left behind (${owner:-no test log names it})")
	done
fi

echo
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$passed passed, $failed failed, $skipped skipped (${SECONDS}s)"
[ "$failed" = 0 ]
