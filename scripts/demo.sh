#!/usr/bin/env bash
# The main job: installs what is needed, builds rxq, and runs the offload demo on a self-made
# two-namespace testbed (a mixed flood from rxq-gen, rxq-offload on one queue, the server's count).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ "${RXQ_SKIP_DEPS:-0}" = 1 ] || bash scripts/deps.sh
bash scripts/build.sh build >/dev/null
exec bash scripts/demo-offload.sh
