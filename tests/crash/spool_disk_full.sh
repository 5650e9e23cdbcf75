#!/usr/bin/env bash
# The spool on a full disk, through `journey-sim stream` and webhook-mock:
# ENOSPC on a 96 KiB tmpfs gives a clear error, the records that did not fit
# are not accepted, and nothing accepted is lost. The tmpfs is mounted in a
# mount namespace of the stream's own, and goes with it: as root, or in a
# user namespace where this user is root. Where neither is allowed the test
# reports itself skipped (exit 77): it cannot run, it did not pass.
#   spool_disk_full.sh BUILD_DIR   (loopback only, bounded)
set -euo pipefail
source "$(dirname "$0")/spool_lib.sh" "$1"

if unshare --mount true 2>/dev/null; then
  namespace=(unshare --mount)
elif unshare --user --map-root-user --mount true 2>/dev/null; then
  namespace=(unshare --user --map-root-user --mount)
else
  echo "skipped: no mount namespace can be made here (unshare --mount, as root or in a user namespace): no tmpfs to fill"
  exit 77
fi

port=$(free_port)
start_mock "$port" "$work/journal.ndjson"
mkdir "$work/small"
config "$port" "$work/small/spool" 1073741824 >"$work/config.json"
records 5000 >"$work/in.ndjson"  # about 1 MB of spool entries
status=0
"${namespace[@]}" bash -c 'mount -t tmpfs -o size=96k tmpfs "$1" || exit 77; shift; exec "$@"' mount-tmpfs "$work/small" \
  "$sim" stream --plugin "$plugin" --config "$work/config.json" --input "$work/in.ndjson" --accepted "$work/accepted" \
  >"$work/out" 2>"$work/err" || status=$?
if [[ $status -eq 77 ]]; then
  echo "skipped: a tmpfs cannot be mounted here: $(head -n1 "$work/err")"
  exit 77
fi
[[ $status -eq 1 ]] || { echo "expected exit 1 with records not accepted, got $status"; head -5 "$work/err"; exit 1; }
grep -q "No space left on device" "$work/err" || { echo "no clear error:"; head -5 "$work/err"; exit 1; }
grep -q "not accepted by the plugin" "$work/err" || { echo "refusals not reported"; exit 1; }
[[ -s "$work/accepted" ]] || { echo "no record was accepted before the disk was full"; exit 1; }
check_delivered "$work/accepted" "$work/journal.ndjson" "full disk (ENOSPC)"
echo "spool on a full disk: a clear error, nothing accepted lost"
