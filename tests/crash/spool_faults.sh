#!/usr/bin/env bash
# The spool under faults, through `journey-sim stream` and webhook-mock:
#  1. the endpoint down (connection refused), then answering 503, then back:
#     everything delivered;
#  2. a spool smaller than the stream (max_bytes): back-pressure, no loss.
# (A full disk: spool_disk_full.sh.)
#   spool_faults.sh BUILD_DIR   (loopback only, bounded)
set -euo pipefail
source "$(dirname "$0")/spool_lib.sh" "$1"

# 1. down, then 503s, then back
port=$(free_port)
records 3000 >"$work/in1.ndjson"
config "$port" "$work/spool1" 1073741824 >"$work/c1.json"
"$sim" stream --plugin "$plugin" --config "$work/c1.json" --input "$work/in1.ndjson" --accepted "$work/acc1" \
  >"$work/out1" 2>"$work/err1" &
sim_pid=$!; pids+=("$sim_pid")
sleep 1  # connection refused meanwhile
echo '{"request": {"method": "ANY"}, "response": {"status": 503}, "priority": 1}' >"$work/503.json"
start_mock "$port" "$work/j1.ndjson" --mappings "$work/503.json"
sleep 1  # 503s meanwhile
curl -s -X DELETE "http://127.0.0.1:$port/__admin/mappings" >/dev/null  # back
wait "$sim_pid"
tail -n1 "$work/out1" | grep -q '"delivered":3000' || { echo "1: not everything delivered: $(tail -n1 "$work/out1")"; exit 1; }
check_delivered "$work/acc1" "$work/j1.ndjson" "down, 503, back"
grep -q '"status":503' "$work/j1.ndjson" || { echo "1: the 503 phase was not exercised"; exit 1; }
kill "$mock_pid"

# 2. a spool smaller than the stream: back-pressure, then space frees
port=$(free_port)
start_mock "$port" "$work/j2.ndjson"
records 20000 >"$work/in2.ndjson"   # ~4 MB of spool entries through a 1 MiB spool
config "$port" "$work/spool2" 1048576 >"$work/c2.json"
"$sim" stream --plugin "$plugin" --config "$work/c2.json" --input "$work/in2.ndjson" --accepted "$work/acc2" >"$work/out2"
tail -n1 "$work/out2" | grep -q '"delivered":20000' || { echo "2: $(tail -n1 "$work/out2")"; exit 1; }
check_delivered "$work/acc2" "$work/j2.ndjson" "spool smaller than the stream"
echo "spool faults: nothing accepted was lost"
