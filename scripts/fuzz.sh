#!/usr/bin/env bash
# Short fuzz run of every parser (CI): builds the libFuzzer targets with clang
# (ASan + UBSan, -DRATLS_FUZZ=ON) in build-fuzz/ and runs each for N seconds
# on a scratch copy of its committed corpus (tests/fuzz/corpus/<target>/ is
# never written to).
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 25 (15 targets)
# Exits non-zero on a build failure or on any crash, leak, timeout or broken
# invariant; the offending inputs are kept in build-fuzz/fuzz-artifacts/ and
# the logs in build-fuzz/fuzz-logs/. RATLS_FUZZ_BUILD_DIR overrides build-fuzz/.
set -euo pipefail

secs="${1:-25}"
if ! [[ "$secs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${RATLS_FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets=(quote collateral sgx_ext pem_chain pcs_body dstack_response compose policy collateral_item snp_report http_response snp_json snp_vcek snp_policy p256)
header="$root/tests/fuzz/fuzz_common.h"

export CC="${CC:-clang}"
if ! command -v "$CC" >/dev/null; then
  echo "fuzz.sh: $CC not found (apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 1
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
  >"$probe/p.c"
if ! "$CC" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>"$probe/err"; then
  cat "$probe/err" >&2
  echo "fuzz.sh: $CC cannot link libFuzzer (apt-get install -y clang libclang-rt-14-dev)" >&2
  exit 1
fi

echo "=== building fuzz targets in $build ($CC) ==="
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRATLS_FUZZ=ON -DRATLS_TESTS=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
artifacts="$build/fuzz-artifacts"
logs="$build/fuzz-logs"
mkdir -p "$artifacts" "$logs"

failed=()
summary=()
start=$SECONDS
for t in "${targets[@]}"; do
  upper="$(echo "$t" | tr '[:lower:]' '[:upper:]')"
  max_len="$(sed -n "s/^#define FUZZ_MAX_LEN_${upper} \([0-9]*\).*/\1/p" "$header")"
  [ -n "$max_len" ] || { echo "fuzz.sh: no FUZZ_MAX_LEN_${upper} in $header" >&2; exit 1; }
  work="$build/fuzz-corpus/$t"
  rm -rf "$work"
  mkdir -p "$work"
  cp "$root/tests/fuzz/corpus/$t/"* "$work/"
  log="$logs/$t.log"
  echo "=== fuzz_$t: ${secs}s, -max_len=$max_len ==="
  rc=0
  "$build/tests/fuzz/fuzz_$t" "$work" -max_total_time="$secs" -max_len="$max_len" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$t-" >"$log" 2>&1 || rc=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  cov="$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1 || true)"
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    summary+=("$(printf '%-11s FAILED (exit %d) after %s runs; see %s' "$t" "$rc" "${runs:-?}" "$log")")
    grep -E 'ERROR: |SUMMARY: |invariant failed|Test unit written' "$log" | head -20 >&2 || true
  else
    summary+=("$(printf '%-11s ok  %9s runs  %6s exec/s  %s' "$t" "${runs:-?}" "${eps:-?}" "$cov")")
  fi
done

echo "=== fuzz summary ($((SECONDS - start))s) ==="
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (inputs in $artifacts)" >&2
  exit 1
fi
