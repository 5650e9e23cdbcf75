#!/usr/bin/env bash
# make lint: clang-tidy-14 (.clang-tidy: bugprone-*, performance-*, no
# function over 80 lines) on every product source, with the compile
# commands of a build without precompiled headers (build/lint), plus two
# checks of our own: no product file over 600 lines, no raw new/delete of
# jobs. Exits 1 with what it found.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build/lint
# Configured every time (quick once done): new sources get their compile commands.
mkdir -p build
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON \
  -DBUILD_TESTING=OFF >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
# The generated version header must exist for the sources to parse.
cmake --build "$build" --target webhook_common >/dev/null
mapfile -t sources < <(git ls-files 'plugin/*.cpp' 'common/*.cpp' 'mock_endpoint/*.cpp' 'simulator/*.cpp' 'runner/*.cpp' 'integrations/*.cc')
status=0
started=$(date +%s)
# clang-tidy exits non-zero on a finding: what it printed decides.
findings=$(printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy-14 -p "$build" --quiet 2>/dev/null \
  | grep -E 'warning:|error:' | sort -u || true)
if [ -n "$findings" ]; then
  echo "$findings"
  status=1
fi
while read -r lines file; do
  if [ "$file" != total ] && [ "$lines" -gt 600 ]; then
    echo "$file: $lines lines (at most 600)"
    status=1
  fi
done < <(git ls-files 'plugin/*.[ch]pp' 'common/*.[ch]pp' 'mock_endpoint/*.[ch]pp' 'simulator/*.[ch]pp' 'runner/*.[ch]pp' 'integrations/*.cc' 'integrations/*.hpp' | xargs wc -l)
if git grep -nE 'new Job\b|delete (job|Job)' -- plugin; then
  echo "jobs are owned by unique_ptr: no raw new/delete"
  status=1
fi
echo "lint: ${#sources[@]} files in $(( $(date +%s) - started )) s: $([ $status = 0 ] && echo clean || echo findings above)"
exit $status
