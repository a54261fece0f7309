#!/usr/bin/env bash
# The README's run command: installs dependencies, builds, and starts the bridge.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/bridge/meross-bridge "$@"
