#!/usr/bin/env bash
# Runs every benchmark of issue 8 and prints one markdown table (docs/architecture.md "Testing":
# ratios against baselines measured in the same run; nothing here passes or fails on a number).
#   (a) in-process: one device PUSH through parse, verify, mapping and the state publications
#       (bench_pipeline), discovery generation;
#   (b) scale: meross-bridge RSS with 1, 1,000 and 5,000 meross-sim devices, and the time from
#       start until every device is bound and (once the bridge publishes discovery) until every
#       device's discovery document is on the broker;
#   (c) end to end: PUSH throughput through the bridge to the state topics against the same load
#       straight to a subscriber, and the command round trip against a raw broker round trip;
#   (d) Bind flood (issue 16): a known device's command round trip while made-up uuids send
#       signed Binds, against its quiet round trip in the same run; the bridge's RSS before and
#       after, and the retained topics of the made-up uuids left once the bridge dropped them.
# Everything runs on loopback with bounded durations; every process started here is stopped.
# Usage: bench/run-all.sh [BUILD_DIR]   (environment: SCALE_COUNTS="1 1000 5000",
#        E2E_DEVICES=100, LOAD_RATE=2000, LOAD_SECONDS=20, RTT_SAMPLES=200, FLOOD_RATE=2000,
#        FLOOD_SECONDS=5, FLOOD_SETTLE=75, SECTIONS="inprocess scale e2e flood", SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build-bench}"
scale_counts="${SCALE_COUNTS:-1 1000 5000}"
e2e_devices="${E2E_DEVICES:-100}"
load_rate="${LOAD_RATE:-2000}"
load_seconds="${LOAD_SECONDS:-20}"
rtt_samples="${RTT_SAMPLES:-200}"
flood_rate="${FLOOD_RATE:-2000}"
flood_seconds="${FLOOD_SECONDS:-5}"
flood_settle="${FLOOD_SETTLE:-75}"
sections=" ${SECTIONS:-inprocess scale e2e flood} "
key="meross-bench-key"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMEROSS_BUILD_TESTS=OFF \
    -DMEROSS_BUILD_BENCH=ON >/dev/null
  cmake --build "$build_dir" --parallel "$(nproc)" \
    --target bench_pipeline bench_protocol mqtt_probe flood_bench meross-bridge meross-sim >&2
fi
bridge_bin="$build_dir/bridge/meross-bridge"
sim_bin="$build_dir/simulator/meross-sim"
probe_bin="$build_dir/bench/mqtt_probe"
flood_bin="$build_dir/bench/flood_bench"
for tool in mosquitto mosquitto_sub; do
  command -v "$tool" >/dev/null || { echo "run-all.sh: $tool not found" >&2; exit 2; }
done
PATH="$PATH:/usr/sbin"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d)
pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

