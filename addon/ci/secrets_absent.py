#!/usr/bin/env python3
"""Fails if any secret of a test case appears in the given files; never prints a secret.

    secrets_absent.py CASE_JSON FILE...

The secrets are the case's "secrets" list (fake values made for the test), also looked for in the
escaped forms a TOML or JSON writer would produce.
"""
import json
import sys


def forms(secret):
    escaped = secret.replace("\\", "\\\\").replace('"', '\\"')
    return {secret, escaped}


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        secrets = json.load(f).get("secrets", [])
    leaks = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for i, secret in enumerate(secrets):
            if any(form in text for form in forms(secret)):
                print(f"{path}: contains secret #{i + 1} of the case (value not shown)",
                      file=sys.stderr)
                leaks += 1
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
