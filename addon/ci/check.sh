#!/usr/bin/env bash
# Checks the Home Assistant add-on without Docker or network:
#
#   addon/ci/check.sh BRIDGE_BINARY          e.g. addon/ci/check.sh build-ci/bridge/meross-bridge
#
# 1. config.yaml against the add-on linter's JSON schema (addon/ci/schemas, with its license), the
#    linter rules that apply, options/translations/files/s6 services/Dockerfile/DOCS.md
#    (validate_addon.py).
# 2. shellcheck: every shell script in addon/ must be clean; scripts/*.sh and .ci/run are checked
#    too (they belong to others): warnings and errors fail, style/info findings are only shown.
# 3. What the image builds: a copy of the files git has (tracked, or new and not ignored: what a
#    clone of the pushed branch holds) configures with the image's CMake options.
#    ADDON_CHECK_BUILD=1 also compiles the image's two targets from that copy.
# 4. The add-on's s6 scripts under a fake bashio, for each addon/ci/cases/*.json:
#    init-meross runs BRIDGE_BINARY addon-config on the case's options and Supervisor answers
#    (MQTT service, host addresses, published ports); it writes the device broker's folder and the
#    TOML the options describe, prints the CA fingerprint and the expected lines and no secret, or
#    stops with the expected message writing nothing. The TOML matches the configuration contract
#    (python tomllib) and passes `BRIDGE_BINARY check-config`, whose output shows no secret either,
#    and check-config rejects a broken copy naming the key. device-broker and meross-bridge exec
#    mosquitto -c <conf> and meross-bridge --config <file> (same pid: SIGTERM reaches them). A
#    second init-meross reuses the certificates byte for byte.
#    (The add-on running for real, mosquitto and a device included: tests/addon, through
#    addon/ci/run-local.sh.)
#
# Ends with "N passed, M failed"; exit status 0 only when nothing failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
addon="$root/addon/meross-bridge"
s6="$addon/rootfs/etc/s6-overlay/s6-rc.d"

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
listener_pid=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [[ -n $listener_pid ]]; then kill "$listener_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

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
done < <(find "$root/addon" -type f -print0 | sort -z)
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

# --- 3. what a clone builds -----------------------------------------------------------------------
echo "== add-on: the source a clone of the repository holds"
clone="$work/clone"
mkdir -p "$clone"
if (cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do if [[ -e $f ]]; then printf '%s\0' "$f"; fi; done |
  tar --null --files-from=- -cf -) | tar -xf - -C "$clone" 2>"$work/copy.log"; then
  pass "copied the files git has ($(find "$clone" -type f | wc -l) files)"
  cmake_opts=(-DCMAKE_BUILD_TYPE=Release -DMEROSS_BUILD_TESTS=OFF -DMEROSS_BUILD_BENCH=OFF)
  if cmake -S "$clone" -B "$work/clone-build" "${cmake_opts[@]}" >"$work/cmake.log" 2>&1; then
    pass "cmake configures it with the image's options ${cmake_opts[*]}"
    if [[ ${ADDON_CHECK_BUILD:-0} == 1 ]]; then
      if cmake --build "$work/clone-build" --target meross-bridge meross_auth_plugin \
        --parallel "$(nproc)" >"$work/build.log" 2>&1; then
        pass "meross-bridge and meross_auth_plugin build from it"
      else
        tail -n 30 "$work/build.log"
        fail "the image's targets do not build from the files git has"
      fi
    fi
  else
    tail -n 30 "$work/cmake.log"
    fail "cmake cannot configure the files git has (a file the build needs is not in git?)"
  fi
else
  cat "$work/copy.log"
  fail "cannot copy the files git has (not a git checkout?)"
fi

# --- 4. the s6 scripts under a fake bashio --------------------------------------------------------
# Stand-ins for the programs the longruns exec: they record their pid and arguments.
for program in fake-bridge fake-mosquitto; do
  cat >"$work/$program" <<'EOF'
#!/usr/bin/env bash
printf '%s\n' "$$" "$@" >"$FAKE_PROGRAM_RECORD"
EOF
  chmod +x "$work/$program"
done
# A stand-in for meross-auth.so: addon-config only checks that the file is readable (mosquitto
# is not started here).
printf 'not a plugin\n' >"$work/meross-auth.so"
# Something listening where meross-bridge/run waits for the device broker.
local_port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$python" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    s.accept()[0].close()
' "$local_port" >/dev/null 2>&1 &
listener_pid=$!

