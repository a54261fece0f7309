#!/usr/bin/env bash
# Runs the add-on's start-up on this machine, in the foreground, without Docker or Home Assistant:
#
#   MQTT_URL=mqtt://127.0.0.1:1883 addon/ci/run-local.sh OPTIONS_JSON DATA_DIR
#
# It runs the container's own s6 scripts (rootfs/etc/s6-overlay/s6-rc.d) in s6's order, each under
# addon/ci/fake-bashio instead of bashio, with the container's paths pointed at a build tree:
#   1. init-meross (the oneshot named by its `up` file): `meross-bridge addon-config` reads
#      OPTIONS_JSON and writes DATA_DIR/broker/ (mosquitto.conf, certificates, keys) and
#      DATA_DIR/meross-bridge.toml; it prints the CA fingerprint and the mqtts:// URL to pair with;
#   2. device-broker: mosquitto with BUILD_DIR/broker/meross-auth.so, TLS on the option
#      device_port for the devices, 127.0.0.1:MEROSS_DEVICE_LOCAL_PORT for the bridge;
#   3. meross-bridge: BUILD_DIR/bridge/meross-bridge, Home Assistant on MQTT_URL.
# SIGTERM or SIGINT stops the bridge, then mosquitto, and exits 0. When a step fails at start (bad
# options, no key, an unreadable key file, a port in use) it exits non-zero with the reason and
# leaves nothing running; so it does when mosquitto or the bridge stops by itself later.
#
# Environment:
#   BUILD_DIR      build tree holding bridge/meross-bridge and broker/meross-auth.so (default
#                  build/, relative to the repository root); nothing is built here
#   MQTT_URL       Home Assistant's broker, mqtt://HOST:PORT or mqtts://HOST:PORT; it plays the
#                  Supervisor's MQTT service (the option mqtt_url, when set, wins as in the add-on)
#   MQTT_USER, MQTT_PASSWORD   its login (optional)
#   MOSQUITTO      the mosquitto program (default: mosquitto on PATH, else /usr/sbin/mosquitto)
#   MEROSS_DEVICE_LOCAL_PORT   the bridge's port on the device broker (default 18830)
#   HOST_ADDRESSES the host's addresses as the Supervisor would report them (default: hostname -I)
# Never printed: the keys and passwords from OPTIONS_JSON and MQTT_PASSWORD.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
s6="$root/addon/meross-bridge/rootfs/etc/s6-overlay/s6-rc.d"

say() { echo "run-local: $*" >&2 || true; }
die() {
  say "$*"
  exit 1
}

