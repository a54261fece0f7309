#!/usr/bin/env bash
# Checks the Home Assistant add-on without Docker or network:
#
#   addon/ci/check.sh BRIDGE_BINARY          e.g. addon/ci/check.sh build-ci/bridge/meross-bridge
#
# 1. config.yaml against the add-on linter's JSON schema (addon/ci/schemas, with its license), the
#    linter rules that apply, options/translations/files/Dockerfile/DOCS.md (validate_addon.py).
# 2. shellcheck: every shell script in addon/ must be clean; scripts/*.sh and .ci/run are checked
#    too (they belong to others): warnings and errors fail, style/info findings are only shown.
# 3. The source a release vendors into the add-on (addon/vendor-source.sh) configures with the
#    image's CMake options. ADDON_CHECK_BUILD=1 also compiles meross-bridge from that copy.
# 4. The add-on's run script, under a fake bashio, for each addon/ci/cases/*.json: it writes the
#    TOML the options describe (broker from the Mosquitto service, external broker),
#    exec's the bridge (same pid) with --config, prints no secret, or stops with the expected
#    message (no broker, unwritable value) writing nothing; the TOML passes the contract
#    check (python tomllib) and `BRIDGE_BINARY check-config`, whose output shows no secret either,
#    and check-config rejects a broken copy naming the key.
#
# Ends with "N passed, M failed"; exit status 0 only when nothing failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
addon="$root/addon/meross-bridge"
run_script="$addon/rootfs/etc/s6-overlay/s6-rc.d/meross-bridge/run"

