#!/usr/bin/env bash
# ratls verify https://… against the simulated TEE server: the checklist and
# exit code for an honest server and for each misbehaviour, the JSON object,
# --save-evidence and its offline re-verification, and usage errors.
set -u
RATLS="$1"
T=$(mktemp -d)
pass=0
fail=0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # name expected-rc cmd...
  local name="$1" want="$2"
  shift 2
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" = "$want" ]; then ok; else
    bad "$name: exit $rc, expected $want"
    head -40 "$T/out" "$T/err"
  fi
}
json_has() { # name python-expression (on $T/out)
  if /usr/bin/python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($2) else 1)"; then ok; else
    bad "$1"
    head -60 "$T/out"
  fi
}

# start_sim NAME [ratls sim options...]: sets PORT_<NAME>, state in $T/NAME
start_sim() {
  local name="$1"
  shift
  mkfifo "$T/$name.in"
  "$RATLS" sim --port 0 --state-dir "$T/$name" --exit-on-stdin-eof "$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.log" &
  pids+=($!)
  exec {fd}>"$T/$name.in" # keeps the server's stdin open until this script exits
  for _ in $(seq 100); do grep -q "listening on" "$T/$name.out" 2>/dev/null && break; sleep 0.1; done
  local port
  port=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$T/$name.out")
  [ -n "$port" ] || { bad "sim $name did not start"; cat "$T/$name.log"; return 1; }
  eval "PORT_${name//-/_}=$port"
}
verify() { # NAME [extra args]: ratls verify against sim NAME with its own policy and root
  local name="$1" port
  shift
  eval "port=\$PORT_${name//-/_}"
  "$RATLS" verify "https://127.0.0.1:$port" --policy "$T/$name/policy.json" --insecure-test-root "$T/$name/root.pem" \
    --pccs-url "https://127.0.0.1:$port" --pccs-no-tls-verify --no-disk-cache "$@"
}
app_requests() { # NAME
  local port
  eval "port=\$PORT_${1//-/_}"
  curl -sk "https://127.0.0.1:$port/__sim/stats" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['app_requests'])"
}

start_sim good
check "honest server: checklist" 0 verify good
grep -q "^Verdict:     VERIFIED" "$T/out" && ok || bad "no VERIFIED line"
for id in transport tdx.quote nonce eventlog.replay cert.binding bootchain os_image app_compose key_provider; do
  grep -Eq "^  \[pass\] $id " "$T/out" && ok || bad "check $id not passed in the checklist"
