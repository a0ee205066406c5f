#!/usr/bin/env bash
# The main job on a built-in default: generate a TDX quote and its collateral
# under the project's own simulated Intel PKI, verify it, print the checklist.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/deps.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target ratls_cli >/dev/null
exec ./build/tools/ratls/ratls demo "$@"
