#!/usr/bin/env python3
"""Checks a meross-bridge TOML file against the configuration contract, without the bridge.

    validate_toml.py FILE [CASE_JSON]

Every table and key of the contract must be present with the right type (the add-on writes them
all, [device_broker] with the same keys as [mqtt]); no unknown table or key; [[devices]] entries need a uuid and may have name, key, timezone.
With CASE_JSON, the values must also equal the case's "expect" object. Messages name keys, never
the values of secrets (key, password).
"""
import json
import re
import sys
import tomllib

DURATION = re.compile(r"^[1-9][0-9]*(s|m|h)$")
UUID = re.compile(r"^[0-9A-Za-z]{32}$")
URL = re.compile(r"^mqtts?://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")
TOPIC = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
ZONE = re.compile(r"^([A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*)?$")
LEVELS = {"trace", "debug", "info", "warning", "error"}
SECRET_KEYS = {"key", "password"}


def is_str(v):
    return isinstance(v, str)


def is_bool(v):
    return isinstance(v, bool)


def is_uint(v):
    return type(v) is int and v >= 0


def matches(pattern, what):
    def check(v):
        return isinstance(v, str) and bool(pattern.match(v))

    check.what = what
    return check


def uuid_list(v):
    return isinstance(v, list) and all(isinstance(u, str) and UUID.match(u) for u in v)


is_str.what = "a string"
is_bool.what = "true or false"
is_uint.what = "a whole number >= 0"
uuid_list.what = "a list of 32-character uuids"


def level(v):
    return v in LEVELS


level.what = "one of " + ", ".join(sorted(LEVELS))

BROKER = {
    "url": matches(URL, "mqtt://host:port or mqtts://host:port"),
    "username": is_str,
    "password": is_str,
    "client_id": matches(re.compile(r"^.+$"), "a non-empty string"),
    "keepalive": matches(DURATION, "a duration"),
    "ca_file": is_str,
    "cert_file": is_str,
    "key_file": is_str,
    "insecure": is_bool,
}
CONTRACT = {
    "meross": {
        "key": is_str,
        "user_id": is_uint,
        "timezone": matches(ZONE, "an IANA zone name or empty"),
        "verify_signatures": is_bool,
        "availability_timeout": matches(DURATION, 'a duration such as "30s", "5m", "1h"'),
        "exclude": uuid_list,
    },
    "mqtt": BROKER,
    "device_broker": BROKER,
    "homeassistant": {
        "discovery_prefix": matches(TOPIC, "a topic without empty levels or wildcards"),
        "base_topic": matches(TOPIC, "a topic without empty levels or wildcards"),
        "per_component_discovery": is_bool,
    },
    "polling": {
        "electricity": matches(DURATION, "a duration"),
        "consumption": matches(DURATION, "a duration"),
    },
    "log": {"level": level},
    "web": {
        "listen": matches(re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[0-9.]+):[0-9]{1,5}$|^$"), "HOST:PORT"),
        "password": is_str,
        "ingress_only": is_bool,
        "ca_file": is_str,
        "device_broker": matches(re.compile(r"^mqtts://[^/@\s]+:[0-9]{1,5}$|^$"), "mqtts://HOST:PORT"),
    },
}
DEVICE = {
    "uuid": matches(UUID, "a 32-character uuid"),
    "name": is_str,
    "key": is_str,
    "timezone": matches(re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$"), "an IANA zone name"),
}


def check_contract(doc):
    errors = []
    for table in doc:
        if table not in CONTRACT and table != "devices":
            errors.append(f"unknown table [{table}]")
    for table, keys in CONTRACT.items():
        values = doc.get(table)
        if not isinstance(values, dict):
            errors.append(f"missing table [{table}]")
            continue
        for key in values:
            if key not in keys:
                errors.append(f"unknown key {table}.{key}")
        for key, check in keys.items():
            if key not in values:
                errors.append(f"missing key {table}.{key}")
            elif not check(values[key]):
                errors.append(f"{table}.{key} must be {check.what}")
    devices = doc.get("devices", [])
    if not isinstance(devices, list) or not all(isinstance(d, dict) for d in devices):
        errors.append("devices must be an array of tables ([[devices]])")
        return errors
    for i, device in enumerate(devices):
        if "uuid" not in device:
            errors.append(f"devices[{i}] has no uuid")
        for key, value in device.items():
            check = DEVICE.get(key)
            if check is None:
                errors.append(f"unknown key devices[{i}].{key}")
            elif not check(value):
                errors.append(f"devices[{i}].{key} must be {check.what}")
    return errors


def describe(path, key, expected, actual):
    if key in SECRET_KEYS:
        return f"{path} differs from the expected value (secret: values not shown)"
    return f"{path} is {actual!r}, expected {expected!r}"


def check_expected(doc, expect):
    errors = []
    for table, keys in expect.items():
        if table == "devices":
            got = doc.get("devices", [])
            if len(got) != len(keys):
                errors.append(f"{len(got)} [[devices]] entries, expected {len(keys)}")
                continue
            for i, (want, have) in enumerate(zip(keys, got)):
                for key in sorted(set(want) | set(have)):
                    if want.get(key) != have.get(key):
                        errors.append(describe(f"devices[{i}].{key}", key, want.get(key), have.get(key)))
            continue
        for key, want in keys.items():
            have = doc.get(table, {}).get(key)
            if have != want or type(have) is not type(want):
                errors.append(describe(f"{table}.{key}", key, want, have))
    return errors


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = argv[1]
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        print(f"{path}: not valid TOML: {e}", file=sys.stderr)
        return 1
    errors = check_contract(doc)
    if len(argv) == 3:
        with open(argv[2], encoding="utf-8") as f:
            case = json.load(f)
        errors += check_expected(doc, case.get("expect", {}))
    for e in errors:
        print(f"{path}: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
