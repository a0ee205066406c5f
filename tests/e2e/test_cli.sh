#!/usr/bin/env bash
# CLI contract: exit codes (0 verified, 1 rejected, 2 usage/unreadable), the
# JSON shape of `quote verify --json`, hex and binary quote input.
set -u
RATLS="$1"
VEC="${2:-}"
. "$(dirname "$0")/lib.sh"

# --- simulated evidence (always runs) ---
NOW=1760000000
check "sim generate" 0 "$RATLS" sim generate --out "$T/sim" --at $NOW
check "sim verify" 0 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --at $NOW --insecure-test-root "$T/sim/root.pem"
grep -q "Verdict:     VERIFIED" "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: checklist verdict line"; }
check "sim verify json" 0 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --at $NOW --insecure-test-root "$T/sim/root.pem" --json
cp "$T/out" "$T/ok.json"
json_has "json shape" "$T/ok.json" "d['verified'] is True and d['tcb_status']=='UpToDate' and d['advisory_ids']==[] and d['error'] is None and all(set(c)>={'id','result','detail'} for c in d['checks']) and len(d['checks'])>=15"
check "sim without test root" 1 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --at $NOW --json
json_has "untrusted root error" "$T/out" "d['verified'] is False and 'not the pinned Intel SGX Root CA' in d['error']"
check "sim expired" 1 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --at $((NOW + 90 * 86400)) --insecure-test-root "$T/sim/root.pem"
check "hex quote" 0 bash -c "xxd -p '$T/sim/quote.bin' | sed '1s/^/0x/' > '$T/q.hex' && '$RATLS' quote verify '$T/q.hex' --collateral '$T/sim/collateral.json' --at $NOW --insecure-test-root '$T/sim/root.pem'"
check "quote show" 0 "$RATLS" quote show "$T/sim/quote.bin"
check "quote show json" 0 "$RATLS" quote show "$T/sim/quote.bin" --json
json_has "show json" "$T/out" "d['header']['version']==4 and len(d['signature_data']['pck_chain'])==3"
for sc in debug-td out-of-date revoked-pck expired-tcb-info; do
  check "sim $sc generate" 0 "$RATLS" sim generate --out "$T/$sc" --scenario $sc --at $NOW
  check "sim $sc rejected" 1 "$RATLS" quote verify "$T/$sc/quote.bin" --collateral "$T/$sc/collateral.json" --at $NOW --insecure-test-root "$T/$sc/root.pem" --json
done
check "out-of-date rejected" 1 "$RATLS" quote verify "$T/out-of-date/quote.bin" --collateral "$T/out-of-date/collateral.json" --at $NOW --insecure-test-root "$T/out-of-date/root.pem" --json
json_has "tcb_status present on rejection" "$T/out" "d['tcb_status']=='OutOfDate' and d['verified'] is False and 'tdx.tcb' in d['error']"
check "out-of-date accepted with --allow-status" 0 "$RATLS" quote verify "$T/out-of-date/quote.bin" --collateral "$T/out-of-date/collateral.json" --at $NOW --insecure-test-root "$T/out-of-date/root.pem" --allow-status OutOfDate --json
json_has "allow-status result" "$T/out" "d['tcb_status']=='OutOfDate' and d['verified'] is True"
check "min tcb evaluation number met" 0 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --at $NOW --insecure-test-root "$T/sim/root.pem" --min-tcb-evaluation-number 17 --json
json_has "eval number in json" "$T/out" "d['tcb_evaluation_data_number']==17"
check "min tcb evaluation number not met" 1 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --at $NOW --insecure-test-root "$T/sim/root.pem" --min-tcb-evaluation-number 18 --json
json_has "eval number rejection" "$T/out" "d['status']=='tcb_evaluation_number' and d['tcb_status']=='UpToDate'"
check "debug accepted with insecure switch" 0 "$RATLS" quote verify "$T/debug-td/quote.bin" --collateral "$T/debug-td/collateral.json" --at $NOW --insecure-test-root "$T/debug-td/root.pem" --allow-debug-insecure
check "td15 generate" 0 "$RATLS" sim generate --out "$T/td15" --scenario td15 --at $NOW
check "td15 verify" 0 "$RATLS" quote verify "$T/td15/quote.bin" --collateral "$T/td15/collateral.json" --at $NOW --insecure-test-root "$T/td15/root.pem"

