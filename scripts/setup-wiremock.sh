#!/usr/bin/env bash
# Installs WireMock's standalone jar (the npm package `wiremock` ships it)
# into build/tools, for the test that compares webhook-mock with WireMock.
# Never fails the set-up: without npm or Java that test reports itself skipped.
set -uo pipefail
version=3.13.2
dir=${1:-build/tools}
if compgen -G "$dir/node_modules/wiremock/build/wiremock-standalone-$version.jar" >/dev/null; then exit 0; fi
if ! command -v npm >/dev/null || ! command -v java >/dev/null; then
  echo "setup: npm or java missing; the WireMock comparison test will be skipped" >&2
  exit 0
fi
mkdir -p "$dir"
if ! npm install --prefix "$dir" --no-audit --no-fund --silent "wiremock@$version" >/dev/null 2>&1; then
  echo "setup: could not install wiremock@$version from npm; the WireMock comparison test will be skipped" >&2
fi
exit 0
