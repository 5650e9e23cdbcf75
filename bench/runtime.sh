#!/usr/bin/env bash
# Many activations in one process on one shared runtime (output-step.runtime/1,
# bench/runtime_bench.cpp), all measured in this run:
#   - 1, 100, 1,000 and 10,000 activations, records spread evenly, to one
#     origin and to 100 origins (one nginx worker listening on 100 ports):
#     threads, resident memory per created activation, create time, records/s
#     against one activation's in the same round;
#   - head-of-line: 100 activations on one webhook-mock origin, one of whose
#     paths never answers, against the 99 alone;
#   - slow endpoints (Little's law): webhook-mock answering after 100 ms
#     (--threads 2), 4,096 requests in progress.
# Loopback only; every run bounded in records and time.
#   bench/runtime.sh [BUILD]   (BENCH_ROUNDS, BENCH_RUNTIME_RECORDS)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/common.sh"
build=${1:-build/release}
rounds=${BENCH_ROUNDS:-3}
records=${BENCH_RUNTIME_RECORDS:-200000}
out=${BENCH_JSON:-$build/bench-runtime.json}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# One nginx worker on 100 ports: 100 origins.
read -r -a ports < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(100)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')
mkdir -p "$work/nginx/logs"
{
  echo "worker_processes 1; worker_rlimit_nofile 65536; daemon off; pid $work/nginx/nginx.pid;"
  echo "error_log $work/nginx/logs/error.log warn; events { worker_connections 32768; }"
  echo "http { access_log off; keepalive_requests 10000000; server {"
  for p in "${ports[@]}"; do echo "  listen 127.0.0.1:$p;"; done
  echo "  location / { return 200 'ok'; } } }"
} >"$work/nginx/nginx.conf"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
for p in "${ports[@]}"; do wait_port "$p"; done
one_origin="http://127.0.0.1:${ports[0]}"
hundred_origins=$(printf 'http://127.0.0.1:%s,' "${ports[@]}"); hundred_origins=${hundred_origins%,}

# webhook-mock: /hang/... never answers (600 s); everything else at once.
cat >"$work/hang.json" <<'JSON'
{"mappings": [{"request": {"urlPathPattern": "/hang/.*"}, "response": {"status": 200, "fixedDelayMilliseconds": 600000}}]}
JSON
start_mock "$build" "$work" --threads 2 --journal-limit 0 --mappings "$work/hang.json"
pids+=("$MOCK_PID"); hang_url=$MOCK_URL
mkdir -p "$work/slow"
cat >"$work/slow.json" <<'JSON'
{"mappings": [{"request": {"urlPathPattern": "/.*"}, "response": {"status": 200, "fixedDelayMilliseconds": 100}}]}
JSON
start_mock "$build" "$work/slow" --threads 2 --journal-limit 0 --mappings "$work/slow.json"
pids+=("$MOCK_PID"); slow_url=$MOCK_URL

bench() { "$build/bench/runtime-bench" "$build/plugin/webhook_output.so" "$@"; }
# About the connections one activation alone has (its delivery.concurrency,
# 64), whatever the number of activations: 64 to one origin, or one to each
# of 100 origins. (64 to each of 100, 6,400 connections, is measured too.)
scale() { bench "$1" "$2" "$records" --origin-concurrency "$3"; }
# wrk's requests/s with 4,096 connections against the slow webhook-mock:
# what this machine does at that load with a client of one thread.
wrk_slow() { wrk -t1 -c4096 -d4s -s "$BENCH_DIR/post85.lua" "$slow_url/a/x" | awk '/^Requests\/sec:/ {print $2}'; }

: >"$out"
for _ in $(seq "$rounds"); do
  scale "$one_origin" 1 64 | sed 's/^{/{"case": "one", /' >>"$out"
  for n in 100 1000 10000; do
    scale "$one_origin" "$n" 64 | sed 's/^{/{"case": "one", /' >>"$out"
    scale "$hundred_origins" "$n" 1 | sed 's/^{/{"case": "hundred", /' >>"$out"
  done
  scale "$hundred_origins" 10000 64 | sed 's/^{/{"case": "hundred64", /' >>"$out"
  # Head-of-line: the 99 alone, then beside the hung one (16 slots each,
  # 256 connections to the origin).
  bench "$hang_url" 99 50000 --concurrency 16 | sed 's/^{/{"case": "alone", /' >>"$out"
  bench "$hang_url" 100 50000 --concurrency 16 --hung | sed 's/^{/{"case": "hung", /' >>"$out"
  # Little's law: 16 activations x 256 requests in progress, answered after 100 ms.
  bench "$slow_url" 16 81920 --concurrency 256 --origin-concurrency 4096 | sed 's/^{/{"case": "slow", /' >>"$out"
  echo "{\"case\": \"wrk_slow\", \"records_per_s\": $(wrk_slow)}" >>"$out"