done
grep -q "INSECURE test root" "$T/err" && ok || bad "no insecure-root warning on stderr"
check "honest server: json" 0 verify good --json
json_has "json verdict" "d['verified'] is True and d['error'] is None and d['tcb_status']=='UpToDate' and d['checks'][0]['id']=='transport' and all(c['result']=='pass' for c in d['checks'])"
check "save evidence" 0 verify good --save-evidence "$T/evidence.json"
check "re-verify saved evidence offline" 0 "$RATLS" evidence verify --saved "$T/evidence.json" --policy "$T/good/policy.json" --insecure-test-root "$T/good/root.pem" --offline --no-disk-cache --json
json_has "saved evidence verifies" "d['verified'] is True and [c['result'] for c in d['checks'] if c['id'] in ('nonce','cert.binding')]==['pass','pass']"
check "saved evidence, 60 days later" 1 "$RATLS" evidence verify --saved "$T/evidence.json" --policy "$T/good/policy.json" --insecure-test-root "$T/good/root.pem" --offline --no-disk-cache --at $(($(date +%s) + 60 * 86400)) --json
check "no test root: not Intel's" 1 "$RATLS" verify "https://127.0.0.1:$PORT_good" --policy "$T/good/policy.json" --pccs-url "https://127.0.0.1:$PORT_good" --pccs-no-tls-verify --no-disk-cache --json
json_has "untrusted root named" "d['verified'] is False and d['status']=='untrusted_root' and 'Intel' in d['error']"
check "unparsable policy" 2 verify good --policy /dev/null
echo '{"version": 1, "os_image_hash": "'"$(printf '%064d' 0)"'"}' >"$T/other-policy.json"
check "other os image expected" 1 verify good --policy "$T/other-policy.json" --json
json_has "os_image fails" "d['status']=='os_image' and [c['result'] for c in d['checks'] if c['id']=='os_image']==['fail']"
# a base app compose with the deployment's docker-compose and allowed envs as overrides (the seed's form)
/usr/bin/python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
p = json.load(open(t + "/good/policy.json"))
ac = p["app_compose"]
dcf, envs = ac["docker_compose_file"], ac.get("allowed_envs", [])
ac["docker_compose_file"], ac["allowed_envs"] = "services: {}\n", ["SOMETHING_ELSE"]
json.dump(ac, open(t + "/base-compose.json", "w"))
open(t + "/docker-compose.yml", "w").write(dcf)
open(t + "/envs.txt", "w").write(",".join(envs))
p["app_compose_overrides"] = {"docker_compose_file": dcf, "allowed_envs": envs}
json.dump(p, open(t + "/ov-policy.json", "w"))
p["app_compose_overrides"]["docker_compose_file"] = dcf + "# changed\n"
json.dump(p, open(t + "/ov-policy-bad.json", "w"))
PY
check "overrides on a base app compose" 0 verify good --policy "$T/ov-policy.json"
check "overrides, another docker-compose" 1 verify good --policy "$T/ov-policy-bad.json" --json
json_has "overrides mismatch fails app_compose" "d['status']=='compose_hash'"
check "policy init with overrides" 0 "$RATLS" policy init --app-compose "$T/base-compose.json" --docker-compose-file "$T/docker-compose.yml" --allowed-envs "$(cat "$T/envs.txt")" -o "$T/init-ov.json"
check "policy init overrides verify" 0 verify good --policy "$T/init-ov.json" --json
json_has "app_compose from overrides" "[c['result'] for c in d['checks'] if c['id']=='app_compose']==['pass']"
[ "$(app_requests good)" = 0 ] && ok || bad "ratls verify sent application requests"

# each misbehaviour: exit 1, the named check fails, and the server saw no application request
while read -r mode id status; do
  start_sim "$mode" --misbehave "$mode" --delay-ms 4000 || continue
  check "misbehave $mode" 1 verify "$mode" --json --timeout 1500
  json_has "misbehave $mode fails $id ($status)" "d['verified'] is False and d['status']=='$status' and any(c['id']=='$id' and c['result']=='fail' for c in d['checks'])"
  check "misbehave $mode, checklist" 1 verify "$mode" --timeout 1500
  grep -q "^Verdict:     NOT VERIFIED — $id:" "$T/out" && ok || { bad "misbehave $mode: verdict line"; tail -3 "$T/out"; }
  [ "$(app_requests "$mode")" = 0 ] && ok || bad "misbehave $mode: application requests reached the server"
done <<'MODES'
wrong-compose app_compose compose_hash
stale-quote nonce nonce_mismatch
cert-not-in-log cert.binding cert_binding
debug-td td.attributes td_debug
out-of-date tdx.tcb tcb_status_rejected
slow attestation.request timeout
oversized attestation.request too_large
MODES

# a rotating server still verifies, every time with its current certificate
start_sim rotate --misbehave rotate-cert
check "rotating server 1" 0 verify rotate
check "rotating server 2" 0 verify rotate

# usage errors
check "no URL" 2 "$RATLS" verify
check "http URL" 2 "$RATLS" verify http://127.0.0.1:1
check "URL with a path" 2 "$RATLS" verify https://127.0.0.1:1/v1/models
check "unreadable policy" 2 "$RATLS" verify https://127.0.0.1:1 --policy "$T/nope.json"
check "nothing listening" 1 "$RATLS" verify https://127.0.0.1:1 --no-disk-cache --json
json_has "transport failure named" "d['status']=='network' and d['checks'][0]['id']=='transport' and d['checks'][0]['result']=='fail'"

echo "verify: $pass passed, $fail failed"
[ "$fail" = 0 ]
