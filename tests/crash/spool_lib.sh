# Shared by spool_faults.sh and spool_disk_full.sh: records, a configuration
# with a spool, webhook-mock started and ready, and the check that every
# accepted record reached it. Sourced; sets `work` (removed at exit) and
# `sim`, `mock`, `plugin` from BUILD_DIR.
#   source spool_lib.sh BUILD_DIR
build=$1
sim="$build/simulator/journey-sim" mock="$build/mock_endpoint/webhook-mock" plugin="$build/plugin/webhook_output.so"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

records() {  # records COUNT [ID_PREFIX]
  awk -v n="$1" -v p="${2:-e}" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"event_id\":\"%s-%d\",\"profile\":{\"id\":\"u-%d\"},\"pad\":\"%0150d\"}\n", p, i, i, i }'
}

config() {  # config PORT SPOOL_DIR MAX_BYTES
  cat <<JSON
{"auth": {"url_prefix": "http://127.0.0.1:$1/", "api_key": "fault-key"},
 "activation": {"name": "faults", "url": "http://127.0.0.1:$1/in", "body": "{\"event_id\": \"{{event_id}}\"}"},
 "advanced": {"webhook_retry_count": 20, "webhook_connection_timeout": 2},
 "delivery": {"concurrency": 8, "retry": {"initial_backoff_ms": 50, "max_backoff_ms": 200},
              "spool": {"dir": "$2", "fsync": "batch", "max_bytes": $3}}}
JSON
}

start_mock() {  # start_mock PORT JOURNAL_FILE [OPTION...]: sets mock_pid once it listens
  local port=$1 journal=$2
  shift 2
  "$mock" --port "$port" --record-to "$journal" "$@" >"$work/mock-$port.out" 2>/dev/null &
  mock_pid=$!
  pids+=("$mock_pid")
  for _ in $(seq 100); do grep -q '^listening' "$work/mock-$port.out" && return 0; sleep 0.05; done
  echo "webhook-mock did not start on port $port" >&2
  return 1
}

check_delivered() {  # check_delivered ACCEPTED_FILE JOURNAL_FILE LABEL
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1])]
accepted = [l for l in lines if l]
if len(accepted) != len(lines):  # an accepted record whose event_id was not written
    print(f"{sys.argv[3]}: {len(lines) - len(accepted)} empty lines in the accepted file")
    sys.exit(1)
seen = set()
for line in open(sys.argv[2]):
    seen.add(json.loads(json.loads(line)["request"]["body"])["event_id"])
missing = [e for e in accepted if e not in seen]
print(f"{sys.argv[3]}: {len(accepted)} accepted, {len(seen)} delivered, {len(missing)} missing")
sys.exit(1 if missing else 0)
PY
}
