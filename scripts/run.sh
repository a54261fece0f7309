#!/usr/bin/env bash
# The README's run command: installs dependencies, builds, and runs the bridge.
#
#   scripts/run.sh                      demo: a loopback mosquitto, simulated devices (meross-sim)
#                                       and the bridge; prints what Home Assistant would receive
#   scripts/run.sh --config FILE [...]  the bridge on your own broker, as configured in FILE
#   scripts/run.sh <subcommand> [...]   any meross-bridge subcommand (check-config, inspect, pair...)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >&2
scripts/build.sh -DMEROSS_BUILD_BENCH=OFF >&2
build_dir="${BUILD_DIR:-build}"
bridge="$build_dir/bridge/meross-bridge"
sim="$build_dir/simulator/meross-sim"

if [ $# -gt 0 ]; then
  exec "$bridge" "$@"
fi

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

ha_password=$(cat "$work/cloud/homeassistant-password")
echo "demo: local cloud on 127.0.0.1:$port (devices: TLS $tls_port); Home Assistant's view follows (topic payload)" >&2
mosquitto_sub -h 127.0.0.1 -p "$port" -u homeassistant -P "$ha_password" -v \
  -t 'homeassistant/#' -t 'meross/#' &
pids+=($!)
"$bridge" --config "$work/cloud/bridge.toml" &
bridge_pid=$!
pids+=("$bridge_pid")
# The devices come once the bridge listens, so their first Bind is answered at once.
mosquitto_sub -h 127.0.0.1 -p "$port" -u homeassistant -P "$ha_password" -C 1 -W 10 \
  -t 'meross/bridge/availability' >/dev/null || true
"$sim" --broker "mqtt://127.0.0.1:$port" --key "$key" --bind-interval 2s \
  --profile mss310 --profile mss425f --profile msl120 --profile msg100 >"$work/sim.log" 2>&1 &
pids+=($!)
echo "demo: running; Ctrl-C stops it. Try: mosquitto_pub -h 127.0.0.1 -p $port -u homeassistant -P $ha_password -t 'meross/<uuid>/switch_0/set' -m ON" >&2
wait "$bridge_pid"
