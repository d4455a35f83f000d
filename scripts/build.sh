#!/usr/bin/env bash
# build.sh DIR [meson options...]: configure DIR once (warnings as errors), then build it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$top" --werror "$@" >/dev/null
fi
ninja -C "$dir"
