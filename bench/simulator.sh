#!/usr/bin/env bash
# Generated scenarios through the plugin into the embedded mock endpoint:
# 1,000,000 events of 100,000 profiles (about 200,000 deliveries, target
# < 15 s) and 10,000,000 of 1,000,000 profiles (about 2,000,000 deliveries,
# target < 90 s and peak RSS < 1.5 GB; BENCH_SKIP_10M=1 leaves it out), each
# a three-stage journey: wall time, events/s, deliveries/s, peak RSS.
set -euo pipefail
build=${1:-build/release}
out=${BENCH_JSON:-$build/bench-simulator.json}
here=$(cd "$(dirname "$0")" && pwd)
report=$(mktemp)
trap 'rm -f "$report" "$report".*' EXIT
runs=("journey-1m.json 15 0")
[[ -n "${BENCH_SKIP_10M:-}" ]] || runs+=("journey-10m.json 90 1536")
for run in "${runs[@]}"; do
  read -r scenario target_seconds target_mb <<<"$run"
  /usr/bin/time -f "%e %M" -o "$report.time" "$build/simulator/journey-sim" run "$here/$scenario" \
    --plugin "$build/plugin/webhook_output.so" --json "$report.json" >/dev/null 2>"$report.err" ||
    { cat "$report.err" >&2; exit 1; }
  python3 - "$report.json" "$report.time" "$scenario" "$target_seconds" "$target_mb" >>"$report.results" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))["scenarios"][0]
wall, rss_kb = open(sys.argv[2]).read().split()
scenario, target_s, target_mb = sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
wall, rss_mb = float(wall), int(rss_kb) // 1024
events, deliveries = report["journey"]["events"], report["deliveries"]["delivered"]
met = wall < target_s and (target_mb == 0 or rss_mb < target_mb)
print(json.dumps({"benchmark": "simulator_" + scenario.removeprefix("journey-").removesuffix(".json"),
                  "wall_seconds": wall, "run_seconds": round(report["wall_seconds"], 2), "events": events,
                  "deliveries": deliveries, "events_per_second": round(events / wall),
                  "deliveries_per_second": round(deliveries / wall), "peak_rss_mb": rss_mb,
                  "status": report["status"], "target_wall_seconds": target_s,
                  "target_peak_rss_mb": target_mb or None, "met": met}))
targets = f"< {target_s:.0f} s" + (f", < {target_mb / 1024:.1f} GB" if target_mb else "")
print(f"| journey-sim, {events:,} events | {wall:.1f} s wall, peak RSS {rss_mb:,} MB (target {targets}: "
      f"{'met' if met else 'NOT met'}) | {events / wall:,.0f} events/s | {deliveries:,} deliveries, "
      f"{deliveries / wall:,.0f}/s | {report['status']} |", file=sys.stderr)
PY
done
python3 -c 'import json,sys; json.dump([json.loads(l) for l in open(sys.argv[1])], open(sys.argv[2], "w"), indent=2)' \
  "$report.results" "$out"
echo "results: $out"