# --- event log (our own synthetic log; its RTMRs are not the quote's) ---
check "eventlog replay synthetic" 1 "$RATLS" eventlog replay "$(dirname "$0")/../fuzz/corpus/dstack_response/full"
check "eventlog replay array" 0 "$RATLS" eventlog replay "$(dirname "$0")/../fuzz/corpus/dstack_response/eventlog_array" --json
json_has "eventlog array json" "$T/out" "len(d['rtmr'])==4 and d['events'][-1]['event']=='custom-v2'"
check "eventlog usage" 2 "$RATLS" eventlog
check "evidence usage" 2 "$RATLS" evidence verify
check "policy init values" 0 "$RATLS" policy init --os-image-hash 0000000000000000000000000000000000000000000000000000000000000000 --allow-status UpToDate,OutOfDate --require-all-checks -o "$T/p.json"
json_has "policy init values content" "$T/p.json" "d['tcb']['allowed_statuses']==['UpToDate','OutOfDate'] and d['require_all_checks'] is True"
check "policy init rejects bad values" 2 "$RATLS" policy init --mrtd 00 --rtmr0 00 --rtmr1 00 --rtmr2 00
check "policy init rejects unknown status" 2 "$RATLS" policy init --allow-status Fine
echo '[{"imr":2,"event_type":134217729,"digest":"","event":"x","event_payload":""}]' >"$T/badlog.json"
check "eventlog misplaced runtime event" 1 "$RATLS" eventlog replay "$T/badlog.json"

# --- app compose hash (value computed independently with Python's json.dumps, see test_compose.c) ---
printf '%s' '{"runner":"docker-compose","name":"x","dropped":null}' >"$T/compose.json"
check "compose-hash" 0 "$RATLS" compose-hash "$T/compose.json"
want=$(printf '%s' '{"name":"x","runner":"docker-compose"}' | sha256sum | cut -d' ' -f1)
grep -q "^$want\$" "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: compose-hash value"; cat "$T/out"; }
printf '%s' '{"name":"x"}' >"$T/compose-bad.json"
check "compose-hash without runner" 1 "$RATLS" compose-hash "$T/compose-bad.json"
check "compose-hash usage" 2 "$RATLS" compose-hash

# --- usage errors and unreadable input: exit 2 ---
check "no args" 2 "$RATLS"
check "unknown command" 2 "$RATLS" frobnicate
# without --collateral it fetches; offline with an empty cache there is nothing to verify against
check "no collateral, offline" 1 "$RATLS" quote verify "$T/sim/quote.bin" --offline --cache-dir "$T/empty-cache" --at $NOW --insecure-test-root "$T/sim/root.pem"
grep -q "offline: no cached TCB Info" "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: offline message"; cat "$T/out"; }
check "bad --pccs-url" 2 "$RATLS" quote verify "$T/sim/quote.bin" --pccs-url "ftp://x"
check "collateral fetch usage" 2 "$RATLS" collateral fetch
check "missing file" 2 "$RATLS" quote verify "$T/nope" --collateral "$T/sim/collateral.json"
check "bad --at" 2 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --at yesterday
check "bad status" 2 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/sim/collateral.json" --allow-status Fine
: >"$T/empty"
check "empty quote file" 2 "$RATLS" quote verify "$T/empty" --collateral "$T/sim/collateral.json"
echo "this is not hex" >"$T/junk"
check "junk quote (not a quote: rejected)" 1 "$RATLS" quote verify "$T/junk" --collateral "$T/sim/collateral.json" --json
json_has "junk quote error" "$T/out" "d['verified'] is False and d['status']=='quote_truncated'"
# malformed but readable: not verified (1)
echo '{"tcb_info": 5}' >"$T/badcoll.json"
check "malformed collateral" 1 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/badcoll.json" --json
json_has "malformed collateral json" "$T/out" "d['verified'] is False and d['error']"
head -c 100 "$T/sim/quote.bin" >"$T/short.bin"
check "truncated quote" 1 "$RATLS" quote verify "$T/short.bin" --collateral "$T/sim/collateral.json" --at $NOW --insecure-test-root "$T/sim/root.pem" --json
json_has "truncated quote json" "$T/out" "d['verified'] is False and d['status']=='quote_truncated'"

