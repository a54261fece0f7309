#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a bounded time on a
# corpus seeded from the device traces. Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
build_dir="${2:-build-fuzz}"

CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DMEROSS_FUZZ=ON \
  -DMEROSS_BUILD_TESTS=OFF -DMEROSS_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" --parallel "$(nproc)" --target fuzz_targets

corpus="$build_dir/corpus"
rm -rf "$corpus"
python3 tests/fuzz/make_corpus.py tests/fixtures "$corpus"

status=0
for target in "$build_dir"/tests/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  kind=${name#fuzz_}
  dir="$corpus/$kind"
  mkdir -p "$dir"
  echo "== $name for ${seconds}s ($(find "$dir" -type f | wc -l) seeds)"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/fuzz/ubsan.supp" \
      "$target" -max_total_time="$seconds" -artifact_prefix="$build_dir/$name-" -max_len=65536 -rss_limit_mb=2048 \
      -print_final_stats=1 "$dir" >"$build_dir/$name.log" 2>&1; then
    echo "$name FAILED:"; tail -40 "$build_dir/$name.log"; status=1
  else
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$build_dir/$name.log" | tail -2 || true
  fi
done
exit $status