if [[ $# -ne 1 ]]; then
  echo "usage: addon/ci/check.sh BRIDGE_BINARY" >&2
  exit 2
fi
bridge_bin=$1
[[ $bridge_bin == /* ]] || bridge_bin="$PWD/$bridge_bin"
if [[ ! -x $bridge_bin ]]; then
  echo "check.sh: $1 is not an executable (build meross-bridge first)" >&2
  exit 2
fi

# Debian's python3 has the packages scripts/install-deps.sh installs (python3-jsonschema,
# python3-yaml); another python3 earlier in PATH may not.
python=python3
if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import jsonschema, yaml, tomllib' 2>/dev/null; then
  python=/usr/bin/python3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() {
  passed=$((passed + 1))
  echo "  ok    $*"
}
fail() {
  failed=$((failed + 1))
  echo "  FAIL  $*"
}

# --- 1. schema and static checks ------------------------------------------------------------------
echo "== add-on: config.yaml schema, linter rules, files"
if "$python" "$here/validate_addon.py" "$root"; then
  pass "validate_addon.py"
else
  fail "validate_addon.py (messages above)"
fi

# --- 2. shellcheck --------------------------------------------------------------------------------
echo "== add-on: shellcheck"
is_shell_script() {
  [[ $1 == *.sh ]] && return 0
  local first
  IFS= read -r first <"$1" 2>/dev/null || return 1
  [[ $first =~ ^#!.*(/|[[:space:]])(ba|da)?sh([[:space:]]|$) || $first =~ ^#!.*bashio ]]
}
addon_scripts=()
while IFS= read -r -d '' f; do
  if is_shell_script "$f"; then addon_scripts+=("$f"); fi
done < <(find "$root/addon" -path "$addon/src" -prune -o -type f -print0 | sort -z)
if ((${#addon_scripts[@]} == 0)); then
  fail "no shell scripts found under addon/"
fi
for f in "${addon_scripts[@]}"; do
  if shellcheck -x "$f"; then pass "shellcheck ${f#"$root"/}"; else fail "shellcheck ${f#"$root"/}"; fi
done
other_scripts=()
for f in "$root"/scripts/*.sh "$root/.ci/run"; do
  if [[ -f $f ]]; then other_scripts+=("$f"); fi
done
for f in "${other_scripts[@]}"; do
  name=${f#"$root"/}
  if shellcheck "$f" >"$work/shellcheck.out" 2>&1; then
    pass "shellcheck $name"
  elif shellcheck --severity=warning "$f" >/dev/null 2>&1; then
    pass "shellcheck $name (style/info findings only, not failing:)"
    sed 's/^/        /' "$work/shellcheck.out"
  else
    cat "$work/shellcheck.out"
    fail "shellcheck $name"
  fi
done

# --- 3. vendored source configures with the image's options ---------------------------------------
echo "== add-on: vendored source"
if "$root/addon/vendor-source.sh" "$work/vendor/src" >"$work/vendor.log" 2>&1; then
  pass "vendor-source.sh ($(tail -n 1 "$work/vendor.log" | sed 's/^vendor-source: //; s/ copied.*//'))"
  stray=$(cd "$work/vendor/src" && find . -name 'config.yaml' -o -name 'config.yml' -o -name 'config.json')
  if [[ -z $stray ]]; then
    pass "vendored source has no config.yaml/.yml/.json the Supervisor would mistake for an add-on"
  else
    fail "vendored source has files the Supervisor would read as add-ons: $stray"
  fi
  cmake_opts=(-DCMAKE_BUILD_TYPE=Release -DMEROSS_BUILD_TESTS=OFF -DMEROSS_BUILD_BENCH=OFF)
  if cmake -S "$work/vendor/src" -B "$work/vendor/build" "${cmake_opts[@]}" >"$work/cmake.log" 2>&1; then
    pass "cmake configures the vendored source with ${cmake_opts[*]}"
    if [[ ${ADDON_CHECK_BUILD:-0} == 1 ]]; then
      if cmake --build "$work/vendor/build" --target meross-bridge --parallel "$(nproc)" \
        >"$work/build.log" 2>&1; then
        pass "meross-bridge builds from the vendored source"
      else
        tail -n 30 "$work/build.log"
        fail "meross-bridge does not build from the vendored source"
      fi
    fi
  else
    tail -n 30 "$work/cmake.log"
    fail "cmake cannot configure the vendored source (a file the build needs is not vendored?)"
  fi
else
  cat "$work/vendor.log"
  fail "vendor-source.sh"
fi

# --- 4. the run script under a fake bashio --------------------------------------------------------
cat >"$work/fake-bridge" <<'EOF'
#!/usr/bin/env bash
# Stands in for meross-bridge: records how the run script started it.
printf '%s\n' "$$" >"$FAKE_BRIDGE_RECORD"
printf '%s\n' "$@" >>"$FAKE_BRIDGE_RECORD"
EOF
chmod +x "$work/fake-bridge"

# resolve_case CASE_JSON DIR: writes DIR/case.json, the case with "@CASE_DIR@" in any string
# replaced by DIR (for files a case needs, such as a CA certificate), and DIR/options.json,
# DIR/services.json, DIR/env.json from its parts that are present; prints expect_exit.
resolve_case() {
  "$python" - "$1" "$2" <<'EOF'
import json, os, sys
case_file, out = sys.argv[1], sys.argv[2]
text = open(case_file, encoding="utf-8").read()
case = json.loads(text.replace("@CASE_DIR@", out))
json.dump(case, open(os.path.join(out, "case.json"), "w", encoding="utf-8"))
for part in ("options", "services", "env"):
    if part in case:
        json.dump(case[part], open(os.path.join(out, part + ".json"), "w", encoding="utf-8"))
print(case.get("expect_exit", 0))
EOF
}

for case_file in "$here"/cases/*.json; do
  name=$(basename "$case_file" .json)
  echo "== add-on: run script, case $name"
  dir="$work/case-$name"
  mkdir -p "$dir"
  expect_exit=$(resolve_case "$case_file" "$dir")
  case_file="$dir/case.json"
  # A CA certificate for cases whose broker options name one (check-config reads the file).
  mkdir -p "$dir/ssl/meross"
  if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=meross-bridge-test-ca -days 1 \
    -keyout "$dir/ssl/meross/ca.key" -out "$dir/ssl/meross/ca.crt" >/dev/null 2>&1; then
    fail "openssl could not make a test CA certificate"
  fi
  case_env=()
  if [[ -f $dir/env.json ]]; then
    while IFS= read -r assignment; do
      case_env+=("$assignment")
    done < <("$python" -c 'import json,sys; [print(f"{k}={v}") for k, v in json.load(open(sys.argv[1])).items()]' "$dir/env.json")
  fi
  toml="$dir/data/meross-bridge.toml"
  record="$dir/bridge-record"

  set +e
  env -u TZ "${case_env[@]}" \
    FAKE_BASHIO_OPTIONS="$dir/options.json" \
    FAKE_BASHIO_SERVICES="$dir/services.json" \
    FAKE_BASHIO_PID_FILE="$dir/bashio.pid" \
    FAKE_BASHIO_PYTHON="$python" \
    FAKE_BRIDGE_RECORD="$record" \
    MEROSS_CONFIG_FILE="$toml" \
    MEROSS_BRIDGE_BIN="$work/fake-bridge" \
    "$here/fake-bashio" "$run_script" >"$dir/run.log" 2>&1
  status=$?
  set -e
  sed 's/^/        | /' "$dir/run.log"

  if [[ $status -eq $expect_exit ]]; then
    pass "run script exits $status"
  else
    fail "run script exits $status, expected $expect_exit"
  fi
  if "$python" "$here/secrets_absent.py" "$case_file" "$dir/run.log"; then
    pass "run script output shows no secret"
  else
    fail "run script output shows a secret"
  fi

  expect_output=$("$python" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("expect_output", ""))' "$case_file")
  if [[ -n $expect_output ]]; then
    if grep -qF -- "$expect_output" "$dir/run.log"; then
      pass "run script says: $expect_output"
    else
      fail "run script does not say: $expect_output"
    fi
  fi

  if [[ $expect_exit -ne 0 ]]; then
    if [[ ! -e $toml && ! -e $record ]]; then
      pass "no configuration written, no bridge started"
    else
      fail "a configuration was written or the bridge started despite the error"
    fi
    continue
  fi

  if [[ -f $record ]] && [[ $(sed -n 1p "$record") == "$(cat "$dir/bashio.pid")" ]]; then
    pass "the bridge replaced the script (exec, same pid: SIGTERM reaches it)"
  else
    fail "the bridge was not exec'd by the run script"
  fi
  if [[ -f $record ]] && [[ $(sed -n '2,$p' "$record") == "$(printf '%s\n' --config "$toml")" ]]; then
    pass "the bridge was started as: meross-bridge --config <file>"
  else
    fail "the bridge's arguments are not --config <file>"
  fi
  if [[ -f $toml ]]; then
    mode=$(stat -c %a "$toml")
    if [[ $mode == 600 ]]; then pass "TOML file mode 600"; else fail "TOML file mode $mode, expected 600"; fi
  else
    fail "no TOML file written"
    continue
  fi
  if "$python" "$here/validate_toml.py" "$toml" "$case_file"; then
    pass "TOML matches the configuration contract and the case's expected values (tomllib)"
  else
    fail "TOML does not match the contract or the expected values"
  fi

  set +e
  "$bridge_bin" check-config "$toml" >"$dir/check.out" 2>"$dir/check.err"
  status=$?
  set -e
  if [[ $status -eq 0 ]]; then
    pass "meross-bridge check-config accepts it"
  else
    sed 's/^/        | /' "$dir/check.out" "$dir/check.err"
    fail "meross-bridge check-config exits $status"
  fi
  if "$python" "$here/secrets_absent.py" "$case_file" "$dir/check.out" "$dir/check.err"; then
    pass "check-config output shows no secret"
  else
    fail "check-config output shows a secret"
  fi

  sed 's/^user_id = .*/user_id = "not a number"/' "$toml" >"$dir/broken.toml"
  set +e
  "$bridge_bin" check-config "$dir/broken.toml" >"$dir/broken.out" 2>&1
  status=$?
  set -e
  if [[ $status -ne 0 ]] && grep -q 'user_id' "$dir/broken.out"; then
    pass "check-config rejects a wrong type and names the key"
  else
    sed 's/^/        | /' "$dir/broken.out"
    fail "check-config on a broken file: exit $status, expected non-zero naming user_id"
  fi
  if "$python" "$here/secrets_absent.py" "$case_file" "$dir/broken.out"; then
    pass "check-config error output shows no secret"
  else
    fail "check-config error output shows a secret"
  fi
done

echo "addon: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
