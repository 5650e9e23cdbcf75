#!/usr/bin/env bash
# curl sends `Expect: 100-continue` with a large body and waits up to 1 s
# (its expect timeout) for 100 Continue before sending it: webhook-mock
# answers 100 Continue at once, so a 2 MB POST takes well under that second;
# a body over the limit gets 413 without being sent.
#   curl_expect.sh WEBHOOK_MOCK
set -euo pipefail
source "$(dirname "$0")/mock_lib.sh"
need curl curl
start_mock "$1"
head -c 2000000 /dev/zero | tr '\0' x >"$work/body"
result=$(curl -sS -v -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 -H 'Expect: 100-continue' \
  --data-binary @"$work/body" "$base/expect" 2>"$work/curl.err") || { cat "$work/curl.err"; fail "curl failed"; }
code=${result% *} seconds=${result#* }
echo "2 MB POST with Expect: $code in $seconds s"
[[ "$code" == 200 ]] || fail "status $code, not 200"
grep -q '^< HTTP/1.1 100 Continue' "$work/curl.err" || fail "no 100 Continue before the body"
awk -v s="$seconds" 'BEGIN { exit !(s < 0.9) }' || fail "$seconds s: curl waited for its expect timeout"
count=$(curl -sS -X POST "$base/__admin/requests/count" -d '{"urlPath": "/expect"}')
[[ "$count" == *'"count":1'* ]] || fail "the body was not journaled: $count"

head -c 11000000 /dev/zero | tr '\0' x >"$work/big"
result=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 -H 'Expect: 100-continue' \
  --data-binary @"$work/big" "$base/expect" 2>"$work/curl.err") || true
code=${result% *} seconds=${result#* }
echo "11 MB POST with Expect: $code in $seconds s"
[[ "$code" == 413 ]] || fail "status $code, not 413"
awk -v s="$seconds" 'BEGIN { exit !(s < 0.9) }' || fail "$seconds s for a refusal"
echo "PASS: 100 Continue at once, 413 before the body"
