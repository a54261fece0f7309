#!/usr/bin/env bash
# Configures and builds meross-bridge into build/ (or $BUILD_DIR). Extra arguments go to cmake.
# BUILD_TARGET: build only these targets (space-separated, e.g. "meross-bridge meross-sim")
# instead of everything. A new build dir compiles through ccache when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  configure=()
  command -v ninja >/dev/null 2>&1 && configure+=(-G Ninja)
  command -v ccache >/dev/null 2>&1 && configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build_dir" "${configure[@]}" "$@"
else
  cmake -S . -B "$build_dir" "$@" >/dev/null
fi
read -ra names <<<"${BUILD_TARGET:-}"
targets=()
[ ${#names[@]} -eq 0 ] || targets=(--target "${names[@]}")
cmake --build "$build_dir" --parallel "$(nproc)" "${targets[@]}"
