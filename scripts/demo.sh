#!/usr/bin/env bash
# The main job on a built-in default: start the bundled simulated dstack TEE
# server (`ratls sim`, a real HTTPS server on loopback whose quotes chain to
# the project's simulated Intel PKI), then `ratls verify` it: TLS, a quote
# over a fresh nonce on the same connection, DCAP, event log, certificate
# binding and the server's expected software; print the checklist.
# Extra arguments go to `ratls verify` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/deps.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target ratls_cli >/dev/null
R=./build/tools/ratls/ratls
state=$(mktemp -d)
mkfifo "$state/stdin"
"$R" sim --port 0 --state-dir "$state/sim" --exit-on-stdin-eof <"$state/stdin" >"$state/out" 2>"$state/log" &
sim_pid=$!
exec 3>"$state/stdin" # the server lives while this is open
trap 'exec 3>&-; wait "$sim_pid" 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$state/out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(https:[^ ]*\).*/\1/p' "$state/out")
[ -n "$url" ] || { cat "$state/log" >&2; echo "demo: the simulator did not start" >&2; exit 1; }
echo "demo: simulated TEE server at $url (TEST ONLY: its quotes chain to a simulated Intel root)" >&2
echo "+ ratls verify $url --policy sim/policy.json --insecure-test-root sim/root.pem --pccs-url $url --pccs-no-tls-verify" >&2
"$R" verify "$url" --policy "$state/sim/policy.json" --insecure-test-root "$state/sim/root.pem" \
  --pccs-url "$url" --pccs-no-tls-verify --no-disk-cache "$@"