now() { date +%s.%N; }
log() { echo "run-all: $*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_broker → sets $port; the broker is stopped by stop_all.
start_broker() {
  port=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nset_tcp_nodelay true\n' \
    "$port" >"$work/mosquitto.conf"
  mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
  pids+=($!)
  local _
  for _ in $(seq 1 50); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  log "mosquitto did not start"; return 1
}

# start_bridge → sets $bridge_pid.
start_bridge() {
  cat >"$work/bridge.toml" <<TOML
[meross]
key = "$key"
[mqtt]
url = "mqtt://127.0.0.1:$port"
client_id = "meross-bridge-bench"
[log]
level = "warning"
TOML
  "$bridge_bin" --config "$work/bridge.toml" >"$work/bridge.out" 2>"$work/bridge.err" &
  bridge_pid=$!
  pids+=("$bridge_pid")
  # Ready once it announced itself online (at most 15 s; an older bridge may not announce).
  timeout 15 mosquitto_sub -h 127.0.0.1 -p "$port" -t meross/bridge/availability -C 1 -W 15 2>/dev/null |
    grep -q -m1 online || true
}

# watch_discovery FILE: records the device discovery documents published from now on.
watch_discovery() {
  mosquitto_sub -h 127.0.0.1 -p "$port" -t 'homeassistant/device/+/config' -F '%t' \
    >"$1" 2>/dev/null &
  pids+=($!)
}

# start_sim OUT ARGS... → sets $sim_pid.
start_sim() {
  local out=$1
  shift
  "$sim_bin" --broker "mqtt://127.0.0.1:$port" --key "$key" --log-level warn "$@" \
    >"$out" 2>"$out.err" &
  sim_pid=$!
  pids+=("$sim_pid")
}

# count_lines FILE PATTERN: distinct lines matching (a re-published document counts once).
# A device's discovery document (not the bridge's own, homeassistant/device/meross_bridge/config).
device_doc='^homeassistant/device/meross_[0-9a-fA-F]\{32\}/config'

count_lines() { { grep -- "$2" "$1" 2>/dev/null || true; } | sort -u | wc -l; }

# wait_lines FILE PATTERN COUNT SECONDS: until FILE has COUNT lines matching PATTERN.
wait_lines() {
  local deadline
  deadline=$(echo "$(now) + $4" | bc)
  while [ "$(count_lines "$1" "$2")" -lt "$3" ]; do
    if [ "$(echo "$(now) > $deadline" | bc)" = 1 ]; then return 1; fi
    sleep 0.05
  done
}

# start_known_device NAME: broker, bridge and one simulated mss310 that is bound and discovered
# → sets $uuid (and $port, $bridge_pid, $sim_pid).
start_known_device() {
  start_broker
  watch_discovery "$work/discovery-$1.txt"
  start_bridge
  start_sim "$work/sim-$1.txt" --profile mss310 --count 1 --bind-interval 1s
  wait_lines "$work/sim-$1.txt" '^bound ' 1 30 || log "the $1 device did not bind"
  wait_lines "$work/discovery-$1.txt" "$device_doc" 1 15 || log "no discovery for the $1 device"
  uuid=$(awk '$1 == "device" {print $2; exit}' "$work/sim-$1.txt")
}

rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# Acknowledges every simulated device's Bind without the bridge (for the raw baseline): a
# SETACK of Appliance.Control.Bind signed with the key, on /appliance/<uuid>/subscribe.
ack_binds() {
  local uuid message
  while read -r uuid; do
    if grep -q "^bound $uuid" "$1"; then continue; fi
    message=$(python3 - "$uuid" "$key" <<'PY'
import hashlib, json, os, sys, time
uuid, key = sys.argv[1], sys.argv[2]
mid, ts = os.urandom(16).hex(), int(time.time())
sign = hashlib.md5(f"{mid}{key}{ts}".encode()).hexdigest()
print(json.dumps({"header": {"messageId": mid, "namespace": "Appliance.Control.Bind",
                             "method": "SETACK", "payloadVersion": 1,
                             "from": f"/appliance/{uuid}/subscribe", "timestamp": ts,
                             "timestampMs": 0, "sign": sign}, "payload": {}},
                 separators=(",", ":")))
PY
)
    mosquitto_pub -p "$port" -h 127.0.0.1 -q 1 -t "/appliance/$uuid/subscribe" -m "$message"
  done < <(awk '$1 == "device" {print $2}' "$1")
}

field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" "$1" | tail -1; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 |"); }

# --- (a) in-process ----------------------------------------------------------------------------
if [[ $sections == *" inprocess "* ]]; then
log "in-process benchmarks"
"$build_dir/bench/bench_pipeline" --benchmark_min_time=0.3 --benchmark_color=false 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' >"$work/pipeline.txt"
cat "$work/pipeline.txt" >&2
ns() { sed -n "s/^$1 $2 = //p" "$work/pipeline.txt"; }
ratio() { sed -n "s/^ratio $1 \/ $2 = //p" "$work/pipeline.txt"; }
base_ns() { ns cpu_ns "$1"; }
for kind in togglex electricity light; do
  row "PUSH $kind: parse + verify + map + state publications" "$(ns ns_per_push "$kind") ns CPU" \
    "RapidJSON parse $(base_ns "BM_baseline_parse_$kind") ns; raw forward $(base_ns "BM_baseline_forward_$kind") ns" \
    "$(ratio "BM_push_$kind" "BM_baseline_parse_$kind")× parse; $(ratio "BM_push_$kind" "BM_baseline_forward_$kind")× forward" \
    "≤ 2000 ns per PUSH"
done
for device in mss310 msl320; do
  row "Discovery document, $device" "$(ns ns_per_discovery "$device") ns CPU" \
    "RapidJSON parse of it $(base_ns "BM_baseline_discovery_parse_$device") ns" \
    "$(ratio "BM_discovery_$device" "BM_baseline_discovery_parse_$device")×" "—"
done
fi

