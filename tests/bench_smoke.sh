#!/usr/bin/env bash
# A short run of the plugin's benchmark driver against webhook-mock, so that
# `make test` catches a broken harness before `make bench` does: full rate
# over HTTP and HTTPS, then paced (with the wake-up probe; again with busy
# polling; again in batches of 32), then with the runner driving the step's
# I/O (full rate and paced), each checked for every record delivered
# and every figure bench/plugin.sh reads; then the latency reference
# (paced-client) the same way, and its refusals.
#   bench_smoke.sh PLUGIN_BENCH WEBHOOK_OUTPUT_SO WEBHOOK_MOCK PACED_CLIENT
set -euo pipefail
bench=$1 plugin=$2 mock=$3 paced=$4
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start NAME ARGS...: webhook-mock on a free port; its URL in $url. Not run
# in a command substitution: its pid must reach `pids` in this shell, or the
# cleanup would leave the process running.
start() {
  local name=$1
  shift
  "$mock" --port 0 --journal-limit 1000 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 200); do grep -q '^listening on ' "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
  url=$(sed -n 's/^listening on //p' "$work/$name.out" | head -n1)
}
start http; http=$url
start https --https --write-ca "$work/ca.pem"; https=$url
[[ -n "$http" && -n "$https" ]] || { echo "bench_smoke: webhook-mock did not start" >&2; exit 1; }
# Both are known to the cleanup (a pid lost in a subshell left them running).
(( ${#pids[@]} == 2 )) || { echo "bench_smoke: the webhook-mock processes are not tracked" >&2; exit 1; }

check() {  # check LABEL JSON [paced]
  python3 - "$@" <<'PY'
import json, sys
label, text = sys.argv[1], sys.argv[2]
paced = len(sys.argv) > 3
run = json.loads(text)
problems = []
if run["delivered"] != run["records"]:
    problems.append(f"delivered {run['delivered']} of {run['records']} ({run['first_error']})")
if not run["records_per_second"] > 0:
    problems.append("no records/s")
cpu = run["cpu_us_per_record"]
keys = ("plugin_threads", "runner_thread") if paced else ("plugin_threads", "plugin_threads_system", "submit", "runner_own")
problems += [f"cpu_us_per_record has no {k}" for k in keys if k not in cpu]
if paced:
    wake = run["wakeup_delay"]
    problems += [f"wakeup_delay has no {k}" for k in ("p50_us", "p99_us", "p999_us", "max_us") if k not in wake]
else:
    if run["wakeup_delay"] is not None:
        problems.append("wakeup_delay measured at full rate")
problems += [f"stats have no {k}" for k in ("latency_to_send", "latency_response") if k not in run["stats"]]
latency = run["stats"]["latency"]
if latency["count"] != run["records"] + min(2000, run["records"] // 10):
    problems.append(f"latency count {latency['count']}")
if problems:
    sys.exit(f"bench_smoke {label}: " + "; ".join(problems))
print(f"bench_smoke {label}: {run['records']} records, {run['records_per_second']:.0f}/s")
PY
}
# Each run's output in a variable first: an assignment fails the script when
# the driver fails (a sanitizer's report included); an argument would not.
run=$("$bench" "$plugin" "$http/v1/hook" 5000)
check http "$run"
run=$("$bench" "$plugin" "$https/v1/hook" 2000 --ca "$work/ca.pem")
check https "$run"
run=$("$bench" "$plugin" "$http/v1/hook" 2000 --rate 4000 --trace "$work/trace.txt")
check paced "$run" paced
# The trace: a line per timed record, and what bench/plugin.sh reads of its summary.
episodes=$(python3 "$(dirname "$0")/../bench/latency_episodes.py" "$work/trace.txt")
python3 - "$episodes" "$(wc -l <"$work/trace.txt")" <<'PY'
import json, sys
summary, lines = json.loads(sys.argv[1]), int(sys.argv[2])
keys = ("records", "over_threshold_percent", "episodes", "longest_episode_ms", "episode_time_percent",
        "arrivals_per_ms_in_episodes", "completions_per_ms_in_episodes", "peak_completions_per_ms")
problems = [f"no {k}" for k in keys if k not in summary]
if lines != 2000 or summary.get("records") != 2000:
    problems.append(f"trace of {lines} lines, summary of {summary.get('records')} records (2000 timed)")
if problems:
    sys.exit("bench_smoke trace: " + "; ".join(problems))
print(f"bench_smoke trace: {summary}")
PY
run=$("$bench" "$plugin" "$http/v1/hook" 2000 --rate 4000 --busy-poll-us 50)
check "paced, busy polling" "$run" paced
run=$("$bench" "$plugin" "$http/v1/hook" 2000 --rate 4000 --batch 32)
check "paced, batches of 32" "$run" paced
# The runner driving the step's I/O (output-step.host-io/1): at full rate
# the process has no thread but the runner's (the step started none), and
# paced, only the wake-up probe's beside it.
run=$("$bench" "$plugin" "$http/v1/hook" 5000 --host-io)
check "host-driven I/O" "$run"
python3 - "$run" <<'PY'
import json, sys
cpu = json.loads(sys.argv[1])["cpu_us_per_record"]
if cpu["plugin_threads"] != 0 or not cpu["submit"] > 0:
    sys.exit(f"bench_smoke host-driven I/O: CPU outside the runner's thread, or none in submit/poll: {cpu}")
PY
run=$("$bench" "$plugin" "$http/v1/hook" 2000 --rate 4000 --host-io)
check "paced, host-driven I/O" "$run" paced

# The latency reference: every request answered, timed, at about the rate asked.
run=$("$paced" "$http/v1/hook" 2000 --rate 4000 --batch 32 --body-size 211 --header "Content-Type: application/json")
python3 - "$run" <<'PY'
import json, sys
run = json.loads(sys.argv[1])
problems = []
if run["requests"] != 2000 or run["failed"] != 0:
    problems.append(f"{run['failed']} of {run['requests']} requests failed")
latency = run["latency"]
if not 0 < latency["p50_us"] <= latency["p99_us"] <= latency["p999_us"] <= latency["max_us"]:
    problems.append(f"percentiles out of order: {latency}")
if not 0.3 < run["seconds"] < 5:
    problems.append(f"2000 requests at 4000/s took {run['seconds']} s")
if problems:
    sys.exit("bench_smoke paced-client: " + "; ".join(problems))
print(f"bench_smoke paced-client: p50 {latency['p50_us']} us, p99 {latency['p99_us']} us")
PY
# What the mock received is what the reference sent: the body and the header asked for.
python3 - "$http" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/__admin/requests?limit=1") as response:
    request = json.load(response)["requests"][0]["request"]
if request["body"] != "x" * 211 or request["headers"].get("Content-Type") != "application/json":
    sys.exit(f"bench_smoke paced-client: the mock received {request['headers']} and a body of {len(request['body'])} bytes")
PY
# Refusals: exit status 2 and a message that names what is wrong.
refused() {  # refused EXPECTED-TEXT PROGRAM ARGS...
  local expected=$1 status=0
  shift
  "$@" >/dev/null 2>"$work/refused.err" || status=$?
  if (( status != 2 )) || ! grep -qF -- "$expected" "$work/refused.err"; then
    echo "bench_smoke $*: exit status $status, $(cat "$work/refused.err")" >&2
    exit 1
  fi
}
refused "loopback" "$paced" "http://10.0.0.1:80/" 10 --rate 10
refused "--rate is required" "$paced" "$http/v1/hook" 10
refused "unknown option" "$paced" "$http/v1/hook" 10 --rate 10 --bogus 1
refused "--batch must be 1 to 64" "$paced" "$http/v1/hook" 10 --rate 10 --batch 65
echo "bench_smoke paced-client: refusals as documented"
# plugin-bench's own: a batch out of range, or without a rate to pace it.
refused "--batch must be 1 to 64" "$bench" "$plugin" "$http/v1/hook" 10 --rate 10 --batch 0
refused "--batch paces records: it needs --rate" "$bench" "$plugin" "$http/v1/hook" 10 --batch 32
refused "option '--rate' needs a value" "$bench" "$plugin" "$http/v1/hook" 10 --host-io --rate
echo "bench_smoke plugin-bench: refusals as documented"
