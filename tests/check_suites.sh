#!/usr/bin/env bash
# Every Boost.Test suite in EXECUTABLE is registered with CTest: a suite left
# out of the list in tests/CMakeLists.txt would never run.
#   check_suites.sh EXECUTABLE SUITE...
set -euo pipefail
executable=$1
shift
found=$("$executable" --list_content 2>&1 | sed -n 's/^\([A-Za-z_0-9]*\)\*$/\1/p' | sort)
registered=$(printf '%s\n' "$@" | sort)
missing=$(comm -23 <(echo "$found") <(echo "$registered"))
if [[ -n "$missing" ]]; then
  echo "suites not registered with CTest (add them to wo_add_suites in tests/CMakeLists.txt): $missing" >&2
  exit 1
fi
echo "all $(echo "$found" | wc -l) suites registered"
