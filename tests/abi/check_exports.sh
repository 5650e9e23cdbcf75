#!/usr/bin/env bash
# The module exports exactly one symbol: output_step_entry.
set -euo pipefail
module=$1
symbols=$(nm -D --defined-only "$module" | awk '{print $3}' | sort)
if [[ "$symbols" != "output_step_entry" ]]; then
  echo "expected only output_step_entry to be exported, got:" >&2
  echo "$symbols" | head -20 >&2
  exit 1
fi
echo "ok: $module exports only output_step_entry"
