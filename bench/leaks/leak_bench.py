#!/usr/bin/python3
"""The leak detector's long runs (issue 6), never part of the tests.

Starts two kotoba-memd side by side with the same profile settings (the defaults unless given),
one with a deliberate leak (debug.leak, default c:4KiB, i.e. 4 KiB/s at site c), one clean, drives
the same light load into both (sets and gets over a bounded key space, --rate requests/s each),
polls /debug/leaks every --poll seconds and reports when the leaking site was first named, its
rate and confidence, and what the clean daemon reported (it must report nothing).

    bench/leaks/leak_bench.py [--duration 600] [--leak c:4KiB] [--build-dir build]
                              [--extra "--profile-sample-bytes 64KiB"]

Exit status 0 when the site was named within --duration and the clean run stayed empty.
Standard library only.
"""
import argparse
import json
import os
import random
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.request

SITE_FUNCTIONS = {"a": "LeakSiteA", "b": "LeakSiteB", "c": "LeakSiteC"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, extra, leak):
    port, admin, metrics = free_port(), free_port(), free_port()
    args = [binary, "-p", str(port), "-l", "127.0.0.1", "-U", "0",
            "--admin-listen", f"127.0.0.1:{admin}", "--metrics-listen", f"127.0.0.1:{metrics}"]
    if os.geteuid() == 0:
        args += ["-u", "root"]
    args += extra
    if leak:
        args += ["--debug-leak", leak]
    log = open(f"/tmp/kmd-leak-bench-{port}.log", "w")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port, admin, log.name
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"{binary} did not start; see {log.name}")


def drive(port, rate, stop):
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    i = 0
    while not stop.is_set():
        c = conns[i % len(conns)]
        key = f"user:{random.randint(0, 20000)}".encode()
        value = b"v" * random.randint(50, 2000)
        c.sendall(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value))
        c.recv(64)
        c.sendall(b"get %s\r\n" % key)
        buf = b""
        while not buf.endswith(b"END\r\n"):
            buf += c.recv(65536)
        i += 1
        time.sleep(1.0 / rate)


def leaks(admin):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin}/debug/leaks", timeout=5) as r:
        return json.load(r)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build-dir", default=os.path.join(here, "..", "..", "build"))
    p.add_argument("--duration", type=float, default=600, help="seconds of load")
    p.add_argument("--leak", default="c:4KiB", help="debug.leak of the leaking daemon")
    p.add_argument("--rate", type=float, default=200, help="requests per second per daemon")
    p.add_argument("--poll", type=float, default=10)
    p.add_argument("--extra", default="", help="more kotoba-memd arguments for both daemons")
    a = p.parse_args()
    binary = os.path.join(a.build_dir, "server", "kotoba-memd")
    extra = shlex.split(a.extra)
    site = SITE_FUNCTIONS[a.leak.split(":")[0]]
    leaky, leaky_port, leaky_admin, leaky_log = start(binary, extra, a.leak)
    clean, clean_port, clean_admin, clean_log = start(binary, extra, "")
    stop = threading.Event()
    threads = [threading.Thread(target=drive, args=(port, a.rate, stop), daemon=True)
               for port in (leaky_port, clean_port)]
    for t in threads:
        t.start()
    began = time.time()
    found_after, finding = None, None
    try:
        while time.time() - began < a.duration:
            time.sleep(a.poll)
            report = leaks(leaky_admin)
            for f in report["findings"]:
                if site in f["site"] and found_after is None:
                    found_after, finding = time.time() - began, f
            print(f"{time.time() - began:6.0f}s leaky: {len(report['findings'])} findings"
                  f"{'' if found_after is None else f', {site} named after {found_after:.0f}s'}"
                  f"; clean: {len(leaks(clean_admin)['findings'])} findings", flush=True)
        clean_report = leaks(clean_admin)
    finally:
        stop.set()
        for proc in (leaky, clean):
            proc.terminate()
            proc.wait(10)
    print(json.dumps({"leak": a.leak, "duration_s": a.duration, "extra": a.extra,
                      "found_after_s": found_after, "finding": finding,
                      "clean_findings": clean_report["findings"],
                      "logs": [leaky_log, clean_log]}, indent=1))
    ok = found_after is not None and not clean_report["findings"]
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
