#!/usr/bin/env bash
# The main demo: the showcase journey scenario, played on simulated time
# through the webhook output plugin (loaded with dlopen) into the embedded
# mock endpoint, with the report a CI job would read.
set -euo pipefail
build=${1:-build/dev}
scenario=${DEMO_SCENARIO:-scenarios/welcome-journey.json}
echo "demo: journey-sim run $scenario --plugin $build/plugin/webhook_output.so"
echo
exec "$build/simulator/journey-sim" run "$scenario" --plugin "$build/plugin/webhook_output.so" \
  --junit "$build/demo-report.xml" --json "$build/demo-report.json"
