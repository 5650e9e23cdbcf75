#!/usr/bin/env bash
# Nothing accepted is lost: journey-sim stream with a spool is killed with
# SIGKILL at a random moment while streaming records to webhook-mock
# (--record-to survives kills too), restarted over the same spool with no
# input, and must then deliver every record it had reported accepted.
#   spool_crash.sh BUILD_DIR RECORDS SEED... (loopback only, bounded)
# A seed written tN stops the stream with SIGTERM instead (a clean shutdown:
# what was not delivered must stay in the spool for the restart). The
# endpoint then holds one request in ten for a minute, so that records are
# still pending when the 5 s drain of the shutdown ends: against an endpoint
# that answers at once, the drain delivered every record and the restart had
# nothing to recover.
set -euo pipefail
build=$1 records=$2
shift 2
sim="$build/simulator/journey-sim" mock="$build/mock_endpoint/webhook-mock" plugin="$build/plugin/webhook_output.so"
work=$(mktemp -d)
mock_pid=""
cleanup() { [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

awk -v n="$records" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"event_id\":\"e-%d\",\"profile\":{\"id\":\"u-%d\"}}\n", i, i % 1000 }' >"$work/in.ndjson"
# The body of a record whose id ends in 7 ends in 7"}: its answer waits a minute.
cat >"$work/hold.json" <<'JSON'
{"request": {"method": "ANY", "bodyPatterns": [{"contains": "7\"}"}]},
 "response": {"status": 200, "fixedDelayMilliseconds": 60000}}
JSON

# The records in the spool's segments that no acknowledgement follows
# (docs/plugin.md: entries of magic, length, crc32c, type 1 record or 2 ack,
# sequence number, payload).
unacknowledged() {
  python3 - "$1" <<'PY'
import glob, struct, sys
records, acks = set(), set()
for path in glob.glob(sys.argv[1] + "/segment-*"):
    data, pos = open(path, "rb").read(), 0
    while pos + 21 <= len(data):
        magic, length, _crc, kind, seq = struct.unpack_from("<IIIBQ", data, pos)
        if magic != 0x4C4F4F53 or pos + 21 + length > len(data):
            pos += 1
            continue
        (records if kind == 1 else acks).add(seq)
        pos += 21 + length
print(len(records - acks))
PY
}

for seed in "$@"; do
  rm -rf "$work/spool" "$work/accepted" "$work/journal.ndjson" "$work/mock.out"
  held=()
  [[ $seed == t* ]] && held=(--mappings "$work/hold.json")
  "$mock" --port 0 --journal-limit 1000 --record-to "$work/journal.ndjson" "${held[@]}" >"$work/mock.out" 2>/dev/null &
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
  pending=$(unacknowledged "$work/spool")
  if [[ $signal == TERM ]]; then
    if [[ $pending -eq 0 ]]; then
      echo "seed $seed: no record left in the spool after the SIGTERM ($(ls "$work/spool")): the restart has nothing to recover"
      exit 1
    fi
    # From now on the endpoint answers every request at once.
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="DELETE"))' \
      "$base/__admin/mappings"
  fi
  # Restart over the same spool, no further input: it must drain the spool.
  timeout 120 "$sim" stream --plugin "$plugin" --config "$work/config.json" --input /dev/null >"$work/restart.out" 2>&1 || true
  recovered=$(sed -n 's/^journey-sim stream: \([0-9]*\) records recovered from the spool$/\1/p' "$work/restart.out")
  python3 - "$work/accepted" "$work/journal.ndjson" "$seed" "$delay" "$before" "$pending" "${recovered:-0}" <<'PY'
import json, sys
accepted_path, journal_path, seed, delay, before, pending, recovered = sys.argv[1:]
before, pending, recovered = int(before), int(pending), int(recovered)
accepted = [line.strip() for line in open(accepted_path) if line.strip()]
seen, answered_before, later = {}, set(), set()
for number, line in enumerate(open(journal_path)):
    event = json.loads(line)
    event_id = json.loads(event["request"]["body"])["event_id"]
    if "fixedDelayMilliseconds" in event.get("responseDefinition", {}):
        continue  # held: its answer never reached the stream, which stopped first
    seen[event_id] = seen.get(event_id, 0) + 1
    (answered_before if number < before else later).add(event_id)
missing = [e for e in accepted if e not in seen]
dups = sum(1 for c in seen.values() if c > 1)
print(f"seed {seed}: stopped after {delay} s with {len(accepted)} accepted, {before} requests received before the stop, "
      f"{pending} records unacknowledged in the spool; the restart recovered {recovered} and sent {len(later)}; "
      f"{len(seen)} distinct records received, {dups} received more than once, {len(missing)} missing")
if missing:
    print("MISSING (accepted but never delivered):", missing[:10])
    sys.exit(1)
if recovered != pending:
    print(f"the restart recovered {recovered} records where the spool held {pending}")
    sys.exit(1)
if seed.startswith("t"):
    # A clean shutdown acknowledges exactly what was answered: the restart
    # sends the rest, and only the rest.
    unanswered = set(accepted) - answered_before
    if pending != len(unanswered) or later != unanswered:
        print(f"after the SIGTERM the spool held {pending} records; {len(unanswered)} accepted were never answered; "
              f"the restart sent {len(later)}, {len(later - unanswered)} of them already answered")
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
