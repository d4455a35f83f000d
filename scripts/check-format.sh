#!/usr/bin/env bash
# Checks that every C file of the tree is as clang-format (with .clang-format: kernel style) would
# write it. Prints the files that are not, and how to fix them; exit 1 if any.
#   scripts/check-format.sh [--fix]
set -uo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
if [ "${1:-}" = --fix ]; then
	clang-format -i --style=file "${files[@]}"
	exit
fi
bad=()
for f in "${files[@]}"; do
	clang-format --style=file --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
	printf 'check-format: not in the house style (.clang-format): %s\n' "${bad[@]}" >&2
	echo "check-format: run scripts/check-format.sh --fix" >&2
	exit 1
fi
echo "check-format: ${#files[@]} files in the house style"