# resolve_case CASE_JSON DIR: writes DIR/case.json, the case with "@CASE_DIR@" and "@LOCAL_PORT@"
# in any string replaced, and DIR/options.json (or the raw "options_text"), services.json,
# network.json, addon.json, env.json from its parts that are present; prints expect_exit.
resolve_case() {
  "$python" - "$1" "$2" "$local_port" <<'EOF'
import json, os, sys
case_file, out, port = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(case_file, encoding="utf-8").read()
case = json.loads(text.replace("@CASE_DIR@", out).replace("@LOCAL_PORT@", port))
json.dump(case, open(os.path.join(out, "case.json"), "w", encoding="utf-8"))
for part in ("options", "services", "network", "addon", "env"):
    if part in case:
        json.dump(case[part], open(os.path.join(out, part + ".json"), "w", encoding="utf-8"))
if "options_text" in case:
    open(os.path.join(out, "options.json"), "w", encoding="utf-8").write(case["options_text"])
print(case.get("expect_exit", 0))
EOF
}

# case_field DIR KEY: the case's KEY, one line per element when it is a list.
case_field() {
  "$python" -c '
import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
for line in (v if isinstance(v, list) else [v] if v else []):
    print(line)' "$1/case.json" "$2"
}

# run_s6 DIR LOG SCRIPT [ENV...]: runs an s6 script of the add-on under the fake bashio with the
# case's Supervisor answers and environment; returns its exit status.
run_s6() {
  local dir=$1 log=$2 script=$3
  shift 3
  local case_env=()
  if [[ -f $dir/env.json ]]; then
    while IFS= read -r assignment; do
      case_env+=("$assignment")
    done < <("$python" -c 'import json,sys; [print(f"{k}={v}") for k, v in json.load(open(sys.argv[1])).items()]' "$dir/env.json")
  fi
  local status=0
  env -u TZ -u SUPERVISOR_TOKEN "${case_env[@]}" "$@" \
    FAKE_BASHIO_OPTIONS="$dir/options.json" \
    FAKE_BASHIO_SERVICES="$dir/services.json" \
    FAKE_BASHIO_NETWORK="$dir/network.json" \
    FAKE_BASHIO_ADDON="$dir/addon.json" \
    FAKE_BASHIO_PID_FILE="$dir/bashio.pid" \
    FAKE_BASHIO_PYTHON="$python" \
    MEROSS_DATA_DIR="$dir/data" \
    MEROSS_OPTIONS_FILE="$dir/options.json" \
    MEROSS_CONFIG_FILE="$dir/data/meross-bridge.toml" \
    MEROSS_AUTH_PLUGIN="$work/meross-auth.so" \
    MEROSS_DEVICE_LOCAL_PORT="$local_port" \
    "$here/fake-bashio" "$s6/$script" >"$log" 2>&1 || status=$?
  sed 's/^/        | /' "$log"
  return "$status"
}

# exec_check DIR NAME RECORD EXPECTED...: the program recorded RECORD as the script's own process
# (exec) with the arguments EXPECTED.
exec_check() {
  local dir=$1 name=$2 record=$3
  shift 3
  if [[ -f $record ]] && [[ $(sed -n 1p "$record") == "$(cat "$dir/bashio.pid")" ]]; then
    pass "$name replaced its script (exec, same pid: SIGTERM reaches it)"
  else
    fail "$name was not exec'd by its script"
  fi
  if [[ -f $record ]] && [[ $(sed -n '2,$p' "$record") == "$(printf '%s\n' "$@")" ]]; then
    pass "$name was started as: $name $*"
  else
    fail "$name's arguments are not: $*"
  fi
}

