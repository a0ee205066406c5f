#!/usr/bin/env bash
# Install the build and test dependencies from Debian when any is missing.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libssl-dev libjansson-dev libcmocka-dev libcurl4-openssl-dev
      xxd python3 curl openssl ca-certificates cppcheck clang-tidy clang-format git
      python3-httpx python3-pip python3-setuptools python3-wheel)
[ "${RATLS_WITH_CLANG:-0}" = 1 ] && pkgs+=(clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# httpx 0.28 / httpcore 1.x from Debian 13 for the Python tests (not installed
# system-wide; see the script)
"$(dirname "$0")/py-current.sh"
