#!/usr/bin/env python3
"""The Python per-PUSH baseline of issue 19: what a Home Assistant integration written in Python
(meross_lan's receive path) does with one device PUSH, measured in CPU time per message.

Our own code, modelled on the steps meross_lan's MQTT receive path takes per message (read, not
copied): decode the MQTT payload and json-decode the envelope; take the device uuid from the
header's "from" topic; look the messageId up among the requests waiting for an answer; find the
device; record the message size and the device's clock offset; check the signature
md5(messageId + key + timestamp) (meross_lan checks it only with debug logging on; the bridge
always does, so this does too); keep the last PUSH payload per namespace; dispatch on the
namespace to its handler; split the payload by channel to the entity parsers; update each
entity's state (value scaling, on/off, light colour); and serialise the state the integration
hands on per entity (json.dumps of state + attributes; Home Assistant's own state machine,
event bus and recorder come on top in a real installation and are not counted, so this is a lower
bound of the Python path's cost).

Like the bridge (mapping::states_from publishes every state a message carries), every message's
states are serialised, changed or not, so both sides do the same work per message.

Input: the PUSHes bench_pipeline measures, one "kind<TAB>message" line each, as
`bench_pipeline --pushes-out=FILE` writes them. Output, per kind: "python_us_per_push KIND = N"
(CPU µs per PUSH) and the number of states serialised per PUSH; bench/run_all.py reads these.
Usage: python_push_baseline.py PUSHES_FILE [--key KEY] [--min-time SECONDS]
"""

import argparse
import hashlib
import json
import sys
import time

APPLIANCE_PREFIX = "/appliance/"


class Entity:
    """One Home Assistant entity: its state and attributes, and the serialised state it hands
    on (kept, as a publication would be queued)."""

    __slots__ = ("entity_id", "state", "attributes", "published")

    def __init__(self, entity_id, attributes, published):
        self.entity_id = entity_id
        self.state = None
        self.attributes = attributes
        self.published = published

    def write_state(self):
        self.published.append(
            (
                self.entity_id,
                json.dumps(
                    {"entity_id": self.entity_id, "state": self.state, "attributes": self.attributes},
                    separators=(",", ":"),
                ),
            )
        )


class Switch(Entity):
    __slots__ = ()

    def parse(self, item, device):
        self.state = "on" if item["onoff"] else "off"
        self.write_state()


class Sensor(Entity):
    """A numeric sensor fed by one key of a channel's payload, scaled to its unit."""

    __slots__ = ("key", "scale")

    def __init__(self, entity_id, attributes, published, key, scale):
        super().__init__(entity_id, attributes, published)
        self.key = key
        self.scale = scale

    def update(self, raw):
        self.state = raw / self.scale
        self.write_state()


class Electricity:
    """Power, current and voltage of one channel, and an energy estimate integrated from the
    power between two readings (what an integration does for plugs without a consumption
    report), handed on when its whole Wh change, as meross_lan does."""

    __slots__ = ("sensors", "estimate", "energy", "last_power", "last_epoch")

    def __init__(self, uuid, channel, published):
        prefix = f"sensor.{uuid}_{channel}_"
        self.sensors = (
            Sensor(prefix + "power", {"unit_of_measurement": "W", "device_class": "power"}, published, "power", 1000),
            Sensor(prefix + "current", {"unit_of_measurement": "A", "device_class": "current"}, published, "current", 1000),
            Sensor(prefix + "voltage", {"unit_of_measurement": "V", "device_class": "voltage"}, published, "voltage", 10),
        )
        self.estimate = 0.0
        self.energy = Sensor(prefix + "energy_estimate", {"unit_of_measurement": "Wh", "device_class": "energy"}, published, "energy", 1)
        self.energy.state = 0
        self.last_power = None
        self.last_epoch = 0

    def parse(self, item, device):
        for sensor in self.sensors:
            if sensor.key in item:
                sensor.update(item[sensor.key])
        power = self.sensors[0].state
        if self.last_power is not None:
            self.estimate += (self.last_power + power) * (device.timestamp - self.last_epoch) / 7200
            if int(self.estimate) != self.energy.state:
                self.energy.state = int(self.estimate)
                self.energy.write_state()
        self.last_power = power
        self.last_epoch = device.timestamp


