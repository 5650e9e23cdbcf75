#!/usr/bin/env bash
# A short run of runtime-bench against webhook-mock, so that `make test`
# catches a broken harness before `make bench` does: many activations on one
# runtime, a hung activation beside others, and steps on runtimes of their
# own; each checked for every record delivered and every figure
# bench/runtime.sh reads.
#   runtime_bench_smoke.sh RUNTIME_BENCH WEBHOOK_OUTPUT_SO WEBHOOK_MOCK
set -euo pipefail
bench=$1 plugin=$2 mock=$3
work=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
cat >"$work/hang.json" <<'JSON'
{"mappings": [{"request": {"urlPathPattern": "/hang/.*"}, "response": {"status": 200, "fixedDelayMilliseconds": 600000}}]}
JSON
"$mock" --port 0 --journal-limit 0 --mappings "$work/hang.json" >"$work/mock.out" 2>"$work/mock.err" &
pid=$!
for _ in $(seq 200); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$work/mock.out" | head -n1)
[[ -n "$url" ]] || { echo "runtime_bench_smoke: webhook-mock did not start" >&2; exit 1; }

# MAX_THREADS: the target, io_threads + 2 (a sanitizer has a thread of its own).
check() {  # check LABEL MAX_THREADS JSON
  python3 - "$@" <<'PY'
import json, sys
label, max_threads, run = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
problems = []
if run["completed"] != run["records"] or run["not_delivered"] != 0:
    problems.append(f"completed {run['completed']} of {run['records']}, {run['not_delivered']} not delivered")
if run["threads"] > max_threads:
    problems.append(f"{run['threads']} threads (at most {max_threads})")
for key in ("rss_per_activation_kib", "create_s", "records_per_s"):
    if not run[key] > 0:
        problems.append(f"no {key}")
if problems:
    sys.exit(f"runtime_bench_smoke {label}: " + "; ".join(problems))
print(f"runtime_bench_smoke {label}: {run['activations']} activations, {run['threads']} threads, "
      f"{run['rss_per_activation_kib']:.1f} KiB each, {run['records_per_s']:.0f} records/s")
PY
}
check shared 3 "$("$bench" "$plugin" "$url" 500 5000 --concurrency 4)"
check hung 3 "$("$bench" "$plugin" "$url" 20 2000 --concurrency 4 --hung)"
check own 7 "$("$bench" "$plugin" "$url" 5 500 --own-runtimes)"
# Its refusals: a bad command line is exit 2.
set +e
"$bench" "$plugin" "$url" 0 10 >/dev/null 2>&1
status=$?
set -e
(( status == 2 )) || { echo "runtime_bench_smoke: 0 activations exited $status, not 2" >&2; exit 1; }
