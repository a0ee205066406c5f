# Shared by the CLI tests. Sourcing it sets T (a scratch folder, removed on
# exit), pass and fail, and defines check and json_has.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() { # name expected-rc cmd...: run it, stdout in $T/out, stderr in $T/err
  local name="$1" want="$2"
  shift 2
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1))
    echo "FAIL: $name: exit $rc, expected $want"
    head -20 "$T/out" "$T/err"
  fi
}
json_has() { # name file python-expression over the parsed file d
  if /usr/bin/python3 -c "import json,sys; d=json.load(open('$2')); sys.exit(0 if ($3) else 1)"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $1"
    head -40 "$2"
  fi
}
