#!/usr/bin/env python3
"""Answers the fake bashio's questions from JSON files, the way bashio answers them with jq.

    fake_bashio.py config   OPTIONS_JSON QUERY [DEFAULT]   -> bashio::config
    fake_bashio.py service  SERVICES_JSON SERVICE FIELD     -> bashio::services
    fake_bashio.py has-service SERVICES_JSON SERVICE        -> bashio::services.available (exit code)
    fake_bashio.py addon-port ADDON_JSON PORT/PROTO         -> bashio::addon.port (empty if unpublished)

QUERY is the subset of jq paths the add-on uses: `a`, `a[0].b`, `a|keys`, `a|length`.
Output follows bashio::config: null -> "null" (or DEFAULT), strings raw, booleans true/false,
arrays one element per line (empty array -> nothing), objects as JSON.
"""
import json
import re
import sys

TOKEN = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def lookup(data, query):
    path, _, pipe = query.partition("|")
    value = data
    pos = 0
    path = path.strip()
    while pos < len(path):
        m = TOKEN.match(path, pos)
        if not m:
            raise SystemExit(f"fake bashio: unsupported query {query!r}")
        pos = m.end()
        if value is None:
            continue
        if m.group(1) is not None:
            value = value.get(m.group(1)) if isinstance(value, dict) else None
        else:
            i = int(m.group(2))
            value = value[i] if isinstance(value, list) and i < len(value) else None
    pipe = pipe.strip()
    if pipe == "keys":
        if isinstance(value, list):
            value = list(range(len(value)))
        elif isinstance(value, dict):
            value = sorted(value)
        else:
            value = None
    elif pipe == "length":
        value = len(value) if value is not None else 0
    elif pipe:
        raise SystemExit(f"fake bashio: unsupported filter {pipe!r}")
    return value


def scalar(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v)


def main(argv):
    cmd = argv[1]
    try:
        with open(argv[2], encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        # Never the file's text: an options file holds secrets.
        sys.stderr.write(f"fake bashio: cannot read {argv[2]} as JSON ({type(e).__name__})\n")
        return 1
    if cmd == "config":
        value = lookup(data, argv[3])
        default = argv[4] if len(argv) > 4 else ""
        if value is None:
            out = [default if default else "null"]
        elif isinstance(value, list):
            out = [scalar(v) for v in value]
        elif isinstance(value, dict):
            out = [json.dumps(value)] if value else []
        else:
            out = [scalar(value)]
        for line in out:
            sys.stdout.write(line + "\n")
        return 0
    if cmd == "has-service":
        return 0 if isinstance(data.get(argv[3]), dict) else 1
    if cmd == "service":
        service = data.get(argv[3])
        if not isinstance(service, dict) or argv[4] not in service:
            return 1
        sys.stdout.write(scalar(service[argv[4]]) + "\n")
        return 0
    if cmd == "addon-port":
        network = data.get("network") if isinstance(data, dict) else None
        port = network.get(argv[3]) if isinstance(network, dict) else None
        if port is not None:
            sys.stdout.write(scalar(port) + "\n")
        return 0
    raise SystemExit(f"fake bashio: unknown command {cmd}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
