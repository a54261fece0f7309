#!/usr/bin/env python3
"""Home Assistant's view of the demo (scripts/run.sh), readable.

Reads `mosquitto_sub -v -t 'homeassistant/#' -t 'meross/#'` lines ("topic payload") on stdin.
Once the devices have appeared (discovery quiet for a second), prints each device with its
entities, commands to try, then one line per state change: device, entity, new value.
States are remembered from the start, so only changes are printed.
"""
import argparse
import json
import queue
import sys
import textwrap
import threading
import time

BRIDGE = "meross_bridge"

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--host", default="127.0.0.1")
p.add_argument("--port", type=int, default=1883)
p.add_argument("--password-file", help="the homeassistant user's password file")
p.add_argument("--expect", type=int, default=1, help="devices to wait for (up to 30 s)")
p.add_argument("--call", help="a `meross-bridge call` command line without --uuid and request")
args = p.parse_args()
login = f"-h {args.host} -p {args.port} -u homeassistant"
if args.password_file:
    login += f' -P "$(cat {args.password_file})"'

devices = {}  # discovery topic -> {"id", "name", "model", "via", "components"}
states = {}  # state topic -> (device name, entity label, unit, print changes)
values = {}  # state topic -> last payload
summary_printed = False


def on_discovery(topic, payload):
    """Records a device's discovery document; returns its entry when new or changed."""
    if not payload or payload == "(null)":  # mosquitto_sub -v prints an empty payload so
        gone = devices.pop(topic, None)
        if gone and summary_printed:
            print(f"removed: {gone['name']}")
        return None
    doc = json.loads(payload)
    dev = doc.get("device") or doc.get("dev") or {}
    comps = doc.get("components") or doc.get("cmps") or {}
    entry = {
        "id": (dev.get("identifiers") or dev.get("ids") or [topic])[0],
        "name": dev.get("name", "?"),
        "model": dev.get("model") or dev.get("mdl") or "?",
        "via": dev.get("via_device"),
        "components": comps,
    }
    old = devices.get(topic)
    devices[topic] = entry
    # What to call each state topic: the entity's key, plus the attribute for climate & co.
    # The bridge's own counters change with every message: not worth a line each.
    for key, comp in comps.items():
        if "state_topic" in comp:
            loud = entry["id"] != BRIDGE or comp.get("platform") != "sensor"
            unit = comp.get("unit_of_measurement")
            states[comp["state_topic"]] = (entry["name"], key, unit, loud)
    for key, comp in comps.items():
        for attr, t in comp.items():
            if attr.endswith("_topic") and "command" not in attr and t not in states:
                label = attr.removesuffix("_topic").removesuffix("_state")
                states[t] = (entry["name"], f"{key} {label}", None, True)
    for a in doc.get("availability") or []:
        t = a.get("topic")
        if t and (t not in states or entry["id"] == BRIDGE):
            states[t] = (entry["name"], "availability", None, True)
    if old and old["components"].keys() == comps.keys():
        return None
    return entry


def uuid_of(entry):
    ident = entry["id"].removeprefix("meross_")
    if entry["via"] and entry["via"] != BRIDGE:
        uuid, _, sub = ident.partition("_")
        return f"hub {uuid}, sub-device {sub}"
    return f"uuid {ident}"


def describe(entry):
    """Name, model, uuid; main entities by platform, then settings and diagnostics by key."""
    by_platform, extra = {}, {"config": [], "diagnostic": []}
    for key, comp in entry["components"].items():
        if comp.get("entity_category") in extra:
            extra[comp["entity_category"]].append(key)
        else:
            by_platform.setdefault(comp.get("platform", "?"), []).append(key)
    print(f"{entry['name']} — {entry['model']}, {uuid_of(entry)}")
    lines = [" · ".join(f"{pl} {', '.join(keys)}" for pl, keys in by_platform.items())]
    lines.append(" · ".join(f"{cat}: {', '.join(keys)}" for cat, keys in extra.items() if keys))
    for text in filter(None, lines):
        print(textwrap.fill(text, 100, initial_indent="    ", subsequent_indent="      "))


