#!/usr/bin/env bash
# scripts/build-base.sh COMMIT: builds COMMIT (Release) as build/release-base,
# from a detached worktree in build/base-src, for bench/compare.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
commit=${1:?usage: scripts/build-base.sh COMMIT}
src=build/base-src
if [ -d "$src" ]; then
  git -C "$src" checkout -q --detach "$commit"
else
  mkdir -p build
  git worktree add -q --detach "$src" "$commit"
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$src" -B build/release-base -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF "${launcher[@]}" \
  >build/release-base.configure.log 2>&1 || { cat build/release-base.configure.log; exit 1; }
cmake --build build/release-base --target webhook_output plugin-bench
echo "base: $(git -C "$src" log --oneline -1)"
