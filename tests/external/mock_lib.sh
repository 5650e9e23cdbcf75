# Helpers for the tests that drive a webhook-mock process with real clients
# (ab, curl): start it on a free port, stop it on exit, fail with a message.
#   source mock_lib.sh; start_mock WEBHOOK_MOCK [OPTION...]; then $base is its URL.

work=$(mktemp -d "${TMPDIR:-/tmp}/webhook-mock-external.XXXXXX")
mock_pid=
cleanup() {
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [[ -s "$work/mock.err" ]] && { echo "--- webhook-mock's stderr:" >&2; cat "$work/mock.err" >&2; }
  exit 1
}

# Skips (exit 77, the test's SKIP_RETURN_CODE) when a client is missing.
need() {
  command -v "$1" >/dev/null || { echo "SKIPPED: $1 is not installed (Debian: $2; scripts/setup.sh installs it)"; exit 77; }
}

start_mock() {
  local binary=$1
  shift
  "$binary" --port 0 "$@" >"$work/mock.out" 2>"$work/mock.err" &
  mock_pid=$!
  for _ in $(seq 200); do
    grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break
    kill -0 "$mock_pid" 2>/dev/null || fail "webhook-mock exited at start"
    sleep 0.05
  done
  base=$(sed -n 's/^listening on //p' "$work/mock.out")
  [[ -n "$base" ]] || fail "webhook-mock did not say where it listens"
}