def top_level():
    return [e for e in devices.values() if e["id"] != BRIDGE and e["via"] in (None, BRIDGE)]


def find(platform, attr):
    """(device, component): the first top-level, non-settings entity of this platform with attr."""
    for e in top_level():
        for comp in e["components"].values():
            if comp.get("platform") == platform and attr in comp and "entity_category" not in comp:
                return e, comp
    return None, None


def print_summary():
    tops = top_level()
    subs = [e for e in devices.values() if e not in tops and e["id"] != BRIDGE]
    print(f"\n{len(tops)} devices and {len(subs)} hub sub-devices in Home Assistant:\n")
    for e in tops:
        describe(e)
        for s in subs:
            if s["via"] == e["id"]:
                describe(s)
    print("\nTry, in another terminal:")
    plug, comp = find("switch", "command_topic")
    if plug:
        on = "OFF" if values.get(comp.get("state_topic")) == "ON" else "ON"
        print(f"  mosquitto_pub {login} -t '{comp['command_topic']}' -m {on}    # {plug['name']}")
    dev, comp = find("climate", "temperature_command_topic")
    if dev:
        t = "22" if values.get(comp.get("temperature_state_topic")) == "21.5" else "21.5"
        print(f"  mosquitto_pub {login} -t '{comp['temperature_command_topic']}' -m {t}"
              f"    # {dev['name']}: {t} °C")
    print(f"  mosquitto_sub {login} -v -t 'meross/#'    # every state, raw")
    if args.call and tops:
        dev = plug or tops[0]
        uuid = dev["id"].removeprefix("meross_")
        print(f"  {args.call} --uuid {uuid} GET Appliance.System.All    # ask {dev['name']}")
    print("\nState changes (Ctrl-C stops the demo):")


def show(value):
    """A light's JSON state as key=value pairs; anything else as it is."""
    if value.startswith("{"):
        try:
            return " ".join(f"{k}={v}" for k, v in json.loads(value).items())
        except ValueError:
            pass
    return value


def on_state(topic, payload):
    """Prints a change of a known value (first values are what the devices start with)."""
    old = values.get(topic)
    values[topic] = payload
    if topic not in states or old is None or old == payload:
        return
    name, label, unit, loud = states[topic]
    if summary_printed and loud:
        width = max(len(e["name"]) for e in devices.values())
        print(f"{name:<{width}}  {label}: {show(payload)}{' ' + unit if unit else ''}")


inbox = queue.Queue()  # stdin's lines, None at its end: the main loop also wakes up without one


def read_stdin():
    for line in sys.stdin:
        inbox.put(line.rstrip("\n"))
    inbox.put(None)


sys.stdin.reconfigure(errors="replace")
sys.stdout.reconfigure(line_buffering=True)
threading.Thread(target=read_stdin, daemon=True).start()
start = last_new = time.monotonic()
try:
    while True:
        try:
            line = inbox.get(timeout=0.2)
        except queue.Empty:
            line = ""
        if line is None:
            break
        topic, _, payload = line.partition(" ")
        if topic.startswith("homeassistant/") and topic.endswith("/config"):
            try:
                entry = on_discovery(topic, payload)
            except (ValueError, KeyError, TypeError, AttributeError):
                entry = None  # not a discovery document of ours
            if entry:
                last_new = time.monotonic()
                if summary_printed and entry["id"] != BRIDGE:
                    print("\nnew or changed device:")
                    describe(entry)
        elif topic:
            on_state(topic, payload)
        now = time.monotonic()
        if (not summary_printed and top_level() and now - last_new >= 1.0
                and (len(top_level()) >= args.expect or now - start >= 30)):
            print_summary()
            summary_printed = True
except KeyboardInterrupt:
    pass
