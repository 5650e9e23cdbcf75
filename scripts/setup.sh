#!/usr/bin/env bash
# Installs the Debian packages the build needs, without ever removing one.
# As root it installs what is missing with apt-get; otherwise it prints the
# exact apt-get line and stops. Extra packages may be passed as arguments.
set -euo pipefail

packages=(
  cmake g++ make ninja-build ccache pkg-config openssl libssl-dev python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libboost-program-options1.81-dev libboost-test1.81-dev libboost-regex1.81-dev
  libre2-dev
  # the tests that drive webhook-mock with real clients (ctest -L external)
  apache2-utils curl
  # output-runner's tests: a real Redis, Prometheus's own text parser
  redis-server python3-prometheus-client
  # make package (dpkg-shlibdeps computes Depends)
  dpkg-dev
  # the Python binding's tests, and its pip install into a venv
  python3-pytest python3-venv python3-pip python3-setuptools python3-wheel
  # the scenario JSON Schema checked against every scenario
  python3-jsonschema
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run as root:  apt-get update && $line" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}" >&2
apt-get update -qq >/dev/null
# Never remove packages to make room: libboost1.81-dev conflicts with
# libboost1.74-dev (Debian's default), and removing it may break other work.
removals=$(apt-get install -s -y --no-install-recommends "${missing[@]}" | awk '/^Remv /{print $2}' || true)
if [[ -n "$removals" ]]; then
  echo "setup: installing ${missing[*]} would remove: $(echo $removals)" >&2
  echo "setup: refusing to remove packages; remove them yourself if you agree, then run again:" >&2
  echo "setup:   apt-get remove $(echo $removals) && $line" >&2
  exit 1
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
