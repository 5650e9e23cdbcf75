#!/usr/bin/env bash
# `make package-check`: the Debian package installed as a user installs it
# (apt-get install ./FILE.deb), used from the installed files only (journey-sim
# --version, a demo scenario through the installed module), then purged: the
# machine is left as it was (every package apt-get pulled in for it purged
# too, nothing of it left under /usr). Root only; refuses when webhook-output
# is installed already (it would be removed after). With CONSUMER_DIR
# (tests/install/consumer), also builds that out-of-tree runner against the
# installed CMake package and delivers to the installed webhook-mock.
#   package-check.sh DEB [CONSUMER_DIR]
set -euo pipefail
deb=$(realpath "$1")
consumer=${2:+$(realpath "$2")}
fail() { echo "package-check: FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "run as root (it installs and purges $(basename "$deb"))"
if dpkg-query -W -f='${Status}' webhook-output 2>/dev/null | grep -q "ok installed"; then
  fail "webhook-output is installed already; this check installs and purges it: remove it first"
fi
version=$(dpkg-deb --field "$deb" Version)
before=$(mktemp) after=$(mktemp) work=$(mktemp -d)
installed= mock_pid=
cleanup() {
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  if [[ -n "$installed" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq webhook-output >/dev/null 2>&1 || true
  fi
  rm -rf "$before" "$after" "$work"
}
trap cleanup EXIT
dpkg-query -W -f='${Package}\n' | sort >"$before"

echo "package-check: apt-get install $(basename "$deb")"
installed=yes
# What this install pulls in, from apt's own plan: only those are purged after.
apt-get install -s --no-install-recommends "$deb" 2>/dev/null | awk '/^Inst /{print $2}' | grep -vx webhook-output |
  sort >"$work/pulled" || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt.log" 2>&1 ||
  { cat "$work/apt.log" >&2; fail "apt-get install"; }
[[ "$(command -v journey-sim)" == /usr/bin/journey-sim ]] || fail "journey-sim is not /usr/bin/journey-sim"
[[ "$(journey-sim --version)" == "journey-sim $version" ]] || fail "journey-sim --version: $(journey-sim --version)"
echo "package-check: $(journey-sim --version)"
(cd "$work" && journey-sim run /usr/share/webhook-output/scenarios/welcome-journey.json \
   --plugin /usr/lib/output-step/webhook_output.so --junit "$work/report.xml") >"$work/run.log" 2>&1 ||
  { cat "$work/run.log" >&2; fail "the demo scenario from the installed files"; }
grep -q 'failures="0"' "$work/report.xml" || fail "the demo's report has failures"
echo "package-check: the demo scenario passed through /usr/lib/output-step/webhook_output.so"
[[ "$(pkg-config --variable=webhook_module output-step)" == /usr/lib/output-step/webhook_output.so ]] ||
  fail "pkg-config output-step does not find the installed module"
if [[ -n "$consumer" ]]; then
  webhook-mock --port 0 >"$work/mock.out" 2>"$work/mock.err" &
  mock_pid=$!
  for _ in $(seq 200); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
  base=$(sed -n 's/^listening on //p' "$work/mock.out" | head -n1)
  [[ -n "$base" ]] || fail "the installed webhook-mock did not start"
  cmake -S "$consumer" -B "$work/consumer" -G Ninja >"$work/consumer.log" 2>&1 &&
    cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1 || { cat "$work/consumer.log" >&2; fail "find_package(OutputStep)"; }
  out=$("$work/consumer/deliver" "$(cat "$work/consumer/webhook_module.txt")" "$base") || fail "deliver: $out"
  kill "$mock_pid" && wait "$mock_pid" 2>/dev/null || true
  mock_pid=
  echo "package-check: a runner built with find_package(OutputStep) delivered to the installed webhook-mock ($out)"
fi

DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq webhook-output >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log" >&2; fail "apt-get purge"; }
installed=
dpkg-query -W -f='${Package}\n' | sort >"$after"
pulled=$(comm -12 "$work/pulled" <(comm -13 "$before" "$after"))
if [[ -n "$pulled" ]]; then
  echo "package-check: purging what the install pulled in: $(echo $pulled)"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $pulled >/dev/null
fi
for f in /usr/bin/journey-sim /usr/lib/output-step /usr/include/output_step /usr/share/doc/webhook-output \
         /usr/share/webhook-output /usr/lib/pkgconfig/output-step.pc /usr/lib/cmake/OutputStep; do
  [[ ! -e "$f" ]] || fail "$f is left after the purge"
done
dpkg-query -W -f='${Package}\n' | sort >"$after"
cmp -s "$before" "$after" || fail "the installed packages differ from before: $(diff "$before" "$after" | tail -5)"
echo "package-check: purged; the machine's packages are as before"
