#!/usr/bin/env bash
# ApacheBench with keep-alive (HTTP/1.0 and Connection: Keep-Alive) against
# webhook-mock: ab -k -n 5000 -c 10 completes, every request answered on a
# kept connection, none failed. It hung: the answers did not say keep-alive,
# and ab waited for a close that never came.
#   ab_keep_alive.sh WEBHOOK_MOCK
set -euo pipefail
source "$(dirname "$0")/mock_lib.sh"
need ab apache2-utils
start_mock "$1"
out=$(timeout 60 ab -k -n 5000 -c 10 -s 10 "$base/ab" 2>&1) || { echo "$out"; fail "ab -k did not complete"; }
echo "$out" | grep -E '^(Complete|Failed|Keep-Alive) requests|^Requests per second'
echo "$out" | grep -Eq '^Complete requests: +5000$' || fail "not 5000 complete requests"
echo "$out" | grep -Eq '^Failed requests: +0$' || fail "failed requests"
echo "$out" | grep -Eq '^Keep-Alive requests: +5000$' || fail "not every request kept alive"
echo "PASS: ab -k -n 5000 -c 10"
