#!/usr/bin/env python3
"""Heap the bridge keeps per device (issue 19; docs/architecture.md "Memory per device").

For each fleet size: a local mosquitto, meross-bridge under heaptrack, `meross-sim --profile
mss310 --count N --bind-interval 1s`; once every device's discovery document is on the broker and
SETTLE seconds more have passed, the bridge is killed (SIGKILL), so that heaptrack's "leaked"
figure is the heap in use at that moment. The cost per device is the slope between the smallest
and the largest fleet, which leaves out what does not grow with it, overall and per allocation
site (the innermost frame of ours).

Usage: bench/heap_per_device.py [BUILD_DIR] [--counts 500 2000] [--settle 30] [--sites 15]
Needs heaptrack, heaptrack_print, mosquitto and mosquitto_sub; everything on 127.0.0.1.
"""

import argparse
import collections
import re
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

KEY = "meross-bench-key"
ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def heap_by_site(flamegraph):
    """Bytes in use per innermost frame of ours, and in all."""
    sites = collections.Counter()
    for line in flamegraph.read_text().splitlines():
        stack, _, cost = line.rpartition(" ")
        ours = [re.sub(r"\(.*", "", f) for f in stack.split(";") if "meross::" in f]
        sites[ours[-1] if ours else "(outside our code)"] += int(cost)
    return sites


def measure(build, count, settle, work):
    processes = []

    def start(argv, out=subprocess.DEVNULL):
        processes.append(subprocess.Popen([str(a) for a in argv], stdout=out, stderr=subprocess.DEVNULL))
        return processes[-1]

    port = free_port()
    conf = work / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n")
    config = work / "bridge.toml"
    config.write_text(f'[meross]\nkey = "{KEY}"\n[mqtt]\nurl = "mqtt://127.0.0.1:{port}"\n[log]\nlevel = "warning"\n')
    data = work / "heap"
    try:
        start(["mosquitto", "-c", conf])
        time.sleep(0.5)
        topics = open(work / "discovery.txt", "wb")
        start(["mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "homeassistant/device/+/config", "-F", "%t"], topics)
        tracer = start(["heaptrack", "-o", data, build / "bridge/meross-bridge", "--config", config])
        time.sleep(3)
        sim = ["--broker", f"mqtt://127.0.0.1:{port}", "--key", KEY, "--log-level", "warn"]
        start([build / "simulator/meross-sim", *sim, "--profile", "mss310", "--count", count, "--bind-interval", "1s"])
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            # The bridge's own document is one more.
            if len(set((work / "discovery.txt").read_text().split())) > count:
                break
            time.sleep(1)
        else:
            print(f"{count} devices: not all discovered within 300 s; measuring anyway")
        time.sleep(settle)
        bridge = subprocess.run(["pgrep", "-P", str(tracer.pid), "-f", "--", "--config"], capture_output=True, text=True)
        for pid in bridge.stdout.split():
            subprocess.run(["kill", "-KILL", pid])
        tracer.wait(timeout=120)
    finally:
        for p in reversed(processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
    flamegraph = work / "leaked.txt"
    subprocess.run(
        ["heaptrack_print", "-f", f"{data}.zst", "--print-leaks", "0", "--print-peaks", "0", "--print-allocators", "0",
         "--print-temporary", "0", "--print-flamegraph", flamegraph, "--flamegraph-cost-type", "leaked"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return heap_by_site(flamegraph)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default=ROOT / "build", type=Path)
    parser.add_argument("--counts", nargs=2, type=int, default=[500, 2000])
    parser.add_argument("--settle", type=int, default=30)
    parser.add_argument("--sites", type=int, default=15)
    args = parser.parse_args()
    small, large = sorted(args.counts)
    runs = {}
    for count in (small, large):
        with tempfile.TemporaryDirectory(prefix="heap-per-device-") as work:
            runs[count] = measure(args.build.resolve(), count, args.settle, Path(work))
    per_device = {site: (runs[large][site] - runs[small][site]) / (large - small) for site in runs[large] | runs[small]}
    print(f"heap in use per device, slope {small} → {large} mss310: {sum(per_device.values()):.0f} B")
    for site, cost in sorted(per_device.items(), key=lambda item: -item[1])[: args.sites]:
        print(f"{cost:8.0f} B  {site[:150]}")


if __name__ == "__main__":
    main()
