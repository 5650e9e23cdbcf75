#!/usr/bin/env bash
# docs/plugin.md's C example, as the page shows it: the first ```c block under
# "Loading it from a runner (C)", its configuration placeholder ("{...}", "see
# below") filled with the page's own "## Configuration" block, whose endpoint
# (https://api.example.com) is pointed at a webhook-mock on a free loopback
# port. Built with the C compiler given, run in a scratch directory beside the
# module (the example loads "./webhook_output.so"): its one record must be
# delivered, and the mock must have received exactly that one request, as the
# configuration renders it.
#   test_c_example.sh CC INCLUDE_DIR WEBHOOK_OUTPUT_SO WEBHOOK_MOCK
set -euo pipefail
cc=$1
include=$(realpath "$2")
plugin=$(realpath "$3")
mock=$(realpath "$4")
page=$(realpath "$(dirname "$0")/../../docs/plugin.md")
work=$(mktemp -d)
mock_pid=
cleanup() {
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

# block HEADING LANGUAGE: the first ```LANGUAGE block after the line HEADING.
block() {
  awk -v heading="$1" -v fence="\`\`\`$2" '
    $0 == heading { under = 1; next }
    under && !inside && $0 == fence { inside = 1; next }
    inside && $0 == "```" { exit }
    inside { print }' "$page"
}
block "## Loading it from a runner (C)" c >"$work/example.c"
[[ -s "$work/example.c" ]] || fail "no \`\`\`c block under 'Loading it from a runner (C)' in $page"
block "## Configuration" json >"$work/config.json"
[[ -s "$work/config.json" ]] || fail "no \`\`\`json block under '## Configuration' in $page"
grep -q 'https://api.example.com' "$work/config.json" || fail "the configuration no longer names https://api.example.com"
grep -qF 'const char *config = "{...}";' "$work/example.c" || fail "the example no longer has its configuration placeholder"
ok "extracted the example ($(wc -l <"$work/example.c") lines) and the page's configuration"

"$mock" --port 0 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 200); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
base=$(sed -n 's/^listening on //p' "$work/mock.out" | head -n1)
[[ -n "$base" ]] || { cat "$work/mock.err" >&2; fail "webhook-mock did not start"; }

# The configuration, pointed at the mock, as one C string literal (a line each).
# Its TLS settings do not apply to http://; a machine without the CA bundle they
# name would refuse them, so there the line goes (a trailing comma is accepted).
sed "s#https://api\.example\.com#$base#g" "$work/config.json" >"$work/config-local.json"
bundle=$(sed -n 's#.*"ca_file": "\([^"]*\)".*#\1#p' "$work/config-local.json")
if [[ -n "$bundle" && ! -r "$bundle" ]]; then
  sed -i '/"tls": {/d' "$work/config-local.json"
  echo "note: $bundle is missing here: the configuration's \"tls\" line left out"
fi
{
  echo "#define EXAMPLE_CONFIG \\"
  sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/  "&\\n" \\/' "$work/config-local.json"
  echo '  ""'
} >"$work/example_config.h"
sed 's/"{\.\.\.}"/EXAMPLE_CONFIG/' "$work/example.c" >"$work/main.c"
"$cc" -std=c11 -Wall -Werror -I"$include" -include "$work/example_config.h" "$work/main.c" -o "$work/example" -ldl \
  2>"$work/cc.err" || { cat "$work/cc.err" >&2; fail "$cc could not build the example"; }
ok "built with $cc -std=c11 -Wall -Werror"

ln -s "$plugin" "$work/webhook_output.so"
status=0
out=$(cd "$work" && CRM_API_KEY=doc-key ./example 2>&1) || status=$?
(( status == 0 )) || fail "the example exited $status: $out"
[[ "$out" == "record 1: outcome 0, HTTP 200, 1 attempts" ]] ||
  fail "the example printed '$out' (expected 'record 1: outcome 0, HTTP 200, 1 attempts'; a record missing a template's variable is dead-lettered)"
ok "the example delivered its record: $out"

journal=$(curl -sS "$base/__admin/requests")
[[ "$journal" == *'"meta":{"total":1}'* ]] || fail "webhook-mock received other than one request: $journal"
count=$(curl -sS -X POST "$base/__admin/requests/count" -d '{"method": "POST", "urlPath": "/v1/users/u1/events",
  "headers": {"Authorization": {"equalTo": "Bearer doc-key"}, "X-Journey": {"equalTo": "Onboarding"},
              "Content-Type": {"contains": "application/json"}, "webhook-id": {"matches": "msg_.+"}},
  "bodyPatterns": [{"equalToJson": {"email": "u1@example.com", "amount": 42}}]}')
[[ "$count" == *'"count":1'* ]] || fail "the one request is not the one the configuration renders ($count): $journal"
ok "webhook-mock received exactly one request: POST /v1/users/u1/events, its headers and body as configured"