for case_file in "$here"/cases/*.json; do
  name=$(basename "$case_file" .json)
  echo "== add-on: s6 scripts, case $name"
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
  toml="$dir/data/meross-bridge.toml"
  broker="$dir/data/broker"

  # init-meross: the real addon-config.
  status=0
  run_s6 "$dir" "$dir/init.log" init-meross/run MEROSS_BRIDGE_BIN="$bridge_bin" || status=$?
  if [[ $status -eq $expect_exit ]]; then
    pass "init-meross exits $status"
  else
    fail "init-meross exits $status, expected $expect_exit"
  fi
  if [[ -f $broker/bridge-password ]]; then
    # The generated password is a secret too.
    "$python" -c '
import json, sys
case = json.load(open(sys.argv[1]))
case["secrets"] = case.get("secrets", []) + [open(sys.argv[2]).read().strip()]
json.dump(case, open(sys.argv[1], "w"))' "$case_file" "$broker/bridge-password"
  fi
  if "$python" "$here/secrets_absent.py" "$case_file" "$dir/init.log"; then
    pass "init-meross output shows no secret"
  else
    fail "init-meross output shows a secret"
  fi
  while IFS= read -r expected; do
    if grep -qF -- "$expected" "$dir/init.log"; then
      pass "init-meross says: $expected"
    else
      fail "init-meross does not say: $expected"
    fi
  done < <(case_field "$dir" expect_output)

  if [[ $expect_exit -ne 0 ]]; then
    if [[ ! -e $toml && ! -e $broker ]]; then
      pass "nothing written"
    else
      fail "files were written despite the error"
    fi
    continue
  fi

  # What init-meross wrote.
  if grep -qE '^CA certificate SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}$' "$dir/init.log"; then
    pass "the log shows the CA fingerprint"
  else
    fail "the log shows no CA fingerprint"
  fi
  if [[ -f $toml ]]; then
    mode=$(stat -c %a "$toml")
    if [[ $mode == 600 ]]; then pass "TOML file mode 600"; else fail "TOML file mode $mode, expected 600"; fi
  else
    fail "no TOML file written"
    continue
  fi
  if grep -qx "plugin $work/meross-auth.so" "$broker/mosquitto.conf" &&
    grep -qx "listener $local_port 127.0.0.1" "$broker/mosquitto.conf"; then
    pass "mosquitto.conf loads the plugin and has the bridge's listener on 127.0.0.1:$local_port"
  else
    fail "mosquitto.conf lacks the plugin or the bridge's listener"
  fi
  if "$python" "$here/validate_toml.py" "$toml" "$case_file"; then
    pass "TOML matches the configuration contract and the case's expected values (tomllib)"
  else
    fail "TOML does not match the contract or the expected values"
  fi

  status=0
  "$bridge_bin" check-config "$toml" >"$dir/check.out" 2>"$dir/check.err" || status=$?
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
  status=0
  "$bridge_bin" check-config "$dir/broken.toml" >"$dir/broken.out" 2>&1 || status=$?
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

  # The longruns exec their programs.
  status=0
  run_s6 "$dir" "$dir/broker.log" device-broker/run MEROSS_MOSQUITTO_BIN="$work/fake-mosquitto" \
    FAKE_PROGRAM_RECORD="$dir/mosquitto-record" || status=$?
  exec_check "$dir" mosquitto "$dir/mosquitto-record" -c "$broker/mosquitto.conf"
  status=0
  run_s6 "$dir" "$dir/bridge.log" meross-bridge/run MEROSS_BRIDGE_BIN="$work/fake-bridge" \
    FAKE_PROGRAM_RECORD="$dir/bridge-record" || status=$?
  exec_check "$dir" meross-bridge "$dir/bridge-record" --config "$toml"
  if "$python" "$here/secrets_absent.py" "$case_file" "$dir/broker.log" "$dir/bridge.log"; then
    pass "the longruns' output shows no secret"
  else
    fail "the longruns' output shows a secret"
  fi

  # A second start: the same certificates, byte for byte.
  sums_before=$(cd "$broker/certs" && sha256sum ca.crt ca.key server.crt server.key)
  status=0
  run_s6 "$dir" "$dir/init2.log" init-meross/run MEROSS_BRIDGE_BIN="$bridge_bin" || status=$?
  sums_after=$(cd "$broker/certs" && sha256sum ca.crt ca.key server.crt server.key)
  if [[ $status -eq 0 && $sums_before == "$sums_after" ]] && grep -q 'TLS certificates: reused' "$dir/init2.log" &&
    [[ $(grep '^CA certificate' "$dir/init.log") == "$(grep '^CA certificate' "$dir/init2.log")" ]]; then
    pass "a second start reuses the certificates (same bytes, same fingerprint)"
  else
    fail "a second start did not reuse the certificates"
  fi
done

echo "addon: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
