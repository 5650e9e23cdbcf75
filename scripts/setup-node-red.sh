#!/usr/bin/env bash
# Installs the Node-RED node's npm dependencies (integrations/node-red:
# node-addon-api to build its addon; node-red and node-red-node-test-helper
# for its tests) exactly as its package-lock.json pins them, with npm ci.
# Scripts are not run: the build compiles the addon itself (CMake); an npm
# install of the package elsewhere compiles it with node-gyp.
# Runs again only when the lockfile changed since the last install.
set -euo pipefail
dir=$(cd "$(dirname "$0")/../integrations/node-red" && pwd)
stamp=$dir/node_modules/.setup-lock.sha256
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
[[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && exit 0
if ! command -v npm >/dev/null; then
  echo "setup: npm is missing (Node.js 18 or later with npm is needed for the Node-RED node;" \
       "or configure with -DWO_NODE_RED=OFF)" >&2
  exit 1
fi
echo "setup: npm ci in integrations/node-red" >&2
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
echo "$want" >"$stamp"
