#!/usr/bin/env bash
# bench/compare.sh NEW BASE: the plugin of build NEW against the plugin of
# build BASE (scripts/build-base.sh), alternating in one run, each with its
# own plugin-bench, on one nginx (one worker, loopback): records/s with the
# plugin's own thread and with the runner driving the I/O, over HTTP and
# HTTPS, and with the spool; then p99 at half the base's rate. Prints the
# median of the rounds' ratios new/base (BENCH_ROUNDS, 5).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/common.sh"
new=${1:-build/release}
base=${2:-build/release-base}
records=${BENCH_RECORDS:-200000}
rounds=${BENCH_ROUNDS:-5}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

make_certificates "$work"
http_port=$(free_port); https_port=$(free_port)
start_nginx_tls "$work" "$http_port" "$https_port"
pids+=("$NGINX_PID")
nginx_master=$NGINX_PID

# run BUILD ARGS...: one plugin-bench run of BUILD's module, its JSON.
run() { "$1/bench/plugin-bench" "$1/plugin/webhook_output.so" "${@:2}"; }
http="http://127.0.0.1:$http_port/v1/hook"
https="https://127.0.0.1:$https_port/v1/hook"
declare -A cases=(
  [http]="$http $records"
  [http_host_io]="$http $records --host-io"
  [https]="$https $records --ca $work/ca.pem"
  [https_host_io]="$https $records --ca $work/ca.pem --host-io"
  [spool]="$http $records --spool SPOOL"
)
order=(http http_host_io https https_host_io spool)
results=$work/results.txt
: >"$results"
run "$new" "$http" 20000 >/dev/null  # warm-up
for round in $(seq "$rounds"); do
  for name in "${order[@]}"; do
    for side in new base; do
      build=$new; [ "$side" = base ] && build=$base
      rm -rf "$work/spool"
      args=${cases[$name]//SPOOL/$work/spool}
      # shellcheck disable=SC2086
      echo "$round $name $side $(run "$build" $args | python3 -c 'import json,sys; print(json.load(sys.stdin)["records_per_second"])')" >>"$results"
    done
  done
done
# p99 at half the base's own-thread HTTP rate, both alternating.
half=$(python3 - "$results" <<'PY'
import statistics, sys
rps = [float(l.split()[3]) for l in open(sys.argv[1]) if l.split()[1] == "http" and l.split()[2] == "base"]
print(int(statistics.median(rps) / 2))
PY
)
for round in $(seq "$rounds"); do
  for side in new base; do
    build=$new; [ "$side" = base ] && build=$base
    echo "$round p99_half $side $(run "$build" "$http" $((half * 3)) --rate "$half" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["latency"]["p99_us"])')" >>"$results"
  done
done
python3 - "$results" "$half" "this tree at $(git -C "$(dirname "$0")/.." log -1 --format=%h), the base at $(git -C "$(dirname "$0")/../build/base-src" log -1 --format=%h 2>/dev/null || echo "?")" <<'PY'
import collections, statistics, sys
figures = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, name, side, value = line.split()
    figures[(name, int(r))][side] = float(value)
ratios = collections.defaultdict(list)
for (name, r), sides in sorted(figures.items()):
    ratios[name].append(sides["new"] / sides["base"])
print(f"| the plugin, this build / the base build (medians of the rounds' ratios; {sys.argv[3]}) | ratio | rounds | target |")
print("|---|---|---|---|")
names = {"http": "records/s, HTTP, its own thread", "http_host_io": "records/s, HTTP, the runner driving the I/O",
         "https": "records/s, HTTPS, its own thread", "https_host_io": "records/s, HTTPS, the runner driving the I/O",
         "spool": "records/s, HTTP with the spool (fsync batch)", "p99_half": f"p99 at {int(sys.argv[2]):,}/s (half the base's rate)"}
failed = False
for name in ["http", "http_host_io", "https", "https_host_io", "spool", "p99_half"]:
    m = statistics.median(ratios[name])
    met = m <= 1.25 if name == "p99_half" else m >= 0.95
    failed |= not met
    target = "<= 1.25" if name == "p99_half" else ">= 0.95"
    print(f"| {names[name]} | {m:.3f} | {', '.join(f'{x:.2f}' for x in ratios[name])} | {target}: {'met' if met else 'NOT met'} |")
PY
