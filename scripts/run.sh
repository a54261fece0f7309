#!/usr/bin/env bash
# The README's run command: installs dependencies, builds, and runs the bridge.
#
#   scripts/run.sh                      demo: a loopback mosquitto, simulated devices (meross-sim)
#                                       and the bridge; prints the devices Home Assistant gets,
#                                       commands to try, then their state changes
#   scripts/run.sh --config FILE [...]  the bridge on your own broker, as configured in FILE
#   scripts/run.sh <subcommand> [...]   any meross-bridge subcommand (check-config, inspect, pair...)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >&2
build_dir="${BUILD_DIR:-build}"
bridge="$build_dir/bridge/meross-bridge"
sim="$build_dir/simulator/meross-sim"

# Only the programs, not the tests (scripts/test.sh builds those, in the same build dir):
# the bridge, its broker auth plugin (broker-config looks for it next to the bridge), the simulator.
if [ $# -gt 0 ]; then
  BUILD_TARGET="meross-bridge meross_auth_plugin" scripts/build.sh >&2
  exec "$bridge" "$@"
fi
BUILD_TARGET="meross-bridge meross_auth_plugin meross-sim" scripts/build.sh >&2

# Demo on loopback only: the local Meross cloud as a user builds it (broker-config → mosquitto with
# our auth plugin → the bridge on the generated bridge.toml), with simulated devices logging in
# the way firmware does (MAC user name, key-derived password) instead of real ones.
work=$(mktemp -d /tmp/meross-demo-XXXXXX)
chmod 755 "$work" # mosquitto, switched to its own user when started as root, reads files inside
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(free_port)
tls_port=$(free_port)
key="demo-key"
"$bridge" broker-config --out "$work/cloud" --key "$key" --host 127.0.0.1 \
  --tls-port "$tls_port" --tls-bind 127.0.0.1 --local-port "$port" >"$work/broker-config.log"
mosquitto -c "$work/cloud/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
cat >>"$work/cloud/bridge.toml" <<CONF

[polling]
electricity = "10s"
consumption = "1m"
CONF

# Plugs, a strip, a bulb, a garage door (built-in profiles), a thermostat and a hub with a valve,
# a door sensor and a smoke alarm (recorded traces).
traces=tests/fixtures/traces
devices=(--profile mss310 --profile mss425f --profile msl120 --profile msg100
  --trace "$traces/U0123456789012345678901234567890C-Kpippo-mts200b-1674112759.csv"
  --trace "$traces/U01234567890123456789012345678911-Kpippo-msh300hk-ms200-gs559-1681998143.csv")

ha_password=$(cat "$work/cloud/homeassistant-password")
echo "demo: local cloud on 127.0.0.1:$port (devices: TLS $tls_port); waiting for the devices..." >&2
# Home Assistant's view, made readable by demo-view.py (through a FIFO, so both have a pid to stop).
mkfifo "$work/ha-view"
call="$(realpath "$bridge") call --key $key --broker mqtt://127.0.0.1:$port --user meross-bridge"
call+=" --password-file $work/cloud/bridge-password"
python3 scripts/demo-view.py --port "$port" --password-file "$work/cloud/homeassistant-password" \
  --expect $((${#devices[@]} / 2)) --call "$call" <"$work/ha-view" &
pids+=($!)
mosquitto_sub -h 127.0.0.1 -p "$port" -u homeassistant -P "$ha_password" -v \
  -t 'homeassistant/#' -t 'meross/#' >"$work/ha-view" &
pids+=($!)
# Warnings and errors only: the summary says what the info lines would.
"$bridge" --config "$work/cloud/bridge.toml" --log-level warning &
bridge_pid=$!
pids+=("$bridge_pid")
# The devices come once the bridge listens, so their first Bind is answered at once.
mosquitto_sub -h 127.0.0.1 -p "$port" -u homeassistant -P "$ha_password" -C 1 -W 10 \
  -t 'meross/bridge/availability' >/dev/null || true
"$sim" --broker "mqtt://127.0.0.1:$port" --key "$key" --bind-interval 2s "${devices[@]}" \
  >"$work/sim.log" 2>&1 &
pids+=($!)
wait "$bridge_pid"
