#!/usr/bin/env bash
# Formatting (clang-format) and static analysis: cppcheck and clang-tidy (.clang-tidy) over the library and
# the CLI. Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cppcheck >/dev/null || apt-get install -y -qq cppcheck >/dev/null
command -v clang-tidy >/dev/null || apt-get install -y -qq clang-tidy >/dev/null
cmake -S . -B build-lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DRATLS_TESTS=OFF >/dev/null
command -v clang-format >/dev/null || apt-get install -y -qq clang-format >/dev/null
clang-format --dry-run -Werror $(git ls-files '*.c' '*.h' 2>/dev/null || find src include tools tests bench -name '*.[ch]')
cppcheck --enable=warning,portability,performance --std=c11 --quiet --error-exitcode=1 -I include -I src src tools
out=$(clang-tidy -p build-lint --quiet src/*/*.c tools/ratls/*.c 2>/dev/null | grep -E "warning:|error:" || true)
if [ -n "$out" ]; then
  echo "$out"
  exit 1
fi
echo "lint: clang-format, cppcheck and clang-tidy clean"
