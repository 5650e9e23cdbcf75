#!/usr/bin/env bash
# The node as a Node-RED user installs it: `npm pack` of integrations/node-red,
# then `npm install` of that tarball into a fresh Node-RED user directory,
# offline (--offline: node-addon-api from npm's cache, which the set-up's
# npm ci filled), its addon compiled by npm's node-gyp against the Node.js
# headers on the machine (npm_config_nodedir=/usr: nothing downloaded) and
# the ABI header of a staging install found through pkg-config; then the
# installed node loads the installed webhook module and validates with it.
#   test_npm_install.sh BUILD_DIR PACKAGE_DIR VERSION
set -euo pipefail
build=$(realpath "$1")
package=$(realpath "$2")
version=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
(cd "$work" && npm pack "$package" --silent >"$work/pack.out" 2>"$work/pack.err") ||
  { cat "$work/pack.err" >&2; fail "npm pack"; }
tarball="$work/node-red-contrib-output-step-$version.tgz"
[[ -f "$tarball" ]] || fail "npm pack made $(ls "$work"), not $(basename "$tarball")"
contents=$(tar -tzf "$tarball")
for f in package/package.json package/binding.gyp package/src/step.cc package/nodes/output-step.js \
         package/nodes/output-step.html package/lib/delivery.js package/README.md; do
  grep -qx "$f" <<<"$contents" || fail "$f is not in the tarball"
done
if grep -E '^package/(node_modules|build|test)/' <<<"$contents"; then fail "the tarball holds the above"; fi
ok "npm pack: node-red-contrib-output-step-$version.tgz with the sources, the node and its docs, no build or tests"

mkdir -p "$work/user"
echo '{"name": "node-red-user", "private": true}' >"$work/user/package.json"
(cd "$work/user" && env -u OUTPUT_STEP_INCLUDE_DIR -u OUTPUT_STEP_NODE_ADDON \
  npm_config_nodedir=/usr npm_config_devdir="$work/gyp-devdir" PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" \
  npm install --offline --no-audit --no-fund --loglevel=error "$tarball" >"$work/install.log" 2>&1) ||
  { cat "$work/install.log" >&2; fail "npm install --offline of the tarball"; }
installed="$work/user/node_modules/node-red-contrib-output-step"
[[ -f "$installed/build/Release/output_step.node" ]] || fail "node-gyp built no build/Release/output_step.node"
[[ ! -e "$work/gyp-devdir" ]] || fail "node-gyp downloaded headers into its devdir: $(ls -R "$work/gyp-devdir" | head)"
ok "npm install --offline: the addon built by node-gyp against /usr/include/node, nothing downloaded"

cd "$work/user"
out=$(env -u OUTPUT_STEP_MODULE -u OUTPUT_STEP_NODE_ADDON PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" node -e '
  const { addon } = require(process.argv[1] + "/lib/addon");
  const { resolveModule } = require(process.argv[1] + "/lib/module-path");
  const module = resolveModule("");
  const info = addon().describe(module);
  const errors = addon().validate(module, JSON.stringify({ auth: {} }));
  console.log(module, info.id, info.abi, errors.map((e) => e.field).join(","));
' "$installed") || fail "the installed node did not load: $out"
[[ "$out" == "$work/prefix/lib/output-step/webhook_output.so webhook 1.2.0 "* ]] || fail "printed: $out"
[[ "$out" == *"activation"* ]] || fail "validate found no error in a configuration without activation: $out"
ok "the installed node loads the installed module (found through pkg-config) and validates with it"
