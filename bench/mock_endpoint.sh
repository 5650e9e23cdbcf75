#!/usr/bin/env bash
# webhook-mock against nginx (and WireMock when installed), in the same run:
# wrk, one thread, 64 keep-alive connections, an 85-byte JSON POST, journal
# on. Then resident memory per journaled request. Loopback only, bounded.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/common.sh"
build=${1:-build/release}
seconds=${BENCH_SECONDS:-5}
out=${BENCH_JSON:-$build/bench-mock-endpoint.json}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make bench installs it)" >&2; exit 2; }
done

# Reference and subject alternate, BENCH_ROUNDS times (5): a burst of noise
# on the machine spoils one pair, not the figure. Medians are reported.
rounds=${BENCH_ROUNDS:-5}
nginx_port=$(free_port)
start_nginx "$work/nginx" "$nginx_port"; pids+=("$NGINX_PID")
start_mock "$build" "$work" --threads 1 --journal-limit 100000; pids+=("$MOCK_PID")
wrk_rps "http://127.0.0.1:$nginx_port/" 1 >/dev/null  # warm-up
wrk_rps "$MOCK_URL/hook" 1 >/dev/null
nginx_runs=(); mock_runs=(); ratio_runs=()
for _ in $(seq "$rounds"); do
  n=$(wrk_rps "http://127.0.0.1:$nginx_port/" "$seconds")
  m=$(wrk_rps "$MOCK_URL/hook" "$seconds")
  nginx_runs+=("$n"); mock_runs+=("$m"); ratio_runs+=("$(python3 -c "print($m / $n)")")
  curl -s -X DELETE "$MOCK_URL/__admin/requests" >/dev/null
done
nginx_rps=$(median "${nginx_runs[@]}"); mock_rps=$(median "${mock_runs[@]}"); mock_ratio=$(median "${ratio_runs[@]}")
kill "$NGINX_PID" "$MOCK_PID"; wait "$NGINX_PID" "$MOCK_PID" 2>/dev/null || true

# Memory: RSS growth per journaled request, journal large enough to keep all.
# The warm-up's requests are journaled too, then cleared: clearing returns
# their memory (it used to stay resident, to be reused by the measured
# requests, which then looked a quarter smaller than they are).
start_mock "$build" "$work" --threads 1 --journal-limit 2000000; pids+=("$MOCK_PID")
fresh=$(rss_kib "$MOCK_PID")
wrk -t1 -c8 -d1s -s "$BENCH_DIR/post85.lua" "$MOCK_URL/warm" >/dev/null
warm=$(rss_kib "$MOCK_PID")
curl -s -X DELETE "$MOCK_URL/__admin/requests" >/dev/null
sleep 0.2
before=$(rss_kib "$MOCK_PID")
wrk -t1 -c64 -d"${seconds}s" -s "$BENCH_DIR/post85.lua" "$MOCK_URL/hook" >/dev/null
after=$(rss_kib "$MOCK_PID")
kept=$(curl -s "$MOCK_URL/__webhooks/summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
journaled=$(curl -s -X POST "$MOCK_URL/__admin/requests/count" -d '{"url": "/hook"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
port=${MOCK_URL##*:}
request_bytes=$(python3 - "$BENCH_DIR/post85.lua" "$port" <<'PY'
import sys
body = open(sys.argv[1]).read().split("wrk.body = '")[1].split("'")[0]
head = f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:{sys.argv[2]}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
print(len(head) + len(body))
PY
)
kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true

wiremock_rps=""
jar=$(ls build/tools/node_modules/wiremock/build/wiremock-standalone-*.jar 2>/dev/null | tail -n1 || true)
if [[ -n "$jar" && -n "$(command -v java)" && -z "${BENCH_SKIP_WIREMOCK:-}" ]]; then
  wm_port=$(free_port)
  mkdir -p "$work/wiremock"  # its mappings/ and __files/, not in the caller's directory
  java -jar "$jar" --port "$wm_port" --bind-address 127.0.0.1 --disable-banner --no-request-journal=false \
    --root-dir "$work/wiremock" >"$work/wiremock.log" 2>&1 &
  wm_pid=$!; pids+=("$wm_pid")
  if wait_port "$wm_port"; then
    sleep 2
    wrk_rps "http://127.0.0.1:$wm_port/hook" 3 >/dev/null
    wiremock_rps=$(wrk_rps "http://127.0.0.1:$wm_port/hook" "$seconds")
  fi
  kill "$wm_pid" 2>/dev/null || true
fi

python3 - "$out" "$nginx_rps" "$mock_rps" "$before" "$after" "$journaled" "$request_bytes" "$wiremock_rps" "$seconds" \
  "$mock_ratio" "${ratio_runs[*]}" "$fresh" "$warm" <<'PY'
import json, sys
out, nginx, mock, before, after, journaled, size, wiremock, seconds, ratio, ratios, fresh, warm = sys.argv[1:]
nginx, mock, journaled, size, ratio = float(nginx), float(mock), int(journaled), int(size), float(ratio)
ratios = [round(float(r), 3) for r in ratios.split()]
per_request = (int(after) - int(before)) * 1024 / max(journaled, 1)
limit = 2 * size + 512
result = {
    "benchmark": "mock_endpoint", "seconds": int(seconds), "connections": 64, "wrk_threads": 1,
    "nginx_rps": round(nginx), "webhook_mock_rps": round(mock), "ratio_vs_nginx": round(ratio, 3),
    "ratio_per_round": ratios,
    "target_ratio": 0.6, "journaled_requests": journaled, "request_bytes": size,
    "rss_bytes_per_journaled_request": round(per_request), "rss_target_bytes": limit,
    "rss_new_kib": int(fresh), "rss_warmed_kib": int(warm), "rss_after_clearing_kib": int(before),
}
if wiremock:
    result["wiremock_rps"] = round(float(wiremock))
    result["ratio_vs_wiremock"] = round(mock / float(wiremock), 1)
json.dump(result, open(out, "w"), indent=2)
print(f"| server (medians of {len(ratios)} alternating rounds) | requests/s | ratio |")
print(f"|---|---|---|")
print(f"| nginx (1 worker) | {nginx:,.0f} | 1.00 |")
print(f"| webhook-mock (1 thread, journal on) | {mock:,.0f} | {ratio:.3f} (target >= 0.60: {'met' if ratio >= 0.6 else 'NOT met'}; "
      f"rounds {', '.join(f'{r:.2f}' for r in ratios)}) |")
if wiremock:
    print(f"| WireMock 3.13.2 (journal on) | {float(wiremock):,.0f} | {float(wiremock) / nginx:.2f} |")
print()
print(f"memory: {per_request:,.0f} bytes resident per journaled request over {journaled:,} requests of "
      f"{size} bytes (target <= {limit}, twice the request plus 512: {'met' if per_request <= limit else 'NOT met'})")
print(f"        a new webhook-mock {int(fresh) // 1024} MiB resident, {int(warm) // 1024} MiB after a second of requests, "
      f"{int(before) // 1024} MiB once DELETE /__admin/requests cleared them")
print(f"results: {out}")
PY
