#!/usr/bin/env bash
# Records/s through Redis: one output-runner consuming a stream (published
# beforehand, not timed) against `journey-sim stream` reading the same
# records from a file; the same plugin, configuration and endpoint (nginx,
# one worker) in the same run, alternating, BENCH_ROUNDS rounds. The runner
# is timed from its start until the group has read every entry and none is
# pending (every record delivered and acknowledged). Target: >= 0.7 x.
#   bench/runner.sh [BUILD]   (BENCH_ROUNDS 3, BENCH_RUNNER_RECORDS 200000)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/common.sh"
build=${1:-build/release}
rounds=${BENCH_ROUNDS:-3}
records=${BENCH_RUNNER_RECORDS:-200000}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

http_port=$(free_port)
start_nginx "$work/nginx" "$http_port"
pids+=("$NGINX_PID")
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do redis-cli -p "$redis_port" PING >/dev/null 2>&1 && break; sleep 0.05; done
url=redis://127.0.0.1:$redis_port

cat >"$work/config.json" <<JSON
{"auth": {"url_prefix": "http://127.0.0.1:$http_port/", "api_key": "bench-key"},
 "activation": {"name": "bench", "url": "http://127.0.0.1:$http_port/in",
                "body": "{\"event_id\": \"{{event_id}}\", \"profile\": \"{{profile.id}}\"}"},
 "delivery": {"concurrency": 64}}
JSON
awk -v n="$records" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"event_id\":\"e-%d\",\"profile\":{\"id\":\"u-%d\"}}\n", i, i }' \
  >"$work/records.ndjson"
plugin=$build/plugin/webhook_output.so

now() { date +%s.%N; }
group_done() {  # entries-read == records and pending == 0
  redis-cli -p "$redis_port" XINFO GROUPS "$1" | awk -v n="$records" '
    prev == "pending" { pending = $1 } prev == "entries-read" { read = $1 } { prev = $1 }
    END { exit !(read == n && pending == 0) }'
}

out=$work/rounds.txt
for round in $(seq "$rounds"); do
  start=$(now)
  "$build/simulator/journey-sim" stream --plugin "$plugin" --config "$work/config.json" \
    --input "$work/records.ndjson" >"$work/stream.out"
  stream_s=$(echo "$(now) - $start" | bc)
  grep -q "\"delivered\":$records" "$work/stream.out" || { echo "bench: journey-sim stream did not deliver all" >&2; exit 1; }

  stream=s$round
  "$build/runner/output-runner" publish --redis "$url" --stream "$stream" <"$work/records.ndjson" >/dev/null
  start=$(now)
  "$build/runner/output-runner" consume --redis "$url" --stream "$stream" --group g --consumer r1 \
    --plugin "$plugin" --config "$work/config.json" >"$work/runner.out" 2>"$work/runner.err" &
  runner=$!
  until redis-cli -p "$redis_port" EXISTS "$stream" >/dev/null && group_done "$stream" 2>/dev/null; do sleep 0.02; done
  runner_s=$(echo "$(now) - $start" | bc)
  kill -TERM "$runner"
  wait "$runner" || { echo "bench: output-runner failed: $(cat "$work/runner.err")" >&2; exit 1; }
  redis-cli -p "$redis_port" DEL "$stream" >/dev/null
  echo "$round $stream_s $runner_s" | tee -a "$out" >&2
done

/usr/bin/python3 - "$out" "$records" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split()[1:])) for l in open(sys.argv[1])]
n = int(sys.argv[2])
ratios = [s / r for s, r in rows]  # records/s of the runner over the stream's
median = statistics.median(ratios)
print(f"| {n:,} records, {len(rows)} rounds | journey-sim stream {n / statistics.median(r[0] for r in rows):,.0f}/s "
      f"| output-runner through Redis {n / statistics.median(r[1] for r in rows):,.0f}/s "
      f"| {median:.2f} x (rounds {' '.join(f'{x:.2f}' for x in ratios)}) | >= 0.7: {'met' if median >= 0.7 else 'NOT met'} |")
PY
