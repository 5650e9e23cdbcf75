#!/usr/bin/env bash
# The Debian package CPack makes of the build (what `make package` makes):
# its control fields (dpkg-deb --info) and what it holds (dpkg-deb --contents).
#   test_package.sh BUILD_DIR VERSION
set -euo pipefail
build=$(realpath "$1")
version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

cpack --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail cpack; }
deb=$work/webhook-output_${version}_amd64.deb
[[ -f "$deb" ]] || fail "no $(basename "$deb") (made: $(ls "$work"))"
ok "cpack made $(basename "$deb")"

field() { dpkg-deb --field "$deb" "$1"; }
[[ "$(field Package)" == webhook-output ]] || fail "Package: $(field Package)"
[[ "$(field Version)" == "$version" ]] || fail "Version: $(field Version)"
[[ "$(field Architecture)" == amd64 ]] || fail "Architecture: $(field Architecture)"
[[ -n "$(field Maintainer)" && -n "$(field Description)" ]] || fail "no Maintainer or Description"
depends=$(field Depends)
# Computed by dpkg-shlibdeps from what the binaries link: every runtime
# library of the build's dependencies, none of the -dev packages.
for lib in libc6 libstdc++6 libssl3 libboost-json1.81.0 libboost-url1.81.0 libboost-program-options1.81.0 libre2-9; do
  [[ "$depends" == *"$lib ("* ]] || fail "Depends lacks $lib: $depends"
done
[[ "$depends" != *-dev* ]] || fail "Depends names a -dev package: $depends"
ok "control: Package, Version $version, Architecture amd64, Depends from the binaries ($depends)"

dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
for f in /usr/bin/journey-sim /usr/bin/webhook-mock /usr/bin/output-runner /usr/include/output_step/output_step.h \
         /usr/lib/output-step/webhook_output.so /usr/lib/output-step/redis_stream_output.so \
         /usr/lib/cmake/OutputStep/OutputStepConfig.cmake /usr/lib/cmake/OutputStep/OutputStepTargets.cmake \
         /usr/lib/pkgconfig/output-step.pc /usr/share/doc/webhook-output/README.md \
         /usr/share/doc/webhook-output/scale-out.md /usr/share/webhook-output/scenarios/welcome-journey.json; do
  grep -qxF "$f" "$work/contents" || fail "the package lacks $f"
done
outside=$(grep -v '^/usr/' "$work/contents" | grep -vx '/' || true)
[[ -z "$outside" ]] || fail "files outside /usr: $outside"
for tool in plugin-bench paced-client runtime-bench outage-bench unit_tests; do
  ! grep -q "/$tool\$" "$work/contents" || fail "the package holds the build's own $tool"
done
ok "contents: executables, modules, header, CMake package, pkg-config file, docs, scenarios; all under /usr"

dpkg-deb --extract "$deb" "$work/root"
for dir in "$build" "$work"; do
  if grep -rlF "$dir" "$work/root" >/dev/null; then fail "a packaged file names $dir: $(grep -rlF "$dir" "$work/root")"; fi
done
grep -qx 'prefix=/usr' "$work/root/usr/lib/pkgconfig/output-step.pc" || fail "output-step.pc's prefix is not /usr"
for exe in journey-sim webhook-mock output-runner; do
  file=$work/root/usr/bin/$exe
  readelf -S "$file" | grep -q '\.debug_info' && fail "$exe is not stripped"
  "$file" --version | grep -q "^$exe $version\$" || fail "$exe --version from the package"
done
ok "stripped, no path into the build, each executable says $version"
