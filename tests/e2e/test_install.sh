#!/usr/bin/env bash
# Install into a temporary prefix, then build a consumer against it twice:
# through pkg-config (ratls.pc) and through the CMake package (ratls::ratls).
set -euo pipefail
BUILD="$1"
SRC="$2"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cmake --install "$BUILD" --prefix "$T/prefix" >/dev/null
cat >"$T/consumer.c" <<'C'
#include <ratls/ratls.h>
#include <stdio.h>
int main(void)
{
    ratls_policy *p = ratls_policy_new();
    int ok = p && ratls_policy_allow_tcb_status(p, "Nope") == RATLS_ERR_UNKNOWN_TCB_STATUS;
    ratls_policy_free(p);
    printf("ratls %s: %s\n", ratls_version(), ratls_status_name(RATLS_ERR_QUOTE_SIGNATURE));
    return ok ? 0 : 1;
}
C
libdir=$(ls -d "$T/prefix"/lib*/ | head -1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c11 "$T/consumer.c" $(pkg-config --cflags --libs ratls) -Wl,-rpath,"$libdir" -o "$T/consumer_pc"
"$T/consumer_pc"
mkdir -p "$T/cm"
cat >"$T/cm/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(ratls REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer ratls::ratls)
C
cmake -S "$T/cm" -B "$T/cm/build" -DCMAKE_PREFIX_PATH="$T/prefix" >/dev/null
cmake --build "$T/cm/build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$T/cm/build/consumer"
# only the public API is exported from the shared library
bad=$(nm -D --defined-only "$libdir/libratls.so" | awk '{print $3}' | grep -v '^ratls_' || true)
if [ -n "$bad" ]; then
  echo "non-API symbols exported: $bad"
  exit 1
fi
echo "install: pkg-config and CMake consumers built and ran; only ratls_* exported"