class Light(Entity):
    """A bulb: on/off, brightness (luminance % → 0..255), colour temperature (1..100 → mireds)
    and RGB (packed integer → tuple), with the colour mode the capacity bits say."""

    __slots__ = ()

    def parse(self, item, device):
        attributes = self.attributes
        if "onoff" in item:
            self.state = "on" if item["onoff"] else "off"
        elif self.state is None:
            self.state = "on"
        capacity = item.get("capacity", 0)
        if "luminance" in item:
            attributes["brightness"] = round(item["luminance"] * 255 / 100)
        if capacity & 1 and "rgb" in item:
            rgb = item["rgb"]
            attributes["rgb_color"] = ((rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255)
            attributes["color_mode"] = "rgb"
        elif capacity & 2 and "temperature" in item:
            attributes["color_temp"] = round(500 - (item["temperature"] - 1) * (500 - 153) / 99)
            attributes["color_mode"] = "color_temp"
        self.write_state()


class NamespaceHandler:
    """Splits a namespace's payload by channel to the parser of each channel; a channel seen for
    the first time gets its entity from the factory."""

    __slots__ = ("key", "parsers", "factory")

    def __init__(self, key, factory):
        self.key = key
        self.parsers = {}
        self.factory = factory

    def handle(self, payload, device):
        body = payload[self.key]
        for item in body if type(body) is list else (body,):
            channel = item.get("channel", 0)
            try:
                parser = self.parsers[channel]
            except KeyError:
                parser = self.parsers[channel] = self.factory(channel)
            parser.parse(item, device)


class Device:
    __slots__ = ("uuid", "key", "handlers", "pending", "last_push", "timestamp", "clock_offset",
                 "largest_message", "published", "bad_signs")

    def __init__(self, uuid, key, published):
        self.uuid = uuid
        self.key = key
        self.pending = {}
        self.last_push = {}
        self.timestamp = 0
        self.clock_offset = 0.0
        self.largest_message = 0
        self.published = published
        self.bad_signs = 0

        def switch(channel):
            return Switch(f"switch.{uuid}_{channel}", {"friendly_name": f"Outlet {channel}"}, published)

        def electricity(channel):
            return Electricity(uuid, channel, published)

        def light(channel):
            return Light(f"light.{uuid}_{channel}", {"friendly_name": f"Light {channel}"}, published)

        self.handlers = {
            "Appliance.Control.ToggleX": NamespaceHandler("togglex", switch),
            "Appliance.Control.Toggle": NamespaceHandler("toggle", switch),
            "Appliance.Control.Electricity": NamespaceHandler("electricity", electricity),
            "Appliance.Control.Light": NamespaceHandler("light", light),
        }

    def receive(self, header, payload, size, now):
        if size > self.largest_message:
            self.largest_message = size
        self.timestamp = timestamp = header["timestamp"]
        self.clock_offset = (9 * self.clock_offset + (now - timestamp)) / 10
        message_id = header["messageId"]
        sign = hashlib.md5(f"{message_id}{self.key}{timestamp}".encode()).hexdigest()
        if sign != header["sign"]:
            self.bad_signs += 1
            return
        method = header["method"]
        namespace = header["namespace"]
        if method == "PUSH":
            self.last_push[namespace] = payload
        elif method not in ("GETACK", "SETACK"):
            return
        handler = self.handlers.get(namespace)
        if handler is not None:
            handler.handle(payload, self)


class Integration:
    """The integration's MQTT side: every device it knows, by uuid."""

    __slots__ = ("devices", "unknown")

    def __init__(self):
        self.devices = {}
        self.unknown = 0

    def on_message(self, raw):
        text = raw.decode("utf-8")
        message = json.loads(text)
        header = message["header"]
        source = header["from"]
        uuid = source[len(APPLIANCE_PREFIX):source.index("/", len(APPLIANCE_PREFIX))]
        device = self.devices.get(uuid)
        if device is None:
            self.unknown += 1
            return
        waiting = device.pending.pop(header["messageId"], None)
        if waiting is not None:
            waiting.append(message)
        device.receive(header, message["payload"], len(text), time.time())


def read_pushes(path):
    pushes = []
    with open(path, "rb") as f:
        for line in f:
            kind, _, message = line.rstrip(b"\n").partition(b"\t")
            if message:
                pushes.append((kind.decode(), message))
    return pushes


def measure(raw, key, min_time):
    """CPU µs per message and states serialised per message, over batches until min_time of
    CPU time has passed (the machines are shared: wall time would count other processes)."""
    published = []
    integration = Integration()
    header = json.loads(raw)["header"]
    uuid = header["from"].split("/")[2]
    integration.devices[uuid] = Device(uuid, key, published)
    for _ in range(2):  # the first message creates the entities, the second has a previous one
        published.clear()
        integration.on_message(raw)
    if integration.devices[uuid].bad_signs:
        raise SystemExit(f"python_push_baseline: bad signature with key {key!r}")
    states = len(published)
    batch, spent, count = 100, 0.0, 0
    while spent < min_time:
        started = time.process_time()
        for _ in range(batch):
            published.clear()
            integration.on_message(raw)
        spent += time.process_time() - started
        count += batch
        batch *= 2 if spent < min_time / 10 else 1
    return spent * 1e6 / count, states


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pushes", help="file of 'kind<TAB>message' lines (bench_pipeline --pushes-out)")
    parser.add_argument("--key", default="meross-bench-key", help="the key the PUSHes are signed with")
    parser.add_argument("--min-time", type=float, default=0.3, help="CPU seconds per kind at least")
    args = parser.parse_args()
    pushes = read_pushes(args.pushes)
    if not pushes:
        raise SystemExit(f"python_push_baseline: no PUSH in {args.pushes}")
    print(f"python {sys.version.split()[0]}")
    for kind, raw in pushes:
        us, states = measure(raw, args.key, args.min_time)
        print(f"python_states_per_push {kind} = {states}")
        print(f"python_us_per_push {kind} = {us:.2f}")


if __name__ == "__main__":
    main()
