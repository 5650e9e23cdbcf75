#!/usr/bin/env bash
# `cmake --install` into a staging prefix, then a runner outside this project
# (consumer/deliver.c) built against what was installed, once with
# find_package(OutputStep CONFIG) and once with pkg-config output-step: each
# loads the installed webhook module and delivers to the installed
# webhook-mock. The prefix is then moved: the CMake package still finds the
# module (it is relocatable; output-step.pc names the prefix it was installed to).
#   test_install.sh BUILD_DIR CONSUMER_SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
consumer=$(realpath "$2")
work=$(mktemp -d)
mock_pid=
cleanup() {
  [[ -n "$mock_pid" ]] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

prefix=$work/stage/usr
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log" >&2; fail "cmake --install"; }
for f in include/output_step/output_step.h lib/output-step/webhook_output.so lib/output-step/redis_stream_output.so \
         bin/journey-sim bin/webhook-mock bin/output-runner share/doc/webhook-output/README.md \
         share/doc/webhook-output/plugin.md share/webhook-output/scenarios/welcome-journey.json \
         lib/cmake/OutputStep/OutputStepConfig.cmake lib/pkgconfig/output-step.pc; do
  [[ -e "$prefix/$f" ]] || fail "not installed: $f"
done
ok "the layout: header, modules, executables, docs, scenarios, CMake package, pkg-config file"
for exe in journey-sim webhook-mock output-runner; do
  if readelf -d "$prefix/bin/$exe" | grep -qE 'R(UN)?PATH'; then fail "$exe keeps a run path into the build"; fi
  "$prefix/bin/$exe" --version | grep -q "^$exe " || fail "$exe --version"
done
ok "installed executables run from the prefix (no run path into the build)"

"$prefix/bin/webhook-mock" --port 0 >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 200); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
base=$(sed -n 's/^listening on //p' "$work/mock.out" | head -n1)
[[ -n "$base" ]] || { cat "$work/mock.err" >&2; fail "webhook-mock did not start"; }

# find_package(OutputStep CONFIG)
cmake -S "$consumer" -B "$work/with-cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; fail "configuring the consumer with find_package"; }
cmake --build "$work/with-cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "building it"; }
cmake_module=$(cat "$work/with-cmake/webhook_module.txt")
[[ "$(realpath "$cmake_module")" == "$(realpath "$prefix/lib/output-step/webhook_output.so")" ]] ||
  fail "OutputStep_WEBHOOK_MODULE is '$cmake_module'"
out=$("$work/with-cmake/deliver" "$cmake_module" "$base") || fail "deliver (find_package) exit $?: $out"
[[ "$out" == "outcome 0, HTTP 200, 1 attempts" ]] || fail "deliver (find_package) printed '$out'"
ok "find_package(OutputStep CONFIG): OutputStep::headers, OutputStep_WEBHOOK_MODULE, delivered"

# pkg-config output-step
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pc_module=$(pkg-config --variable=webhook_module output-step)
[[ "$pc_module" == "$prefix/lib/output-step/webhook_output.so" ]] || fail "webhook_module is '$pc_module'"
cc -Wall -Wextra -Werror $(pkg-config --cflags output-step) "$consumer/deliver.c" -o "$work/deliver-pc" -ldl ||
  fail "cc with pkg-config --cflags"
out=$("$work/deliver-pc" "$pc_module" "$base") || fail "deliver (pkg-config) exit $?: $out"
[[ "$out" == "outcome 0, HTTP 200, 1 attempts" ]] || fail "deliver (pkg-config) printed '$out'"
[[ "$(pkg-config --modversion output-step)" == "$("$prefix/bin/journey-sim" --version | awk '{print $2}')" ]] ||
  fail "output-step.pc's version is not the executables'"
ok "pkg-config output-step: --cflags, webhook_module, the version, delivered"

count=$(curl -sS -X POST "$base/__admin/requests/count" -d '{"url": "/installed/u1", "method": "POST",
  "headers": {"Authorization": {"equalTo": "Bearer installed-key"}}}')
[[ "$count" == *'"count":2'* ]] || fail "webhook-mock counted $count"
ok "webhook-mock received both deliveries"

# A moved prefix: the CMake package finds the module where it now is.
mv "$work/stage" "$work/moved"
moved=$work/moved/usr
cmake -S "$consumer" -B "$work/after-move" -G Ninja -DCMAKE_PREFIX_PATH="$moved" >"$work/cmake2.log" 2>&1 ||
  { cat "$work/cmake2.log" >&2; fail "find_package after the prefix moved"; }
[[ "$(cat "$work/after-move/webhook_module.txt")" == "$moved/lib/output-step/webhook_output.so" ]] ||
  fail "OutputStep_WEBHOOK_MODULE after the move: $(cat "$work/after-move/webhook_module.txt")"
ok "a moved prefix: find_package finds the module where it now is"
