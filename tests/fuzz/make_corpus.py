#!/usr/bin/env python3
"""Seeds the fuzz corpora from the device traces: every recorded payload wrapped in a device
envelope (envelope), every System.All/Ability/Bind-like object (profile), and trace files cut
into small pieces (trace), trace rows prefixed with profile/namespace/method bytes for the mapping
handlers (states, format in fuzz_states.cpp), HA commands per profile and entity (command), and
the example configuration with variants (config). Usage: make_corpus.py FIXTURES OUT [REPO]"""
import json
import os
import re
import sys

fixtures, out = sys.argv[1], sys.argv[2]
repo = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "..", "..")
traces = os.path.join(fixtures, "traces")


def write(kind, name, data):
    os.makedirs(os.path.join(out, kind), exist_ok=True)
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def rows(path):
    if path.endswith(".json.txt"):
        d = json.load(open(path))["data"]
        yield "Appliance.System.All", "GETACK", d["payload"]["all"]
        yield "Appliance.System.Ability", "GETACK", d["payload"]["ability"]
        for r in d.get("trace", [])[1:]:
            if isinstance(r[5], dict):
                yield r[4], r[3], r[5]
    else:
        for line in open(path, encoding="utf-8"):
            f = line.rstrip("\r\n").split("\t")
            if len(f) == 5:
                f.insert(1, "")
            if len(f) >= 6:
                try:
                    yield f[4], f[3], json.loads("\t".join(f[5:]))
                except ValueError:
                    pass


n = 0
for name in sorted(os.listdir(traces)):
    if not name.startswith("U"):
        continue
    path = os.path.join(traces, name)
    raw = open(path, "rb").read()
    write("trace", f"{n}-head", raw[:4096])
    for ns, method, payload in rows(path):
        n += 1
        if ns == "Appliance.System.All":
            write("profile", f"{n}", json.dumps({"all": payload.get("all", payload)}))
        elif ns == "Appliance.System.Ability":
            write("profile", f"{n}", json.dumps({"ability": payload.get("ability", payload)}))
        header = {"messageId": f"{n:032x}", "namespace": ns, "method": method or "PUSH",
                  "payloadVersion": 1, "from": "/appliance/u/publish", "timestamp": 1700000000,
                  "timestampMs": 0, "sign": "0" * 32}
        write("envelope", f"{n}", json.dumps({"header": header, "payload": payload}))

# --- mapping handlers: the lists of tests/fuzz/fuzz_profiles.hpp ------------------------------
def header_list(name):
    """A std::array of string literals in fuzz_profiles.hpp: the fuzzers index the same lists."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_profiles.hpp")) as f:
        text = f.read()
    body = re.search(r"\b" + name + r"\s*=\s*\{(.*?)\};", text, re.S)
    if not body:
        sys.exit(f"make_corpus.py: {name} not found in fuzz_profiles.hpp")
    return re.findall(r'"([^"]*)"', body.group(1))


PROFILES = header_list("kTraceFiles")
NAMESPACES = header_list("kNamespaces")
METHODS = ["GETACK", "SETACK", "PUSH"]

states = 0
per_key = {}
for name in sorted(os.listdir(traces)):
    if not name.startswith("U"):
        continue
    profile = PROFILES.index(name) if name in PROFILES else 0
    for ns, method, payload in rows(os.path.join(traces, name)):
        if ns not in NAMESPACES or (method or "PUSH") not in METHODS:
            continue
        key = (name, ns, method)
        per_key[key] = per_key.get(key, 0) + 1
        if per_key[key] > 8:
            continue
        if ns == "Appliance.System.All" and "all" not in payload:
            payload = {"all": payload}
        prefix = bytes([profile, NAMESPACES.index(ns), METHODS.index(method or "PUSH")])
        states += 1
        write("states", f"{states}", prefix + json.dumps(payload).encode())

COMMANDS = ["ON", "OFF", "OPEN", "CLOSE", "STOP", "0", "50", "100", "101", "-1",
            '{"state":"ON"}', '{"state":"OFF"}', '{"state":"ON","brightness":128}',
            '{"state":"ON","color":{"r":255,"g":0,"b":0}}',
            '{"state":"ON","color_mode":"rgb","color":{"r":1,"g":2,"b":3}}',
            '{"state":"ON","color_temp":300}', '{"state":"ON","color_mode":"color_temp"}',
            '{"state":"ON","effect":"Party"}', '{"state":"ON","transition":2}', '{}', ""]
commands = 0
for profile in range(len(PROFILES)):
    for entity in range(6):
        for command in COMMANDS:
            commands += 1
            write("command", f"{commands}", bytes([profile, entity]) + command.encode())

configs = 0
example = os.path.join(repo, "config.toml.example")
if os.path.exists(example):
    base = open(example, encoding="utf-8").read()
    variants = [base, base.replace('key = ""', 'key = "meross"', 1)]
    variants.append(variants[1] + '\n[[devices]]\nuuid = "0123456789abcdef0123456789abcdef"\n'
                    'name = "Desk"\nkey = "other"\ntimezone = "Europe/Rome"\n'
                    'electricity = "10s"\nconsumption = "1h"\n')
    variants.append(variants[1].replace("mqtt://127.0.0.1:1883", "mqtts://broker.local:8883"))
    variants.append(variants[1].replace('exclude = []', 'exclude = ["0123456789abcdef0123456789abcdef"]'))
    variants.append(variants[1].replace('"30s"', '"1h30m"').replace('"5m"', '"500ms"'))
    variants.append('[meross]\nkey = "k"\nuser_id = 12\n[mqtt]\nurl = "mqtt://[::1]:1883"\n')
    for text in variants:
        configs += 1
        write("config", f"{configs}", text)
print(f"corpus: {n} seeds in {out} (+{states} states, {commands} command, {configs} config)")
