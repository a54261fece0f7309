#!/usr/bin/env bash
# The README's test command: installs dependencies, builds, runs every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
scripts/build.sh "$@"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --timeout 600
