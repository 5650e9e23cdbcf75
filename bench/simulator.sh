#!/usr/bin/env bash
# The generated 1,000,000-event scenario (100,000 profiles, a three-stage
# journey, about 200,000 deliveries) through the plugin into the embedded
# mock endpoint: wall time, events/s, deliveries/s, peak RSS.
set -euo pipefail
build=${1:-build/release}
out=${BENCH_JSON:-$build/bench-simulator.json}
here=$(cd "$(dirname "$0")" && pwd)
report=$(mktemp)
trap 'rm -f "$report" "$report.time"' EXIT
/usr/bin/time -f "%e %M" -o "$report.time" "$build/simulator/journey-sim" run "$here/journey-1m.json" \
  --plugin "$build/plugin/webhook_output.so" --json "$report" >/dev/null
python3 - "$report" "$report.time" "$out" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))["scenarios"][0]
wall, rss_kb = open(sys.argv[2]).read().split()
wall = float(wall)
events = report["journey"]["events"]
deliveries = report["deliveries"]["delivered"]
result = {"benchmark": "simulator_1m", "wall_seconds": wall, "run_seconds": round(report["wall_seconds"], 2),
          "events": events, "deliveries": deliveries, "events_per_second": round(events / wall),
          "deliveries_per_second": round(deliveries / wall), "peak_rss_mb": round(int(rss_kb) / 1024),
          "status": report["status"], "target_wall_seconds": 15}
json.dump(result, open(sys.argv[3], "w"), indent=2)
print(f"| journey-sim, 1,000,000 events, 100,000 profiles, 3 stages | {wall:.1f} s wall (target < 15 s: {'met' if wall < 15 else 'NOT met'}) | "
      f"{events / wall:,.0f} events/s | {deliveries:,} deliveries, {deliveries / wall:,.0f}/s | peak RSS {int(rss_kb) // 1024} MB |")
print(f"results: {sys.argv[3]}")
PY
