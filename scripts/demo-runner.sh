#!/usr/bin/env bash
# The scale-out demo: a redis-server and a webhook-mock on free loopback
# ports in a scratch directory, 2,000 records published to a stream, two
# output-runners sharing it in one consumer group, their summaries.
set -euo pipefail
build=${1:-build/dev}
records=${DEMO_RECORDS:-2000}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly yes --appendfsync always \
  >"$work/redis.log" 2>&1 &
pids+=("$!")
"$build/mock_endpoint/webhook-mock" --port 0 --record-to "$work/journal.ndjson" >"$work/mock.out" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do
  redis-cli -p "$redis_port" PING >/dev/null 2>&1 && grep -q '^listening on ' "$work/mock.out" && break
  sleep 0.05
done
base=$(sed -n 's/^listening on //p' "$work/mock.out" | head -n1)
url=redis://127.0.0.1:$redis_port
echo "demo: redis-server at $url, webhook-mock at $base"
sed "s|http://127.0.0.1:8080|$base|g" docs/examples/runner-activation.json >"$work/activation.json"

awk -v n="$records" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"event_id\":\"evt-%d\",\"profile\":{\"id\":\"user-%d\"}}\n", i, i }' |
  "$build/runner/output-runner" publish --redis "$url" --stream activations
runners=()
for name in runner-1 runner-2; do
  DEMO_API_KEY=demo-key-not-a-secret "$build/runner/output-runner" consume --redis "$url" --stream activations \
    --group webhooks --consumer "$name" --plugin "$build/plugin/webhook_output.so" --config "$work/activation.json" \
    >"$work/$name.out" 2>"$work/$name.err" &
  runners+=("$!")
done
for _ in $(seq 600); do
  [[ $(wc -l <"$work/journal.ndjson" 2>/dev/null || echo 0) -ge $records ]] && break
  sleep 0.05
done
status=0
for i in 0 1; do
  kill -TERM "${runners[$i]}"
  wait "${runners[$i]}" || status=$?
  echo "demo: runner-$((i + 1)): $(tail -n1 "$work/runner-$((i + 1)).out")"
done
echo "demo: webhook-mock received $(wc -l <"$work/journal.ndjson") requests; pending in the group: $(redis-cli -p "$redis_port" XPENDING activations webhooks | head -n1)"
exit "$status"