# --- collateral fetched from a loopback PCCS stand-in ---
exec 7> >(/usr/bin/python3 "$(dirname "$0")/../collateral/pcs_standin.py" --bundle "$T/sim/collateral.json" >"$T/standin.port")
for _ in $(seq 50); do grep -q PORT "$T/standin.port" 2>/dev/null && break; sleep 0.1; done
PCCS="http://127.0.0.1:$(awk '/PORT/{print $2}' "$T/standin.port")"
check "collateral fetch" 0 "$RATLS" collateral fetch "$T/sim/quote.bin" --pccs-url "$PCCS" --at $NOW --insecure-test-root "$T/sim/root.pem" --no-disk-cache -o "$T/fetched.json"
grep -q "fetching TCB Info for FMSPC" "$T/err" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: progress line"; cat "$T/err"; }
json_has "fetched = served" "$T/fetched.json" "d == {k: v for k, v in json.load(open('$T/sim/collateral.json')).items() if k in d}"
check "collateral fetch stdout, quiet" 0 "$RATLS" collateral fetch "$T/sim/quote.bin" --pccs-url "$PCCS" --at $NOW --insecure-test-root "$T/sim/root.pem" --no-disk-cache --quiet
[ ! -s "$T/err" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: --quiet printed"; cat "$T/err"; }
json_has "fetch stdout json" "$T/out" "d['tcb_info'] == json.load(open('$T/sim/collateral.json'))['tcb_info']"
check "fetched collateral verifies" 0 "$RATLS" quote verify "$T/sim/quote.bin" --collateral "$T/fetched.json" --at $NOW --insecure-test-root "$T/sim/root.pem"
check "verify through PCCS" 0 "$RATLS" quote verify "$T/sim/quote.bin" --pccs-url "$PCCS" --cache-dir "$T/cache" --at $NOW --insecure-test-root "$T/sim/root.pem" --json
json_has "verify through PCCS json" "$T/out" "d['verified'] and [c['result'] for c in d['checks'] if c['id']=='tdx.collateral.source']==['pass']"
[ "$(ls "$T/cache" | wc -l)" = 4 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: disk cache files"; ls -la "$T/cache"; }
check "verify offline from disk cache" 0 "$RATLS" quote verify "$T/sim/quote.bin" --offline --cache-dir "$T/cache" --at $NOW --insecure-test-root "$T/sim/root.pem"
check "offline, cache at a later time: expired" 1 "$RATLS" quote verify "$T/sim/quote.bin" --offline --cache-dir "$T/cache" --at $((NOW + 60 * 86400)) --insecure-test-root "$T/sim/root.pem" --json
json_has "expired cache not used" "$T/out" "not d['verified'] and d['status']=='collateral_unavailable'"
check "expired cache with grace" 0 "$RATLS" quote verify "$T/sim/quote.bin" --offline --cache-dir "$T/cache" --at $((NOW + 31 * 86400)) --insecure-test-root "$T/sim/root.pem" --collateral-grace-insecure $((2 * 86400)) --json
json_has "grace says EXPIRED" "$T/out" "d['verified'] and 'EXPIRED' in [c['detail'] for c in d['checks'] if c['id']=='tdx.collateral.tcb_info'][0]"
check "pinned root refuses test-root collateral" 1 "$RATLS" quote verify "$T/sim/quote.bin" --pccs-url "$PCCS" --no-disk-cache --at $NOW --json
json_has "untrusted root named" "$T/out" "d['status']=='untrusted_root'"
curl -s "$PCCS/__fault?route=tcb&mode=500&count=0" >/dev/null
check "PCCS failing, no cache" 1 "$RATLS" quote verify "$T/sim/quote.bin" --pccs-url "$PCCS" --no-disk-cache --at $NOW --insecure-test-root "$T/sim/root.pem" --fetch-timeout 2000 --json
json_has "HTTP 500 named" "$T/out" "d['status']=='http_status' and 'HTTP 500' in d['error'] and '/tdx/certification/v4/tcb' in d['error']"
check "PCCS failing, disk cache valid" 0 "$RATLS" quote verify "$T/sim/quote.bin" --pccs-url "$PCCS" --cache-dir "$T/cache" --at $NOW --insecure-test-root "$T/sim/root.pem"
exec 7>&-

# --- real vectors (skipped when ../shared is absent) ---
if [ -n "$VEC" ] && [ -d "$VEC/tdx" ]; then
  check "real uptodate" 0 "$RATLS" quote verify "$VEC/tdx/dcap-qvl/tdx_quote" --collateral "$VEC/tdx/dcap-qvl/tdx_quote_collateral.json" --at 1752919234 --json
  json_has "real json" "$T/out" "d['verified'] and d['tcb_status']=='UpToDate'"
  check "real hex 0x" 1 "$RATLS" quote verify "$VEC/tdx/dcap-qvl/tdx-quote.hex" --collateral "$VEC/tdx/dcap-qvl/tdx_quote_collateral.json" --at 1751328000 --json
  json_has "real not supported" "$T/out" "d['tcb_status']=='TCB_NOT_SUPPORTED' and not d['verified']"
  check "real outdated allowed still unsupported" 1 "$RATLS" quote verify "$VEC/tdx/dcap-qvl/tdx_quote_outdated" --collateral "$VEC/tdx/dcap-qvl/tdx_quote_outdated_collateral.json" --at 1772400000 --allow-status OutOfDate
  check "eventlog replay matches quote" 0 "$RATLS" eventlog replay "$VEC/tdx/dstack/quote-report.json"
  grep -q "RTMR3 .*matches the quote" "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: eventlog replay RTMR3 line"; }
  check "eventlog replay lite json" 0 "$RATLS" eventlog replay "$VEC/tdx/dstack/tdx-lite-getquote.json" --json
  json_has "eventlog json" "$T/out" "d['matches_quote']==[True]*4 and len(d['events'])==29"
  # dstack evidence: the real triple under an empty policy; no certificate event, so cert.binding fails
  echo '{}' >"$T/empty-policy.json"
  printf '\x30\x03\x02\x01\x05' >"$T/cert.der"
  check "evidence verify real" 1 "$RATLS" evidence verify "$VEC/tdx/dstack/quote-report.json" --cert "$T/cert.der" --nonce 1234 --policy "$T/empty-policy.json" --collateral "$VEC/seeds/secureai/main-d73b2d0/collateral.json" --at 1764028800 --json
  json_has "evidence json" "$T/out" "d['verified'] is False and d['status']=='cert_binding' and [c['result'] for c in d['checks'] if c['id'] in ('tdx.quote','nonce','eventlog.replay','cert.binding','bootchain')]==['pass','pass','pass','fail','skip']"
  check "evidence verify text" 1 "$RATLS" evidence verify "$VEC/tdx/dstack/quote-report.json" --cert "$T/cert.der" --nonce 1234 --policy "$T/empty-policy.json" --collateral "$VEC/seeds/secureai/main-d73b2d0/collateral.json" --at 1764028800
  grep -q "^Skipped:     bootchain, os_image, app_compose, key_provider" "$T/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: skipped line"; cat "$T/out"; }
  check "policy init from response" 0 "$RATLS" policy init --from-response "$VEC/tdx/dstack/quote-report.json" -o "$T/tofu.json"
  json_has "policy init content" "$T/tofu.json" "d['version']==1 and len(d['bootchain']['mrtd'])==96 and d['key_provider']['name']=='local-sgx' and len(d['app_compose_hash'])==64"
  check "evidence verify with captured policy" 1 "$RATLS" evidence verify "$VEC/tdx/dstack/quote-report.json" --cert "$T/cert.der" --nonce 1234 --policy "$T/tofu.json" --collateral "$VEC/seeds/secureai/main-d73b2d0/collateral.json" --at 1764028800 --json
  json_has "captured policy checks" "$T/out" "[c['result'] for c in d['checks'] if c['id'] in ('bootchain','app_compose','key_provider','cert.binding')]==['fail','pass','pass','pass']"
  # dstack evidence with its collateral fetched from a stand-in serving the seed's bundle (pinned Intel root)
  exec 8> >(/usr/bin/python3 "$(dirname "$0")/../collateral/pcs_standin.py" --bundle "$VEC/seeds/secureai/main-d73b2d0/collateral.json" >"$T/standin2.port")
  for _ in $(seq 50); do grep -q PORT "$T/standin2.port" 2>/dev/null && break; sleep 0.1; done
  PCCS2="http://127.0.0.1:$(awk '/PORT/{print $2}' "$T/standin2.port")"
  check "evidence verify, collateral fetched" 1 "$RATLS" evidence verify "$VEC/tdx/dstack/quote-report.json" --cert "$T/cert.der" --nonce 1234 --policy "$T/tofu.json" --pccs-url "$PCCS2" --no-disk-cache --at 1764028800 --json
  json_has "fetched: same checks as given" "$T/out" "[c['result'] for c in d['checks'] if c['id'] in ('tdx.collateral.source','tdx.quote','bootchain','app_compose','key_provider','cert.binding')]==['pass','pass','fail','pass','pass','pass']"
  exec 8>&-
  echo '{"colour":1}' >"$T/bad-policy.json"
  check "evidence bad policy" 2 "$RATLS" evidence verify "$VEC/tdx/dstack/quote-report.json" --cert "$T/cert.der" --nonce 1234 --policy "$T/bad-policy.json" --collateral "$VEC/seeds/secureai/main-d73b2d0/collateral.json"
else
  echo "SKIP: shared vectors not found; real-vector CLI checks skipped"
fi

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