if [[ $# -ne 2 ]]; then
  echo "usage: [BUILD_DIR=build] MQTT_URL=mqtt://HOST:PORT addon/ci/run-local.sh OPTIONS_JSON DATA_DIR" >&2
  exit 2
fi
options_file=$1
data_dir=$2
[[ -f $options_file ]] || die "no options file $options_file"
options_file=$(cd "$(dirname "$options_file")" && pwd)/$(basename "$options_file")
mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)

build_dir=${BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir="$root/$build_dir"
bridge_bin="$build_dir/bridge/meross-bridge"
auth_plugin="$build_dir/broker/meross-auth.so"
[[ -x $bridge_bin ]] || die "$bridge_bin is missing: build the target meross-bridge first"
[[ -r $auth_plugin ]] || die "$auth_plugin is missing: build the target meross_auth_plugin first"
mosquitto_bin=${MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
[[ -x $mosquitto_bin ]] || die "mosquitto not found: install it or set MOSQUITTO"

# --- what the Supervisor would tell the scripts -------------------------------------------------
state=$(mktemp -d)
bridge_pid=""
broker_pid=""

# stop PID NAME: SIGTERM, SIGKILL after 10 s; waits for it. The signal goes first: a message to a
# closed terminal or pipe could end this script (SIGPIPE) before it had stopped anything.
stop() {
  local pid=$1 name=$2
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  say "stopping $name"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop within 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
stop_all() {
  stop "$bridge_pid" meross-bridge
  bridge_pid=""
  stop "$broker_pid" "the device broker"
  broker_pid=""
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  trap '' PIPE
  stop_all
  rm -rf "$state"
}
trap cleanup EXIT
# Once stopping, a reader gone from the other end of stdout/stderr must not end the script (SIGPIPE)
# before everything it started has stopped; what runs already keeps its own SIGPIPE handling.
trap "trap '' PIPE; stop_all; say 'stopped on a signal'; exit 0" TERM INT

umask 077
python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi
# The MQTT service, from MQTT_URL; the password goes through the environment, not argv.
if [[ -n ${MQTT_URL:-} ]]; then
  if [[ ! $MQTT_URL =~ ^(mqtts?)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:([0-9]{1,5}))?$ ]]; then
    die "MQTT_URL must be mqtt://HOST:PORT or mqtts://HOST:PORT"
  fi
  scheme=${BASH_REMATCH[1]} host=${BASH_REMATCH[2]} port=${BASH_REMATCH[4]}
  host=${host#[}
  host=${host%]}
  if [[ -z $port ]]; then
    if [[ $scheme == mqtts ]]; then port=8883; else port=1883; fi
  fi
  SERVICE_HOST=$host SERVICE_PORT=$port SERVICE_SSL=$([[ $scheme == mqtts ]] && echo 1 || echo 0) \
    SERVICE_USER=${MQTT_USER:-} SERVICE_PASSWORD=${MQTT_PASSWORD:-} "$python" -c '
import json, os, sys
e = os.environ
json.dump({"mqtt": {"host": e["SERVICE_HOST"], "port": int(e["SERVICE_PORT"]),
                    "ssl": e["SERVICE_SSL"] == "1", "protocol": "3.1.1",
                    "username": e["SERVICE_USER"], "password": e["SERVICE_PASSWORD"]}},
          open(sys.argv[1], "w"))' "$state/services.json"
fi
# The host's addresses, as the Supervisor's network API reports them (with a prefix length).
addresses=${HOST_ADDRESSES:-$(hostname -I 2>/dev/null || true)}
# shellcheck disable=SC2086 # one address a word
"$python" -c 'import json, sys; json.dump({"ipv4_address": [a + "/32" for a in sys.argv[2:] if "." in a]}, open(sys.argv[1], "w"))' \
  "$state/network.json" $addresses

export FAKE_BASHIO_OPTIONS="$options_file"
export FAKE_BASHIO_SERVICES="$state/services.json"
export FAKE_BASHIO_NETWORK="$state/network.json"
unset FAKE_BASHIO_ADDON FAKE_BASHIO_PID_FILE SUPERVISOR_TOKEN
export MEROSS_DATA_DIR="$data_dir"
export MEROSS_OPTIONS_FILE="$options_file"
export MEROSS_CONFIG_FILE="$data_dir/meross-bridge.toml"
export MEROSS_BRIDGE_BIN="$bridge_bin"
export MEROSS_AUTH_PLUGIN="$auth_plugin"
export MEROSS_MOSQUITTO_BIN="$mosquitto_bin"
export MEROSS_DEVICE_LOCAL_PORT="${MEROSS_DEVICE_LOCAL_PORT:-18830}"
# The web page on a free loopback port: a fixed 0.0.0.0:8099, as in the container, could be taken.
MEROSS_WEB_LISTEN="${MEROSS_WEB_LISTEN:-127.0.0.1:$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
export MEROSS_WEB_LISTEN

# Each script of the add-on runs under the fake bashio (the shebang's `with-contenv bashio`), started
# directly so that $! is the program the script exec's (mosquitto, meross-bridge).
fake_bashio="$here/fake-bashio"

# --- 1. init-meross: what its `up` file runs, mapped into the source tree ------------------------
up=$(tr -d '\n' <"$s6/init-meross/up")
[[ $up == /etc/s6-overlay/* ]] || die "init-meross/up does not name a script under /etc/s6-overlay"
init_script="$root/addon/meross-bridge/rootfs$up"
set +e
"$fake_bashio" "$init_script"
status=$?
set -e
if [[ $status -ne 0 ]]; then
  say "init-meross failed (exit $status); nothing was started"
  exit "$status"
fi

# --- 2. device-broker --------------------------------------------------------------------------
conf="$data_dir/broker/mosquitto.conf"
ports=$(sed -n 's/^listener[[:space:]]\{1,\}\([0-9]\{1,5\}\).*/\1/p' "$conf")
[[ -n $ports ]] || die "$conf has no listener"
# Whether something listens on TCP port $1 (any address), from /proc/net: a probe connection would
# leave TLS errors in mosquitto's log.
listening() {
  local hex
  printf -v hex '%04X' "$1"
  grep -qsE "^ *[0-9]+: [0-9A-F]+:${hex} [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6
}
for port in $ports; do
  if listening "$port"; then die "port $port is already in use: the device broker cannot listen on it"; fi
done
"$fake_bashio" "$s6/device-broker/run" &
broker_pid=$!
for _ in $(seq 1 100); do
  kill -0 "$broker_pid" 2>/dev/null || break
  waiting=0
  for port in $ports; do
    listening "$port" || waiting=1
  done
  ((waiting)) || break
  sleep 0.1
done
if ! kill -0 "$broker_pid" 2>/dev/null; then
  wait "$broker_pid" || status=$?
  broker_pid=""
  die "the device broker (mosquitto) stopped at start (exit ${status:-0}); its messages are above"
fi
((waiting == 0)) || die "the device broker does not listen on port(s) ${ports//$'\n'/ } after 10 s"
say "the device broker listens on port(s) ${ports//$'\n'/ }"

# --- 3. meross-bridge -------------------------------------------------------------------------
"$fake_bashio" "$s6/meross-bridge/run" &
bridge_pid=$!
say "running (mosquitto pid $broker_pid, meross-bridge pid $bridge_pid); SIGTERM or Ctrl-C stops both"

# --- supervise: the first to stop by itself takes the other down ------------------------------
set +e
wait -n "$bridge_pid" "$broker_pid"
status=$?
set -e
if ! kill -0 "$bridge_pid" 2>/dev/null; then
  bridge_pid=""
  say "meross-bridge stopped by itself (exit $status)"
else
  broker_pid=""
  say "the device broker stopped by itself (exit $status)"
fi
stop_all
exit 1
