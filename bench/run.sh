#!/usr/bin/env bash
# Build ratls_bench, run it and the dcap-qvl JavaScript reference on the same
# inputs, and print the figures side by side; then the collateral-source and
# attested-connection figures. Prints; asserts nothing.
#
# usage: bench/run.sh [--iterations N] [--js-iterations N] [--vectors DIR]
#   --iterations N      ratls runs per figure (default: 2000 cold, 20000 warm)
#   --js-iterations N   dcap-qvl JS runs per case (default 500, after 50 warm-up calls)
#   --vectors DIR       shared vectors folder (default: ../shared/vectors beside the repo)
set -u -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build-bench"
vectors="$root/../shared/vectors"
ratls_iter=()
js_iter=500

while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) ratls_iter=(--iterations "$2"); shift 2 ;;
    --js-iterations) js_iter="$2"; shift 2 ;;
    --vectors) vectors="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ ! -d "$vectors/tdx" ]; then
  echo "run.sh: no vectors at $vectors; nothing to measure"
  exit 0
fi
vectors=$(cd "$vectors" && pwd)

echo "== build (Release) in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRATLS_TESTS=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; echo "run.sh: cmake configure failed" >&2; exit 1; }
rm -f "$build.configure.log"
cmake --build "$build" --target ratls_bench ratls_bench_connect ratls_bench_snp -j "$(nproc 2>/dev/null || echo 2)" >"$build/build.log" 2>&1 ||
  { tail -n 40 "$build/build.log" >&2; echo "run.sh: build failed (full log: $build/build.log)" >&2; exit 1; }

status=0
ratls_out="$build/bench-ratls.jsonl"
js_out="$build/bench-dcap-qvl.jsonl"
: >"$ratls_out"
: >"$js_out"

echo "== ratls_bench ${ratls_iter[*]:-} (pinned to one CPU)"
if "$build/bench/ratls_bench" --vectors "$vectors" --json "${ratls_iter[@]}" >"$ratls_out"; then
  cat "$ratls_out"
else
  cat "$ratls_out"
  echo "run.sh: ratls_bench failed; no ratls figures" >&2
  : >"$ratls_out"
  status=1
fi

echo "== dcap-qvl JavaScript reference ($js_iter runs per case)"
js_ok=0
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "run.sh: node/npm not found; skipping the JavaScript reference"
else
  if [ ! -d "$here/js/node_modules/@phala/dcap-qvl" ]; then
    (cd "$here/js" && npm install --no-audit --no-fund >"$build/npm-install.log" 2>&1) ||
      echo "run.sh: npm install failed (log: $build/npm-install.log); skipping the JavaScript reference"
  fi
  if [ -d "$here/js/node_modules/@phala/dcap-qvl" ]; then
    if node "$here/js/bench_dcap_qvl.mjs" --vectors "$vectors" --iterations "$js_iter" --json >"$js_out"; then
      cat "$js_out"
      js_ok=1
    else
      cat "$js_out"
      echo "run.sh: the JavaScript reference failed; no dcap-qvl figures" >&2
      : >"$js_out"
    fi
  fi
fi

# field FILE CASE MODE KEY -> value (flat one-line JSON objects)
field() {
  local line
  if [ -n "$3" ]; then
    line=$(grep -F "\"case\":\"$2\"" "$1" | grep -F "\"mode\":\"$3\"" | head -n 1)
  else
    line=$(grep -F "\"case\":\"$2\"" "$1" | head -n 1)
  fi
  printf '%s' "$line" | sed -n "s/.*\"$4\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

echo
echo "== side by side (microseconds per verification, medians; nearest-rank)"
printf '%-18s %12s %14s %12s %14s %14s %10s %12s\n' \
  "case" "ratls cold" "cold+JSON" "ratls warm" "warm verif/s" "dcap-qvl JS" "JS/cold" "JS/cold+JSON"
cases=$( (sed -n 's/.*"case":"\([^"]*\)".*/\1/p' "$ratls_out" "$js_out") | awk '!seen[$0]++')
for c in $cases; do
  cold=$(field "$ratls_out" "$c" cold median_us)
  coldj=$(field "$ratls_out" "$c" cold_incl_json median_us)
  warm=$(field "$ratls_out" "$c" warm median_us)
  vps=$(field "$ratls_out" "$c" warm per_sec)
  js=$(field "$js_out" "$c" "" median_us)
  ratio=$(awk -v a="$js" -v b="$cold" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.1fx", a / b; else print "n/a" }')
  ratioj=$(awk -v a="$js" -v b="$coldj" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.1fx", a / b; else print "n/a" }')
  printf '%-18s %12s %14s %12s %14s %14s %10s %12s\n' "$c" "${cold:-n/a}" "${coldj:-n/a}" "${warm:-n/a}" \
    "${vps:-n/a}" "${js:-n/a}" "$ratio" "$ratioj"
done
[ "$js_ok" = 1 ] && echo "dcap-qvl: $(field "$js_out" "${cases%%$'\n'*}" "" version) on node $(node --version 2>/dev/null)"
echo "raw figures: $ratls_out $js_out"

echo
echo "== attested connections through libcurl against ratls sim (loopback)"
"$build/bench/ratls_bench_connect" || { echo "run.sh: ratls_bench_connect failed" >&2; status=1; }

echo
echo "== AMD SEV-SNP report verification (real vectors)"
"$build/bench/ratls_bench_snp" --vectors "$vectors" || { echo "run.sh: ratls_bench_snp failed" >&2; status=1; }
exit $status
