#!/usr/bin/env bash
# The spool under faults, through `journey-sim stream` and webhook-mock:
#  1. the endpoint down (connection refused), then answering 503, then back:
#     everything delivered;
#  2. a spool smaller than the stream (max_bytes): back-pressure, no loss;
#  3. a full disk (ENOSPC on a small tmpfs, when mounting is allowed): a
#     clear error, the record not accepted, nothing accepted lost.
#   spool_faults.sh BUILD_DIR   (loopback only, bounded)
set -euo pipefail
build=$1
sim="$build/simulator/journey-sim" mock="$build/mock_endpoint/webhook-mock" plugin="$build/plugin/webhook_output.so"
work=$(mktemp -d)
pids=()
mounted=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "$mounted" ]] && umount "$mounted" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
records() { awk -v n="$1" -v p="${2:-e}" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"event_id\":\"%s-%d\",\"profile\":{\"id\":\"u-%d\"},\"pad\":\"%0150d\"}\n", p, i, i, i }'; }
config() {  # config PORT SPOOL_DIR MAX_BYTES
  cat <<JSON
{"auth": {"url_prefix": "http://127.0.0.1:$1/", "api_key": "fault-key"},
 "activation": {"name": "faults", "url": "http://127.0.0.1:$1/in", "body": "{\"event_id\": \"{{event_id}}\"}"},
 "advanced": {"webhook_retry_count": 20, "webhook_connection_timeout": 2},
 "delivery": {"concurrency": 8, "retry": {"initial_backoff_ms": 50, "max_backoff_ms": 200},
              "spool": {"dir": "$2", "fsync": "batch", "max_bytes": $3}}}
JSON
}
check_delivered() {  # check_delivered ACCEPTED_FILE JOURNAL_FILE LABEL
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
accepted = [l.strip() for l in open(sys.argv[1]) if l.strip()]
seen = set()
for line in open(sys.argv[2]):
    seen.add(json.loads(json.loads(line)["request"]["body"])["event_id"])
missing = [e for e in accepted if e not in seen]
print(f"{sys.argv[3]}: {len(accepted)} accepted, {len(seen)} delivered, {len(missing)} missing")
sys.exit(1 if missing else 0)
PY
}

# 1. down, then 503s, then back
port=$(free_port)
records 3000 >"$work/in1.ndjson"
config "$port" "$work/spool1" 1073741824 >"$work/c1.json"
"$sim" stream --plugin "$plugin" --config "$work/c1.json" --input "$work/in1.ndjson" --accepted "$work/acc1" \
  >"$work/out1" 2>"$work/err1" &
sim_pid=$!; pids+=("$sim_pid")
sleep 1  # connection refused meanwhile
echo '{"request": {"method": "ANY"}, "response": {"status": 503}, "priority": 1}' >"$work/503.json"
"$mock" --port "$port" --record-to "$work/j1.ndjson" --mappings "$work/503.json" >"$work/m1.out" 2>/dev/null &
mock_pid=$!; pids+=("$mock_pid")
sleep 1  # 503s meanwhile
curl -s -X DELETE "http://127.0.0.1:$port/__admin/mappings" >/dev/null  # back
wait "$sim_pid"
tail -n1 "$work/out1" | grep -q '"delivered":3000' || { echo "1: not everything delivered: $(tail -n1 "$work/out1")"; exit 1; }
check_delivered "$work/acc1" "$work/j1.ndjson" "down, 503, back"
grep -q '"status":503' "$work/j1.ndjson" || { echo "1: the 503 phase was not exercised"; exit 1; }
kill "$mock_pid"

# 2. a spool smaller than the stream: back-pressure, then space frees
port=$(free_port)
"$mock" --port "$port" --record-to "$work/j2.ndjson" >"$work/m2.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do grep -q '^listening' "$work/m2.out" && break; sleep 0.05; done
records 20000 >"$work/in2.ndjson"   # ~4 MB of spool entries through a 1 MiB spool
config "$port" "$work/spool2" 1048576 >"$work/c2.json"
"$sim" stream --plugin "$plugin" --config "$work/c2.json" --input "$work/in2.ndjson" --accepted "$work/acc2" >"$work/out2"
tail -n1 "$work/out2" | grep -q '"delivered":20000' || { echo "2: $(tail -n1 "$work/out2")"; exit 1; }
check_delivered "$work/acc2" "$work/j2.ndjson" "spool smaller than the stream"

# 3. a full disk
mkdir -p "$work/small"
if mount -t tmpfs -o size=96k tmpfs "$work/small" 2>/dev/null; then
  mounted="$work/small"
  config "$port" "$work/small/spool" 1073741824 >"$work/c3.json"
  records 5000 f >"$work/in3.ndjson"  # ids of their own: the journal already holds e-*
  status=0
  "$sim" stream --plugin "$plugin" --config "$work/c3.json" --input "$work/in3.ndjson" --accepted "$work/acc3" \
    >"$work/out3" 2>"$work/err3" || status=$?
  [[ $status -eq 1 ]] || { echo "3: expected exit 1 with records not accepted, got $status"; exit 1; }
  grep -q "No space left on device" "$work/err3" || { echo "3: no clear error:"; head -5 "$work/err3"; exit 1; }
  grep -q "not accepted by the plugin" "$work/err3" || { echo "3: refusals not reported"; exit 1; }
  check_delivered "$work/acc3" "$work/j2.ndjson" "full disk (ENOSPC)"
else
  echo "3: skipped (this machine does not allow mounting a tmpfs)"
fi
echo "spool faults: nothing accepted was lost"
