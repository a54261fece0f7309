#!/usr/bin/env bash
# Installs everything meross-bridge needs to build, test and run on Debian 12; with --tests also
# what only the tests need (headless Chromium for the web page's browser test), which the
# README's first command does not wait for. Idempotent; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build git ca-certificates
  libmosquitto-dev mosquitto-dev rapidjson-dev libssl-dev libtomlplusplus-dev
  libhowardhinnant-date-dev tzdata libboost-test-dev libcurl4-openssl-dev
  libboost-dev
  libspdlog-dev libfmt-dev libcli11-dev libbenchmark-dev
  mosquitto mosquitto-clients clang-format openssl
  python3 python3-jsonschema python3-yaml shellcheck clang libclang-rt-14-dev
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(chromium chromium-driver)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
# The Debian mosquitto package enables a system service; the tests start their own broker.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  $SUDO systemctl stop mosquitto || true
fi
