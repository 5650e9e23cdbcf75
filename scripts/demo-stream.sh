#!/usr/bin/env bash
# The end-to-end demo: webhook-mock on a free loopback port, and
# `journey-sim stream` delivering generated journey records to it through
# the webhook output plugin, loaded by dlopen.
set -euo pipefail
build=${1:-build/dev}
records=${DEMO_RECORDS:-2000}
work=$(mktemp -d)
trap 'kill "$mock_pid" 2>/dev/null || true; wait "$mock_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$build/mock_endpoint/webhook-mock" --port 0 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
base=$(sed -n 's/^listening on //p' "$work/mock.out" | head -n1)
[[ -n "$base" ]] || { echo "demo: webhook-mock did not start" >&2; cat "$work/mock.err" >&2; exit 1; }
echo "demo: webhook-mock listening on $base"

cat >"$work/config.json" <<JSON
{
  "auth": {"type": "td_webhook_out", "name": "demo crm", "url_prefix": "$base/v1/",
           "api_key_env": "DEMO_API_KEY"},
  "activation": {
    "name": "welcome-offer", "id": "act-demo", "method": "post",
    "url": "$base/v1/profiles/{{profile.id}}/events",
    "headers": {"Authorization": "Bearer {{auth.api_key}}", "X-Journey": "{{journey.name}}"},
    "body": "{\"email_sha256\": \"{{profile.email | lower | sha256}}\", \"tier\": \"{{profile.tier | default: \"basic\"}}\", \"event\": \"{{event.name}}\", \"amount\": {{event.amount}}, \"journey\": \"{{journey.name}}\", \"stage\": \"{{journey.stage}}\"}"
  },
  "advanced": {"webhook_retry_count": 3},
  "delivery": {"concurrency": 16, "dead_letter_file": "$work/dead-letters.ndjson",
               "delivery_log_file": "$work/delivery-log.ndjson"}
}
JSON

awk -v n="$records" 'BEGIN {
  for (i = 1; i <= n; i++)
    printf "{\"event_id\":\"evt-%d\",\"profile\":{\"id\":\"user-%d\",\"email\":\"User%d@Example.com\"%s},\"event\":{\"name\":\"purchase\",\"time\":\"2026-11-26T10:00:00Z\",\"amount\":%d.5},\"journey\":{\"name\":\"Welcome\",\"stage\":\"First purchase\"}}\n", i, i % 500, i % 500, (i % 3 ? "" : ",\"tier\":\"gold\""), i % 90
}' >"$work/records.ndjson"

echo "demo: streaming $records records through $build/plugin/webhook_output.so"
start=$(date +%s.%N)
set +e
DEMO_API_KEY="demo-key-not-a-secret" "$build/simulator/journey-sim" stream \
  --plugin "$build/plugin/webhook_output.so" --config "$work/config.json" \
  --input "$work/records.ndjson" --outcomes "$work/outcomes.ndjson" >"$work/summary.out"
status=$?
set -e
end=$(date +%s.%N)
echo "demo: first outcome:  $(head -n1 "$work/outcomes.ndjson")"
echo "demo: delivery log:   $(head -n1 "$work/delivery-log.ndjson")"
echo "demo: $(awk -v s="$start" -v e="$end" -v n="$records" 'BEGIN { printf "%d records in %.2f s (%.0f records/s)", n, e - s, n / (e - s) }')"
echo "demo: summary (exit $status):"
tail -n1 "$work/summary.out"
exit "$status"
