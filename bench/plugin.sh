#!/usr/bin/env bash
# The plugin's delivery through the ABI against wrk, on the same nginx (one
# worker, loopback), over HTTP and HTTPS, in the same run; then latency at
# half the plugin's maximum rate. Bounded: a fixed number of records.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/common.sh"
build=${1:-build/release}
records=${BENCH_RECORDS:-300000}
seconds=${BENCH_SECONDS:-8}
out=${BENCH_JSON:-$build/bench-plugin.json}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# A CA and a certificate for 127.0.0.1, made now, never committed.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=bench CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
  -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null

http_port=$(free_port); https_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$http_port;
    listen 127.0.0.1:$https_port ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    location / { return 200 'ok'; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" & pids+=($!)
wait_port "$http_port"; wait_port "$https_port"

# wrk with a body of the plugin's rendered size.
body_size=$(python3 -c 'import json; print(len(json.dumps({"id": "user-12345", "email": "user12345@example.com", "tier": "gold", "event": "purchase", "sku": "SKU-123", "amount": 123.5, "n": 123456, "time": "2026-11-26T10:00:00Z", "journey": "Bench", "stage": "Stage 1"}, separators=(",", ":"))))')
python3 - "$work/body.lua" "$body_size" <<'PY'
import sys
open(sys.argv[1], "w").write('wrk.method = "POST"\nwrk.body = "' + "x" * int(sys.argv[2]) + '"\nwrk.headers["Content-Type"] = "application/json"\n')
PY
wrk_rps_body() { wrk -t1 -c64 -d"${2}s" -s "$work/body.lua" "$1" | awk '/^Requests\/sec:/ {print $2}'; }

wrk_rps_body "http://127.0.0.1:$http_port/v1/hook" 1 >/dev/null
wrk_http=$(wrk_rps_body "http://127.0.0.1:$http_port/v1/hook" "$seconds")
plugin_http=$("$build/bench/plugin-bench" "$build/plugin/webhook_output.so" "http://127.0.0.1:$http_port/v1/hook" "$records")
wrk_https=$(wrk_rps_body "https://127.0.0.1:$https_port/v1/hook" "$seconds")
plugin_https=$("$build/bench/plugin-bench" "$build/plugin/webhook_output.so" "https://127.0.0.1:$https_port/v1/hook" "$records" --ca "$work/ca.pem")
half=$(python3 -c 'import json,sys; print(int(json.loads(sys.argv[1])["records_per_second"] / 2))' "$plugin_http")
plugin_half=$("$build/bench/plugin-bench" "$build/plugin/webhook_output.so" "http://127.0.0.1:$http_port/v1/hook" "$((half * 3))" --rate "$half")
plugin_spool=$("$build/bench/plugin-bench" "$build/plugin/webhook_output.so" "http://127.0.0.1:$http_port/v1/hook" "$records" --spool "$work/spool")
plugin_1m=""
if [[ -z "${BENCH_SKIP_1M:-}" ]]; then
  plugin_1m=$("$build/bench/plugin-bench" "$build/plugin/webhook_output.so" "http://127.0.0.1:$http_port/v1/hook" 1000000)
fi

python3 - "$out" "$wrk_http" "$plugin_http" "$wrk_https" "$plugin_https" "$plugin_half" "$plugin_1m" "$body_size" "$plugin_spool" <<'PY'
import json, sys
out, wrk_http, p_http, wrk_https, p_https, p_half, p_1m, size, p_spool = sys.argv[1:]
p_http, p_https, p_half, p_spool = json.loads(p_http), json.loads(p_https), json.loads(p_half), json.loads(p_spool)
wrk_http, wrk_https = float(wrk_http), float(wrk_https)
result = {"benchmark": "plugin_delivery", "body_bytes": int(size), "connections": 64,
          "wrk_http_rps": round(wrk_http), "plugin_http_rps": p_http["records_per_second"],
          "ratio_http": round(p_http["records_per_second"] / wrk_http, 3),
          "wrk_https_rps": round(wrk_https), "plugin_https_rps": p_https["records_per_second"],
          "ratio_https": round(p_https["records_per_second"] / wrk_https, 3), "target_ratio": 0.8,
          "latency_at_max_us": {k: p_http["stats"]["latency"][k] for k in ("p50_us", "p99_us")},
          "half_rate": p_half["records_per_second"],
          "latency_at_half_us": {k: p_half["stats"]["latency"][k] for k in ("p50_us", "p99_us")},
          "peak_rss_kib": p_http["peak_rss_kib"],
          "spool_batch_rps": p_spool["records_per_second"],
          "ratio_spool_batch_vs_none": round(p_spool["records_per_second"] / p_http["records_per_second"], 3)}
if p_1m:
    p_1m = json.loads(p_1m)
    result.update({"rss_after_100k_kib": p_1m["rss_100k_kib"], "rss_after_1m_kib": p_1m["rss_end_kib"],
                   "rss_growth_100k_to_1m": round(p_1m["rss_end_kib"] / max(p_1m["rss_100k_kib"], 1) - 1, 3)})
json.dump(result, open(out, "w"), indent=2)
print("| plugin delivery (1 delivery thread, 64 connections) | records/s | wrk requests/s | ratio |")
print("|---|---|---|---|")
print(f"| HTTP, {size}-byte JSON body from 10 variables | {p_http['records_per_second']:,.0f} | {wrk_http:,.0f} | {result['ratio_http']:.2f} (target >= 0.80) |")
print(f"| HTTPS | {p_https['records_per_second']:,.0f} | {wrk_https:,.0f} | {result['ratio_https']:.2f} (target >= 0.80) |")
print(f"| HTTP with the spool (fsync batch) | {p_spool['records_per_second']:,.0f} | records/s without a spool: {p_http['records_per_second']:,.0f} | {result['ratio_spool_batch_vs_none']:.2f} (target >= 0.60) |")
print()
print(f"latency submit -> completion at full rate: p50 {result['latency_at_max_us']['p50_us']} us, p99 {result['latency_at_max_us']['p99_us']} us")
print(f"latency at half rate ({p_half['records_per_second']:,.0f}/s): p50 {result['latency_at_half_us']['p50_us']} us, "
      f"p99 {result['latency_at_half_us']['p99_us']} us (target p99 < 2000 us)")
if p_1m:
    print(f"RSS after 100k records {result['rss_after_100k_kib'] // 1024} MiB, after 1M {result['rss_after_1m_kib'] // 1024} MiB "
          f"({result['rss_growth_100k_to_1m'] * 100:+.1f} %, target within 10 %)")
print(f"results: {out}")
PY
