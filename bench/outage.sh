#!/usr/bin/env bash
# bench/outage.sh [BUILD]: resident memory while an endpoint is down and
# records wait out a long retry schedule (outage-bench): 10,000 and 100,000
# records of 1 KiB waiting, without and with a spool. Targets: at most 1.5 x
# the records' own bytes above idle without a spool; with one, flat (+-10 %)
# from 10,000 to 100,000 waiting.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/common.sh"
build=${1:-build/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$(free_port)  # nothing listens there: every connection is refused
out=$work/outage.json
for n in 10000 100000; do
  "$build/bench/outage-bench" "$build/plugin/webhook_output.so" "$port" "$n" 1024 >>"$out"
  rm -rf "$work/spool"
  "$build/bench/outage-bench" "$build/plugin/webhook_output.so" "$port" "$n" 1024 --spool "$work/spool" >>"$out"
done
python3 - "$out" <<'PY'
import json, sys
runs = {(r["records"], r["spool"]): r for r in map(json.loads, open(sys.argv[1]))}
print("| records waiting (1 KiB each) | spool | resident MiB above idle | per record / the record's bytes | target |")
print("|---|---|---|---|---|")
for spool in (False, True):
    for n in (10000, 100000):
        r = runs[(n, spool)]
        above = (r["rss_waiting_kib"] - r["rss_idle_kib"]) / 1024
        if not spool:
            target = f"<= 1.5: {'met' if r['of_record_bytes'] <= 1.5 else 'NOT met'}"
        elif n == 100000:
            small = runs[(10000, True)]
            growth = (r["rss_waiting_kib"] - r["rss_idle_kib"]) / max(small["rss_waiting_kib"] - small["rss_idle_kib"], 1)
            target = f"flat from 10,000 (+-10 %): x{growth:.2f}, {'met' if growth <= 1.1 else 'NOT met'}"
        else:
            target = ""
        print(f"| {n:,} | {'yes' if spool else 'no'} | {above:.1f} | {r['of_record_bytes']:.2f} | {target} |")
PY
