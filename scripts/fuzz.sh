#!/usr/bin/env bash
# make fuzz: builds the fuzz targets with clang's libFuzzer (preset `fuzz`:
# ASan + UBSan) and runs each for FUZZ_SECONDS (60), starting from its
# committed corpus (tests/fuzz/corpus/NAME) in a working copy under
# build/fuzz/corpus, so that what it finds stays out of the tree until
# someone adds it. A failing input is written to build/fuzz/artifacts and
# the command exits 1 naming it; replay it with `build/fuzz/tests/fuzz_NAME FILE`.
#
#   bash scripts/fuzz.sh [NAME...]    (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(response_reader record_reader template spool_recovery config scenario stub_matching admin_api resp_reply)
seconds=${FUZZ_SECONDS:-60}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake --preset fuzz "${launcher[@]}" >build/fuzz.configure.log 2>&1 || { cat build/fuzz.configure.log; exit 1; }
cmake --build build/fuzz --target "${targets[@]/#/fuzz_}"
mkdir -p build/fuzz/artifacts
failed=()
for name in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$name
  mkdir -p "$corpus"
  cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds} s"
  dict=()
  [[ -f tests/fuzz/dict/$name.dict ]] && dict=(-dict=tests/fuzz/dict/"$name".dict)  # the format's words
  if ! build/fuzz/tests/fuzz_"$name" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${dict[@]}" \
       -artifact_prefix=build/fuzz/artifacts/"$name"- "$corpus" >build/fuzz/"$name".log 2>&1; then
    failed+=("$name")
    grep -E "^/.*fuzz_.*\.cpp:[0-9]+:|ERROR:|SUMMARY|Test unit written" build/fuzz/"$name".log || tail -20 build/fuzz/"$name".log
  fi
  grep -E "^Done|new_units_added" build/fuzz/"$name".log | tr '\n' ' '
  echo
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in build/fuzz/artifacts; logs in build/fuzz/NAME.log)" >&2
  exit 1
fi
echo "fuzz: no failure in ${#targets[@]} targets"
