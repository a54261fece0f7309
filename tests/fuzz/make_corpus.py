#!/usr/bin/env python3
"""Seeds the fuzz corpora from the device traces: every recorded payload wrapped in a device
envelope (envelope), every System.All/Ability/Bind-like object (profile), and trace files cut
into small pieces (trace)."""
import json
import os
import sys

fixtures, out = sys.argv[1], sys.argv[2]
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
print(f"corpus: {n} seeds in {out}")
