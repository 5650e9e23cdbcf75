#!/usr/bin/env bash
# The binding as a user installs it: `pip install --no-build-isolation ./python`
# offline (--no-index) into a venv made with Debian's Python
# (--system-site-packages: Debian's Python is externally managed), then the
# example run from that venv, outside the source tree, finding the webhook
# module through pkg-config in a staging install of this build.
#   test_pip_install.sh BUILD_DIR PYTHON_SOURCE_DIR VERSION
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
version=$3
work=$(mktemp -d)
mock_pid=
cleanup() {
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

cp -r "$source" "$work/src"  # the build writes beside the sources: not into the checkout
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --no-build-isolation --no-index --quiet "$work/src" >"$work/pip.log" 2>&1 ||
  { cat "$work/pip.log" >&2; fail "pip install --no-build-isolation"; }
cd "$work"
where=$(venv/bin/python -c 'import output_step; print(output_step.__file__)')
[[ "$where" == "$work/venv/"*site-packages/output_step/__init__.py ]] || fail "imported from $where"
[[ "$(venv/bin/python -c 'import output_step; print(output_step.__version__)')" == "$version" ]] ||
  fail "output_step.__version__ is not $version"
[[ "$(venv/bin/pip show output-step | sed -n 's/^Version: //p')" == "$version" ]] || fail "pip show: not $version"
ok "pip install --no-build-isolation --no-index into a venv: output-step $version, imported from the venv"

cmake --install "$build" --prefix "$work/prefix" >/dev/null
"$work/prefix/bin/webhook-mock" --port 0 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 200); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
base=$(sed -n 's/^listening on //p' "$work/mock.out" | head -n1)
[[ -n "$base" ]] || fail "webhook-mock did not start"
out=$(env -u OUTPUT_STEP_MODULE PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" venv/bin/python "$source/examples/deliver.py" "$base") ||
  fail "examples/deliver.py exit $?: $out"
[[ $(grep -c ': delivered (HTTP 200, 1 attempt(s))$' <<<"$out") -eq 3 ]] || fail "examples/deliver.py printed: $out"
ok "examples/deliver.py from the venv, the module found through pkg-config: 3 delivered"
