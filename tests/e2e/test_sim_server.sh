#!/usr/bin/env bash
# The simulated dstack TEE server (`ratls sim`) end to end, with curl, openssl
# s_client and Python as independent clients: the honest server's evidence
# verifies through its own PCCS routes; each misbehaviour fails the check it
# targets; the HTTP/1.1 contract (keep-alive, caps, SSE) and the control
# routes hold. Servers read a FIFO on stdin and stop when it is closed.
set -u
RATLS="$1"
PY=/usr/bin/python3
T=$(mktemp -d)
declare -A PORT PID FD
pass=0
fail=0

cleanup() {
  for n in "${!FD[@]}"; do eval "exec ${FD[$n]}>&-"; done
  for n in "${!PID[@]}"; do kill "${PID[$n]}" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() { # name [file to show]
  fail=$((fail + 1))
  echo "FAIL: $1"
  [ -n "${2:-}" ] && head -c 3000 "$2" && echo
}
expect() { # name cond-exit-status [file]
  if [ "$2" = 0 ]; then ok; else bad "$1" "${3:-}"; fi
}
json_has() { # name file python-expression (d = the parsed file)
  if "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" "$2" 2>/dev/null; then
    ok
  else
    bad "$1" "$2"
  fi
}
sha256_file() { sha256sum "$1" | cut -d' ' -f1; }

# In children: drop the write ends of the servers' stdin FIFOs, or a server
# would not see EOF while a child lives.
close_fds() { for f in "${FD[@]}"; do eval "exec $f>&-"; done; }

# start_sim NAME [ratls sim options...]: PORT[NAME], PID[NAME], FD[NAME]
start_sim() {
  local n="$1" fd
  shift
  mkfifo "$T/$n.in"
  (
    close_fds
    exec "$RATLS" sim --port 0 --state-dir "$T/$n" --exit-on-stdin-eof "$@" <"$T/$n.in" >"$T/$n.out" 2>"$T/$n.err"
  ) &
  PID[$n]=$!
  exec {fd}>"$T/$n.in"
  FD[$n]=$fd
  for _ in $(seq 200); do
    grep -q "listening" "$T/$n.out" && break
    sleep 0.05
  done
  PORT[$n]=$(sed -n 's|^ratls sim: listening on https://127.0.0.1:\([0-9]*\)$|\1|p' "$T/$n.out")
  [ -n "${PORT[$n]}" ] || { bad "sim $n did not start"; cat "$T/$n.err"; exit 1; }
}

# stop_sim NAME [SIGNAL]: close its stdin (or send SIGNAL); it must exit 0 within a few seconds
stop_sim() {
  local n="$1" rc
  [ -n "${2:-}" ] && kill -s "$2" "${PID[$n]}"
  eval "exec ${FD[$n]}>&-"
  unset "FD[$n]"
  for _ in $(seq 100); do kill -0 "${PID[$n]}" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "${PID[$n]}" 2>/dev/null; then
    bad "sim $n still running 5 s after stdin closed"
    kill "${PID[$n]}"
  fi
  wait "${PID[$n]}"
  rc=$?
  unset "PID[$n]"
  expect "sim $n exits 0 (got $rc)" "$([ "$rc" = 0 ] && echo 0 || echo 1)" "$T/$n.err"
}

url() { echo "https://127.0.0.1:${PORT[$1]}$2"; }
# quote NAME BODY OUT: prints the HTTP status
quote() {
  curl -sk -o "$3" -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$2" "$(url "$1" /tdx_quote)"
}
# server_cert NAME OUT.der: the certificate a new connection gets
server_cert() {
  openssl s_client -connect "127.0.0.1:${PORT[$1]}" -servername localhost </dev/null 2>/dev/null |
    openssl x509 -outform DER -out "$2" 2>/dev/null
}
# verify NAME RESPONSE CERT NONCE OUT.json [extra options]: evidence verify's exit status
verify() {
  local n="$1" resp="$2" cert="$3" nonce="$4" out="$5"
  shift 5
  "$RATLS" evidence verify "$resp" --cert "$cert" --nonce "$nonce" --policy "$T/$n/policy.json" \
    --pccs-url "$(url "$n" "")" --pccs-no-tls-verify --no-disk-cache --quiet --json "$@" >"$out" 2>"$out.err"
}
failed_checks() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print(','.join(c['id'] for c in d['checks'] if c['result']!='pass'))" "$1"; }
simstat() { curl -sk "$(url "$1" /__sim/stats)" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

# ===================== the honest server =====================
start_sim h
H="$T/h"
for f in root.pem policy.json cert.pem collateral.json; do
  [ -s "$H/$f" ] && ok || bad "state file $f"
done
[ "$(stat -c %a "$H")" = 700 ] && ok || bad "state dir mode $(stat -c %a "$H")"
json_has "policy.json names the measurements" "$H/policy.json" \
  "d['version']==1 and d['tcb']['allowed_statuses']==['UpToDate'] and set(d['bootchain'])=={'mrtd','rtmr0','rtmr1','rtmr2'} and len(d['os_image_hash'])==64 and d['app_compose']['name']=='ratls-sim' and d['key_provider']['name']=='kms'"

server_cert h "$T/h.der"
openssl x509 -in "$H/cert.pem" -outform DER -out "$T/h.file.der"
cmp -s "$T/h.der" "$T/h.file.der" && ok || bad "cert.pem is the served certificate"
openssl x509 -inform DER -in "$T/h.der" -noout -text >"$T/h.cert.txt"
grep -q "DNS:localhost, IP Address:127.0.0.1" "$T/h.cert.txt" && grep -q "Subject: .*CN = localhost" "$T/h.cert.txt" &&
  grep -q "ASN1 OID: prime256v1" "$T/h.cert.txt" && ok || bad "certificate CN, SAN, key" "$T/h.cert.txt"
[ "$(simstat h tls_cert_sha256)" = "$(sha256_file "$T/h.der")" ] && ok || bad "stats tls_cert_sha256"
[ "$(simstat h misbehave)" = "None" ] && ok || bad "stats misbehave null"
for v in tls1_2 tls1_3; do
  openssl s_client -connect "127.0.0.1:${PORT[h]}" -"$v" </dev/null >/dev/null 2>&1 && ok || bad "TLS $v handshake"
done

NONCE=$(openssl rand -hex 64)
st=$(quote h "{\"report_data_hex\": \"$NONCE\"}" "$T/h.resp")
[ "$st" = 200 ] && ok || bad "honest /tdx_quote: HTTP $st" "$T/h.resp"
json_has "dstack response shape" "$T/h.resp" "
d['success'] is True and d['error'] is None and d['quote_type']=='tdx' and d['timestamp'].isdigit() and
set(d['quote'])=={'quote','event_log','report_data','vm_config'} and d['quote']['report_data']=='$NONCE' and
isinstance(json.loads(d['quote']['event_log']), list) and json.loads(d['quote']['vm_config'])['os_image_hash']==d['tcb_info']['os_image_hash'] and
set(d['tcb_info'])=={'mrtd','rtmr0','rtmr1','rtmr2','rtmr3','app_compose','event_log','mr_aggregated','os_image_hash','compose_hash','device_id'} and
json.loads(d['tcb_info']['app_compose'])['manifest_version']==2 and d['tcb_info']['event_log']==json.loads(d['quote']['event_log']) and
[e['event'] for e in d['tcb_info']['event_log'] if e['imr']==3]==['system-preparing','app-id','compose-hash','instance-id','boot-mr-done','os-image-hash','key-provider','system-ready','New TLS Certificate'] and
all(e['event_type']==0x08000001 for e in d['tcb_info']['event_log'] if e['imr']==3) and
bytes.fromhex(d['tcb_info']['event_log'][-1]['event_payload']).decode()=='$(sha256_file "$T/h.der")'"
verify h "$T/h.resp" "$T/h.der" "$NONCE" "$T/h.v.json" --insecure-test-root "$H/root.pem"
expect "honest evidence verifies" $? "$T/h.v.json"
json_has "every check passes, none skipped" "$T/h.v.json" \
  "d['verified'] is True and all(c['result']=='pass' for c in d['checks']) and {'nonce','eventlog.replay','cert.binding','bootchain','os_image','app_compose','key_provider','tdx.tcb','td.attributes'} <= {c['id'] for c in d['checks']}"
verify h "$T/h.resp" "$T/h.der" "$NONCE" "$T/h.v2.json"
[ $? = 1 ] && ok || bad "without --insecure-test-root: exit 1" "$T/h.v2.json"
json_has "without the test root: untrusted_root" "$T/h.v2.json" "d['verified'] is False and d['status']=='untrusted_root'"
# the quote is fresh: another challenge, another REPORTDATA
N2=$(openssl rand -hex 32)
quote h "{\"report_data_hex\": \"$N2\"}" "$T/h.resp2" >/dev/null
verify h "$T/h.resp2" "$T/h.der" "$N2" "$T/h.v3.json" --insecure-test-root "$H/root.pem"
expect "a second, shorter challenge verifies" $? "$T/h.v3.json"

# request forms and errors, as dstack answers them
st=$(quote h '{"report_data": "hello"}' "$T/r.json")
json_has "report_data string form" "$T/r.json" "'$st'=='200' and d['quote']['report_data']=='68656c6c6f'+'00'*59"
st=$(quote h "{\"report_data_hex\": \"00\", \"report_data\": \"x\"}" "$T/r.json")
json_has "both fields: 500 detail" "$T/r.json" "'$st'=='500' and d['detail']['success'] is False and d['detail']['quote_type']=='tdx' and d['detail']['error']"
st=$(quote h '{}' "$T/r.json")
json_has "neither field: 500" "$T/r.json" "'$st'=='500' and d['detail']['success'] is False"
st=$(quote h "{\"report_data_hex\": \"$NONCE$NONCE\"}" "$T/r.json")
json_has "over 64 bytes: 500" "$T/r.json" "'$st'=='500' and d['detail']['success'] is False"
st=$(quote h 'not json' "$T/r.json")
json_has "not JSON: 422" "$T/r.json" "'$st'=='422' and isinstance(d['detail'], list)"

# the OpenAI-compatible echo API
curl -sk "$(url h /v1/models)" -o "$T/m.json"
json_has "/v1/models" "$T/m.json" "d=={'object':'list','data':[{'id':'ratls-sim-echo','object':'model','created':0,'owned_by':'ratls'}]}"
CHAT='{"model":"ratls-sim-echo","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"héllo attested world, say it back"}]}'
curl -sk "$(url h /v1/chat/completions)" -H 'Content-Type: application/json' --data-binary "$CHAT" -o "$T/c.json"
json_has "chat completion echoes" "$T/c.json" \
  "d['object']=='chat.completion' and d['choices'][0]['message']=={'role':'assistant','content':'héllo attested world, say it back'} and d['choices'][0]['finish_reason']=='stop'"
STREAM=$(echo "$CHAT" | sed 's/}$/,"stream":true}/')
curl -sk -N -D "$T/s.head" "$(url h /v1/chat/completions)" -H 'Content-Type: application/json' --data-binary "$STREAM" -o "$T/s.txt"
grep -qi "^content-type: text/event-stream" "$T/s.head" && ok || bad "SSE content type" "$T/s.head"
"$PY" - "$T/s.txt" <<'EOF' && ok || bad "SSE chunks" "$T/s.txt"
import json, sys
events = [e for e in open(sys.argv[1], encoding="utf-8").read().split("\n\n") if e]
assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
chunks = [json.loads(e[6:]) for e in events[:-1]]
assert all(c["object"] == "chat.completion.chunk" for c in chunks)
text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
assert text == "héllo attested world, say it back", text
assert len(chunks) >= 4 and chunks[-1]["choices"][0]["finish_reason"] == "stop"
EOF
[ "$(simstat h app_requests)" = 3 ] && ok || bad "app_requests = 3 (got $(simstat h app_requests))"
[ "$(simstat h quote_requests)" = 7 ] && ok || bad "quote_requests = 7 (got $(simstat h quote_requests))"
[ "$(simstat h collateral_requests)" -ge 4 ] && ok || bad "collateral_requests >= 4"

# keep-alive: two requests, one connection (the stats request makes the second)
c0=$(simstat h connections)
nc=$(curl -sk -o /dev/null -o /dev/null -w '%{num_connects} ' "$(url h /v1/models)" "$(url h /v1/models)")
c1=$(simstat h connections)
[ "$nc" = "1 0 " ] && [ $((c1 - c0)) = 2 ] && ok || bad "keep-alive: num_connects '$nc', connections +$((c1 - c0))"
[ "$(simstat h app_requests)" = 5 ] && ok || bad "app_requests = 5 after keep-alive"
# the dstack client's way: POST /tdx_quote, then the application, on one TLS connection
"$PY" - "${PORT[h]}" <<'EOF' && ok || bad "quote then application request on one connection (Python http.client)"
import hashlib, http.client, json, os, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx)
nonce = os.urandom(64).hex()
conn.request("POST", "/tdx_quote", body=json.dumps({"report_data_hex": nonce}), headers={"Content-Type": "application/json"})
r = conn.getresponse()
q = json.loads(r.read())
assert r.status == 200 and r.getheader("Connection") == "keep-alive" and q["quote"]["report_data"] == nonce
sock = conn.sock
cert = hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
assert bytes.fromhex(q["tcb_info"]["event_log"][-1]["event_payload"]).decode() == cert
conn.request("GET", "/v1/models")
r = conn.getresponse()
assert r.status == 200 and json.loads(r.read())["data"][0]["id"] == "ratls-sim-echo"
assert conn.sock is sock  # the same TLS connection
EOF

# malformed and over-cap requests
out=$(printf 'NOT A REQUEST\r\n\r\n' | openssl s_client -quiet -connect "127.0.0.1:${PORT[h]}" 2>/dev/null | head -1)
[[ "$out" == "HTTP/1.1 400 "* ]] && ok || bad "malformed request: 400 (got '$out')"
st=$(curl -sk -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' --data-binary '{}' "$(url h /tdx_quote)")
[ "$st" = 411 ] && ok || bad "chunked request: 411 (got $st)"
head -c 1100000 /dev/zero | tr '\0' a >"$T/bigbody"
st=$(curl -sk -o /dev/null -w '%{http_code}' --data-binary @"$T/bigbody" "$(url h /v1/chat/completions)")
[ "$st" = 413 ] && ok || bad "body over 1 MiB: 413 (got $st)"
st=$(curl -sk -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' b)" "$(url h /v1/models)")
[ "$st" = 431 ] && ok || bad "headers over 16 KiB: 431 (got $st)"
curl -sk -o /dev/null "$(url h /v1/models)" && ok || bad "still serving after bad requests"

# rotation: new connections get a new certificate, logged last
old=$(sha256_file "$T/h.der")
curl -sk -X POST "$(url h /__sim/rotate)" -o "$T/rot.json"
server_cert h "$T/h.new.der"
new=$(sha256_file "$T/h.new.der")
json_has "rotate returns the new hash" "$T/rot.json" "d['tls_cert_sha256']=='$new' and '$new'!='$old'"
openssl x509 -in "$H/cert.pem" -outform DER -out "$T/h.file2.der"
cmp -s "$T/h.new.der" "$T/h.file2.der" && ok || bad "cert.pem rewritten on rotation"
N3=$(openssl rand -hex 64)
quote h "{\"report_data_hex\": \"$N3\"}" "$T/h.resp3" >/dev/null
verify h "$T/h.resp3" "$T/h.new.der" "$N3" "$T/h.v4.json" --insecure-test-root "$H/root.pem"
expect "after rotation the new certificate binds" $? "$T/h.v4.json"
verify h "$T/h.resp3" "$T/h.der" "$N3" "$T/h.v5.json" --insecure-test-root "$H/root.pem"
[ "$(failed_checks "$T/h.v5.json")" = cert.binding ] && ok || bad "after rotation the old certificate fails cert.binding" "$T/h.v5.json"
# a client still connected when the server stops is disconnected, and nothing leaks
(
  close_fds
  exec "$PY" -c "import socket,ssl,sys; c=ssl._create_unverified_context(); s=c.wrap_socket(socket.create_connection(('127.0.0.1',int(sys.argv[1])))); s.settimeout(20); s.recv(1)" "${PORT[h]}"
) 2>/dev/null &
sleep 0.3
stop_sim h
wait $!

# ===================== misbehaviours that a verifier must catch =====================
for m in wrong-compose:app_compose stale-quote:nonce cert-not-in-log:cert.binding debug-td:td.attributes out-of-date:tdx.tcb; do
  mode=${m%%:*}
  want=${m#*:}
  start_sim "$mode" --misbehave "$mode"
  [ "$(simstat "$mode" misbehave)" = "$mode" ] && ok || bad "$mode: stats misbehave"
  n=$(openssl rand -hex 64)
  quote "$mode" "{\"report_data_hex\": \"$n\"}" "$T/$mode.resp" >/dev/null
  server_cert "$mode" "$T/$mode.der"
  verify "$mode" "$T/$mode.resp" "$T/$mode.der" "$n" "$T/$mode.v.json" --insecure-test-root "$T/$mode/root.pem"
  rc=$?
  got=$(failed_checks "$T/$mode.v.json" 2>/dev/null)
  [ "$rc" = 1 ] && [ "$got" = "$want" ] && ok || bad "$mode: exit $rc, failing checks '$got', expected '$want'" "$T/$mode.v.json"
  stop_sim "$mode"
done

# rotate-cert: each quote answer rotates; a client that reconnects re-attests and passes
start_sim rot --misbehave rotate-cert
server_cert rot "$T/rot.a.der"
n=$(openssl rand -hex 64)
quote rot "{\"report_data_hex\": \"$n\"}" "$T/rot.resp1" >/dev/null
verify rot "$T/rot.resp1" "$T/rot.a.der" "$n" "$T/rot.v1.json" --insecure-test-root "$T/rot/root.pem"
expect "rotate-cert: the first answer binds the certificate of its connection" $? "$T/rot.v1.json"
server_cert rot "$T/rot.b.der"
cmp -s "$T/rot.a.der" "$T/rot.b.der" && bad "rotate-cert: the certificate did not change" || ok
n=$(openssl rand -hex 64)
quote rot "{\"report_data_hex\": \"$n\"}" "$T/rot.resp2" >/dev/null
verify rot "$T/rot.resp2" "$T/rot.a.der" "$n" "$T/rot.v2.json" --insecure-test-root "$T/rot/root.pem"
[ $? = 1 ] && [ "$(failed_checks "$T/rot.v2.json")" = cert.binding ] && ok || bad "rotate-cert: the old certificate no longer binds" "$T/rot.v2.json"
verify rot "$T/rot.resp2" "$T/rot.b.der" "$n" "$T/rot.v3.json" --insecure-test-root "$T/rot/root.pem"
expect "rotate-cert: the reconnecting client's certificate binds" $? "$T/rot.v3.json"
[ "$(simstat rot tls_cert_sha256)" = "$(openssl x509 -in "$T/rot/cert.pem" -outform DER | sha256sum | cut -d' ' -f1)" ] && ok ||
  bad "rotate-cert: stats and cert.pem agree"
stop_sim rot

# slow: the quote answer is late, the rest of the server is not; the server still stops at once
start_sim slow --misbehave slow
t0=$(date +%s)
curl -sk --max-time 2 -o /dev/null -H 'Content-Type: application/json' --data-binary '{"report_data": "x"}' "$(url slow /tdx_quote)"
rc=$?
[ "$rc" = 28 ] && ok || bad "slow: curl --max-time 2 times out (curl exit $rc)"
curl -sk --max-time 2 -o /dev/null "$(url slow /v1/models)" && ok || bad "slow: other requests are served meanwhile"
(
  close_fds
  exec curl -sk --max-time 60 -o /dev/null -H 'Content-Type: application/json' --data-binary '{"report_data": "x"}' "$(url slow /tdx_quote)"
) &
cpid=$!
sleep 0.3
stop_sim slow
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
[ $(($(date +%s) - t0)) -lt 15 ] && ok || bad "slow: the server stopped without waiting out the delay"

# oversized: a 64 MiB answer; a capped client gives up, the server carries on
start_sim big --misbehave oversized
curl -sk --max-filesize 1000000 -o /dev/null -H 'Content-Type: application/json' --data-binary '{"report_data": "x"}' "$(url big /tdx_quote)"
rc=$?
[ "$rc" = 63 ] && ok || bad "oversized: curl --max-filesize fails (curl exit $rc)"
start=$(curl -sk --max-time 10 -H 'Content-Type: application/json' --data-binary '{"report_data": "x"}' "$(url big /tdx_quote)" 2>/dev/null | head -c 26)
[ "$start" = '{"success": true, "pad": "' ] && ok || bad "oversized: valid JSON start (got '$start')"
[ "$(simstat big quote_requests)" -ge 1 ] && ok || bad "oversized: still serving"
stop_sim big TERM

echo "sim server: $pass passed, $fail failed"
[ "$fail" = 0 ]
