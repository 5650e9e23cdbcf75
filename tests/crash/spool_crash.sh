#!/usr/bin/env bash
# Nothing accepted is lost: journey-sim stream with a spool is killed with
# SIGKILL at a random moment while streaming records to webhook-mock
# (--record-to survives kills too), restarted over the same spool with no
# input, and must then deliver every record it had reported accepted.
#   spool_crash.sh BUILD_DIR RECORDS SEED... (loopback only, bounded)
# A seed written tN stops the stream with SIGTERM instead (a clean shutdown:
# what was not delivered must stay in the spool for the restart).
set -euo pipefail
build=$1 records=$2
shift 2
sim="$build/simulator/journey-sim" mock="$build/mock_endpoint/webhook-mock" plugin="$build/plugin/webhook_output.so"
work=$(mktemp -d)
mock_pid=""
cleanup() { [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

awk -v n="$records" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"event_id\":\"e-%d\",\"profile\":{\"id\":\"u-%d\"}}\n", i, i % 1000 }' >"$work/in.ndjson"

for seed in "$@"; do
  rm -rf "$work/spool" "$work/accepted" "$work/journal.ndjson" "$work/mock.out"
  "$mock" --port 0 --journal-limit 1000 --record-to "$work/journal.ndjson" >"$work/mock.out" 2>/dev/null &
  mock_pid=$!
  for _ in $(seq 100); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
  base=$(sed -n 's/^listening on //p' "$work/mock.out")
  cat >"$work/config.json" <<JSON
{"auth": {"url_prefix": "$base/", "api_key": "crash-key"},
 "activation": {"name": "crash", "url": "$base/in", "body": "{\"event_id\": \"{{event_id}}\"}"},
 "advanced": {"webhook_retry_count": 20},
 "delivery": {"concurrency": 16, "retry": {"initial_backoff_ms": 10, "max_backoff_ms": 100},
              "spool": {"dir": "$work/spool", "fsync": "batch"}}}
JSON
  "$sim" stream --plugin "$plugin" --config "$work/config.json" --input "$work/in.ndjson" \
    --accepted "$work/accepted" >/dev/null 2>&1 &
  pid=$!
  # A random moment within the stream (20 ms .. ~1.2 s), from the seed.
  signal=KILL
  [[ $seed == t* ]] && signal=TERM
  delay=$(awk -v s="${seed#t}" 'BEGIN { srand(s); printf "%.3f", 0.02 + rand() * 1.2 }')
  sleep "$delay"
  kill -s "$signal" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  accepted=$(wc -l <"$work/accepted")
  before=$(wc -l <"$work/journal.ndjson")
  # Restart over the same spool, no further input: it must drain the spool.
  timeout 120 "$sim" stream --plugin "$plugin" --config "$work/config.json" --input /dev/null >"$work/restart.out" 2>&1 || true
  python3 - "$work/accepted" "$work/journal.ndjson" "$seed" "$delay" "$before" <<'PY'
import json, sys
accepted_path, journal_path, seed, delay, before = sys.argv[1:]
accepted = [line.strip() for line in open(accepted_path) if line.strip()]
seen = {}
for line in open(journal_path):
    event = json.loads(line)
    body = json.loads(event["request"]["body"])
    seen[body["event_id"]] = seen.get(body["event_id"], 0) + 1
missing = [e for e in accepted if e not in seen]
dups = sum(1 for c in seen.values() if c > 1)
print(f"seed {seed}: stopped after {delay} s with {len(accepted)} accepted, {before} requests received before the kill; "
      f"after the restart {len(seen)} distinct records received, {dups} received more than once, {len(missing)} missing")
if missing:
    print("MISSING (accepted but never delivered):", missing[:10])
    sys.exit(1)
if dups > 16:  # only those in flight at the kill: at most the 16 connections
    print(f"too many duplicates: {dups} > 16 in flight")
    sys.exit(1)
PY
  kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; mock_pid=""
  # Drained and shut down cleanly: nothing is left in the spool.
  if compgen -G "$work/spool/segment-*" >/dev/null; then
    echo "seed $seed: the spool still holds segments after a clean drain: $(ls "$work/spool")"
    exit 1
  fi
done
echo "spool crash test: every accepted record was delivered"
