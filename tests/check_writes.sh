#!/usr/bin/env bash
# Tests write only in their scratch directory (support/scratch_dir.hpp),
# removed when they end: COMMAND runs in an empty directory with an empty
# TMPDIR, and must leave both empty (a test once wrote a key file into the
# directory it ran in, and it was committed).
#   check_writes.sh COMMAND [ARGUMENT...]
set -euo pipefail
cwd=$(mktemp -d) tmp=$(mktemp -d)
trap 'rm -rf "$cwd" "$tmp"' EXIT
status=0
(cd "$cwd" && TMPDIR="$tmp" "$@") || status=$?
left=$(find "$cwd" "$tmp" -mindepth 1 -maxdepth 1)
if [[ -n "$left" ]]; then
  echo "left behind by $1:" >&2
  echo "$left" >&2
  exit 1
fi
echo "nothing written outside the scratch directory"
exit "$status"
