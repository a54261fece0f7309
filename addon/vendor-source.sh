#!/usr/bin/env bash
# Copies the project's tracked C++ source into the add-on's Docker build context, for a release.
#
#   addon/vendor-source.sh [DEST]      DEST defaults to addon/meross-bridge/src
#
# Why: Home Assistant builds an add-on with its own folder (addon/meross-bridge/) as the Docker
# build context, so the Dockerfile cannot see the source at the repository root. A release copies
# the source in with this script and commits it on the branch users add to Home Assistant
# (`git add -f addon/meross-bridge/src`: the folder is ignored on main). addon/ci/check.sh runs it
# into a temporary folder and configures the copy with the add-on's CMake options, so a file the
# build needs but this copy leaves out fails CI.
#
# Copied: the files git tracks plus untracked files that are not ignored (so a developer's check
# sees new files before they are committed; a release runs from a clean checkout, where the two
# are the same). Left out: what the add-on build never reads (tests, benchmarks, docs, CI, scripts, the add-on
# itself); CMake only enters tests/ and bench/ when MEROSS_BUILD_TESTS/BENCH are ON.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/addon/meross-bridge/src}

cd "$root"
files=$(git ls-files --cached --others --exclude-standard -- . ':(exclude)addon' ':(exclude)tests' ':(exclude)bench' \
  ':(exclude)docs' ':(exclude).ci' ':(exclude)scripts' ':(exclude).github')
[[ -n $files ]] || { echo "vendor-source: no tracked files (not a git checkout?)" >&2; exit 1; }
grep -qx CMakeLists.txt <<<"$files" || { echo "vendor-source: CMakeLists.txt is not tracked" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard -- . ':(exclude)addon' ':(exclude)tests' ':(exclude)bench' \
  ':(exclude)docs' ':(exclude).ci' ':(exclude)scripts' ':(exclude).github' |
  tar --null --files-from=- -cf - | tar -xf - -C "$dest"
echo "vendor-source: $(wc -l <<<"$files") files copied to $dest"