# --- (b) scale -----------------------------------------------------------------------------------
[[ $sections == *" scale "* ]] || scale_counts=""
for n in $scale_counts; do
  log "scale: $n devices"
  start_broker
  watch_discovery "$work/discovery.txt"
  start_bridge
  t0=$(now)
  start_sim "$work/sim-$n.txt" --profile mss310 --count "$n" --bind-interval 1s
  bound="timeout"
  if ! wait_lines "$work/sim-$n.txt" '^connected ' "$n" $((60 + n / 50)); then
    bound="timeout ($(count_lines "$work/sim-$n.txt" '^connected ') of $n connected)"
  elif wait_lines "$work/sim-$n.txt" '^bound ' "$n" $((30 + n / 50)); then
    bound=$(printf '%.2f s' "$(echo "$(now) - $t0" | bc)")
  else
    bound="timeout ($(count_lines "$work/sim-$n.txt" '^bound ') of $n bound)"
  fi
  discovered="n/a: bridge publishes no discovery"
  if wait_lines "$work/discovery.txt" "$device_doc" "$n" 15; then
    discovered=$(printf '%.2f s' "$(echo "$(now) - $t0" | bc)")
  elif [ "$(count_lines "$work/discovery.txt" "$device_doc")" -gt 0 ]; then
    discovered="timeout ($(count_lines "$work/discovery.txt" "$device_doc") of $n)"
  fi
  sleep 2
  rss=$(rss_mb "$bridge_pid")
  target="—"
  [ "$n" = 5000 ] && target="≤ 30 MB"
  row "Bridge RSS, $n devices" "$rss MB" "—" "—" "$target"
  target="—"
  [ "$n" = 1000 ] && target="discovered ≤ 3 s"
  row "First Bind → all bound / all discovery published, $n devices" "$bound / $discovered" "—" "—" \
    "$target"
  stop_all
done

# --- (c) end to end ------------------------------------------------------------------------------
if [[ $sections == *" e2e "* ]]; then
log "end to end: raw baseline ($e2e_devices devices, $load_rate PUSH/s for ${load_seconds}s)"
window=$((load_seconds + 60))
start_broker
"$probe_bin" count 127.0.0.1 "$port" '/appliance/+/publish' "$window" Appliance.Control.ToggleX \
  >"$work/raw-count.txt" &
probe_pid=$!
pids+=("$probe_pid")
start_sim "$work/sim-raw.txt" --profile mss310 --count "$e2e_devices" --bind-interval 1s \
  --load-rate "$load_rate" --load-duration "${load_seconds}s"
wait_lines "$work/sim-raw.txt" '^connected ' "$e2e_devices" 60 || log "not every device connected"
for _ in 1 2 3 4 5; do
  ack_binds "$work/sim-raw.txt"
  wait_lines "$work/sim-raw.txt" '^bound ' "$e2e_devices" 3 && break
done
wait_lines "$work/sim-raw.txt" '^load ' 1 "$window" || log "raw load did not finish"
wait "$probe_pid" || true
raw_rate=$(field "$work/raw-count.txt" rate)
raw_sent=$(field "$work/sim-raw.txt" sent)
stop_all

log "end to end: through the bridge"
start_broker
start_bridge
"$probe_bin" count 127.0.0.1 "$port" '/appliance/+/publish' "$window" Appliance.Control.ToggleX \
  >"$work/bridge-raw-count.txt" &
raw_in_run_pid=$!
pids+=("$raw_in_run_pid")
watch_discovery "$work/discovery-e2e.txt"
# Only the switch states: one per ToggleX PUSH, not the polled power readings.
"$probe_bin" count 127.0.0.1 "$port" 'meross/+/switch_0/state' "$window" >"$work/state-count.txt" &
state_pid=$!
pids+=("$state_pid")
start_sim "$work/sim-bridge.txt" --profile mss310 --count "$e2e_devices" --bind-interval 1s \
  --load-rate "$load_rate" --load-duration "${load_seconds}s"
# The load starts once every device is bound; the bridge then still learns their profiles. Count
# from the moment every device's discovery is published (the steady state).
wait_lines "$work/discovery-e2e.txt" "$device_doc" "$e2e_devices" "$load_seconds" ||
  log "not every device was discovered during the load"
kill -USR1 "$state_pid" "$raw_in_run_pid" 2>/dev/null || true
wait_lines "$work/sim-bridge.txt" '^load ' 1 "$window" || log "bridge load did not finish"
wait "$state_pid" || true
wait "$raw_in_run_pid" || true
# Every mss310 ToggleX PUSH maps to one state (switch_0): states per second over the window in
# which the PUSHes arrived, against the raw rate without the bridge.
states=$(field "$work/state-count.txt" count)
pushes=$(field "$work/bridge-raw-count.txt" count)
push_seconds=$(field "$work/bridge-raw-count.txt" seconds)
if [ "${states:-0}" -gt 1 ] && [ "$(echo "${push_seconds:-0} > 0" | bc)" = 1 ]; then
  state_rate=$(echo "scale=1; $states / $push_seconds" | bc)
  note=""
  if [ "$((states * 2))" -lt "${pushes:-0}" ]; then
    note="; only $states states for $pushes PUSHes: PUSH → state incomplete in this bridge"
  fi
  row "E2E throughput: PUSH → bridge → state topics ($e2e_devices devices, $load_rate PUSH/s offered, ${load_seconds} s)" \
    "$state_rate states/s ($states states for $pushes PUSHes in ${push_seconds} s$note)" \
    "raw, no bridge: $raw_rate PUSH/s ($raw_sent sent)" \
    "$(printf '%.1f' "$(echo "scale=3; 100 * $state_rate / $raw_rate" | bc)") %" "≥ 90 % of raw"