done

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
rounds = int(sys.argv[2])
med = statistics.median
def pick(case, n=None):
    return [r for r in runs if r["case"] == case and (n is None or r["activations"] == n)]
one = pick("one", 1)
base = [r["records_per_s"] for r in one]
print(f"| activations (records spread evenly, one runtime, io_threads 1) | origins (connections) | threads | resident KiB per activation | create | records/s | / one activation's (median of {rounds} rounds) | target |")
print("|---|---|---|---|---|---|---|---|")
print(f"| 1 | 1 (64) | {med(r['threads'] for r in one)} | - | - | {med(base):,.0f} | 1 | |")
for n in (100, 1000, 10000):
    for case, origins in (("one", "1 (64)"), ("hundred", "100 (1 each)")):
        rs = pick(case, n)
        ratio = med(r["records_per_s"] / b for r, b in zip(rs, base))
        kib = med(r["rss_per_activation_kib"] for r in rs)
        threads = max(r["threads"] for r in rs)
        create = med(r["create_s"] for r in rs)
        targets = [f"threads <= 3: {'met' if threads <= 3 else 'NOT met'}"]
        if n == 10000:
            targets += [f"<= 16 KiB: {'met' if kib <= 16 else 'NOT met'}", f"create < 1 s: {'met' if create < 1 else 'NOT met'}",
                        f">= 0.9: {'met' if ratio >= 0.9 else 'NOT met'}"]
        print(f"| {n:,} | {origins} | {threads} | {kib:.1f} | {create * 1000:.0f} ms | {med(r['records_per_s'] for r in rs):,.0f} | {ratio:.3f} | {'; '.join(targets)} |")
wide = pick("hundred64")
print(f"| 10,000 | 100 (64 each: 6,400) | {max(r['threads'] for r in wide)} | {med(r['rss_per_activation_kib'] for r in wide):.1f} | "
      f"{med(r['create_s'] for r in wide) * 1000:.0f} ms | {med(r['records_per_s'] for r in wide):,.0f} | "
      f"{med(r['records_per_s'] / b for r, b in zip(wide, base)):.3f} | (100 times the connections: no target) |")
alone, hung = pick("alone"), pick("hung")
hol = med(h["records_per_s"] / a["records_per_s"] for a, h in zip(alone, hung))
print(f"| head-of-line: 99 activations beside one whose path never answers / the 99 alone (webhook-mock) | 1 | | | | "
      f"{med(h['records_per_s'] for h in hung):,.0f} | {hol:.3f} | >= 0.9: {'met' if hol >= 0.9 else 'NOT met'} |")
slow, wrk = pick("slow"), pick("wrk_slow")
little = med(r["records_per_s"] for r in slow) / (4096 / 0.1)
print(f"| slow endpoint: 16 activations x 256 in progress, answers after 100 ms / 4,096 / 0.1 s | 1 (4,096) | | | | "
      f"{med(r['records_per_s'] for r in slow):,.0f} | {little:.3f} | >= 0.9: {'met' if little >= 0.9 else 'NOT met'} |")
wrk_little = med(r["records_per_s"] for r in wrk) / (4096 / 0.1)
versus_wrk = med(s["records_per_s"] / w["records_per_s"] for s, w in zip(slow, wrk))
print(f"| the same endpoint under wrk (one thread, 4,096 connections), same rounds / 4,096 / 0.1 s | 1 (4,096) | | | | "
      f"{med(r['records_per_s'] for r in wrk):,.0f} | {wrk_little:.3f} | the plugin / wrk: {versus_wrk:.3f} |")
print(f"results: {sys.argv[1]}")
PY