else
  row "E2E throughput ($e2e_devices devices, $load_rate PUSH/s offered, ${load_seconds} s)" \
    "n/a: bridge publishes no states" "raw $raw_rate PUSH/s ($raw_sent sent)" "n/a" "≥ 90 % of raw"
fi
stop_all

log "end to end: command round trip"
start_known_device rtt
sleep 1
"$probe_bin" rtt 127.0.0.1 "$port" bench/echo bench/echo "$rtt_samples" >"$work/rtt-raw.txt"
raw_p50=$(field "$work/rtt-raw.txt" p50_us)
raw_p99=$(field "$work/rtt-raw.txt" p99_us)
"$probe_bin" rtt 127.0.0.1 "$port" "meross/$uuid/switch_0/set" "meross/$uuid/switch_0/state" 3 \
  >"$work/rtt-probe.txt"
if [ "$(field "$work/rtt-probe.txt" samples)" = 3 ]; then
  "$probe_bin" rtt 127.0.0.1 "$port" "meross/$uuid/switch_0/set" "meross/$uuid/switch_0/state" \
    "$rtt_samples" >"$work/rtt-bridge.txt"
  p50=$(field "$work/rtt-bridge.txt" p50_us)
  p99=$(field "$work/rtt-bridge.txt" p99_us)
  row "Command round trip p50 / p99 (HA set → device → state)" \
    "$p50 / $p99 µs ($(field "$work/rtt-bridge.txt" timeouts) timeouts)" \
    "raw broker $raw_p50 / $raw_p99 µs" "+$((${p99:-0} - ${raw_p99:-0})) µs at p99" "≤ 2 ms added at p99"
else
  row "Command round trip p50 / p99 (HA set → device → state)" \
    "n/a: no state answered a command within 2 s" "raw broker $raw_p50 / $raw_p99 µs" "n/a" \
    "≤ 2 ms added at p99"
fi
stop_all
fi

# --- (d) Bind flood ------------------------------------------------------------------------------
if [[ $sections == *" flood "* ]]; then
log "Bind flood: $flood_rate made-up uuids/s for ${flood_seconds}s against a known device"
start_known_device flood
sleep 2
rss_before=$(rss_mb "$bridge_pid")
# The round trips run during the flood and 20 s after it (the bridge's retries and give-ups of
# the made-up uuids come later than their Binds).
"$flood_bin" rtt 127.0.0.1 "$port" "$key" "$uuid" "$flood_rate" "$flood_seconds" "$rtt_samples" 20 \
  >"$work/flood.txt" || log "flood_bench failed"
cat "$work/flood.txt" >&2
# New devices never discovered are dropped within a minute (bridge/registry.hpp); then count
# what the made-up uuids left on the broker: availability topics and discovery documents.
sleep "$flood_settle"
rss_after=$(rss_mb "$bridge_pid")
left=$("$flood_bin" retained 127.0.0.1 "$port" 'meross/+/availability' "$uuid" meross/bridge/ |
  sed -n 's/^retained=//p')
left_docs=$("$flood_bin" retained 127.0.0.1 "$port" 'homeassistant/#' "$uuid" meross_bridge |
  sed -n 's/^retained=//p')
refused=$(timeout 5 mosquitto_sub -h 127.0.0.1 -p "$port" -t meross/bridge/refused_new_devices/state \
  -C 1 -W 3 2>/dev/null || true)
alive="running"
kill -0 "$bridge_pid" 2>/dev/null || alive="exited"
flood_field() { field "$work/flood.txt" "$1"; }
row "Bind flood: $flood_rate made-up uuids/s for ${flood_seconds} s; known device's command round trip p50 / p99 / max while the Binds come" \
  "$(flood_field flood_p50_us) / $(flood_field flood_p99_us) / $(flood_field flood_max_us) µs ($(flood_field flood_samples) round trips; the 20 s after: p99 $(flood_field after_p99_us), max $(flood_field after_max_us) µs; $(flood_field timeouts) timeouts); RSS $rss_before → $rss_after MB; after ${flood_settle} s ${left:-?} availability topics + ${left_docs:-?} discovery documents of made-up uuids retained; ${refused:-n/a} refused; bridge $alive" \
  "quiet $(flood_field quiet_p50_us) / $(flood_field quiet_p99_us) µs" \
  "$(flood_field ratio_p99)× at p99" "p99 ≤ 3× quiet; nothing retained"
stop_all
fi

# --- the table -----------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $ram RAM; $(uname -sr); $(date -u +%Y-%m-%d)"
echo
echo "| Benchmark | Result | Baseline (same run) | Ratio | Target |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
