#!/usr/bin/python3
"""Samples a process's RSS from /proc/<pid>/statm every --interval seconds until it exits or
SIGTERM; prints the maximum (MiB) and the sample count as one JSON line on exit."""
import argparse
import json
import os
import signal
import sys
import time

PAGE = os.sysconf("SC_PAGESIZE")


def rss(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("pid", type=int)
    ap.add_argument("--interval", type=float, default=0.1)
    args = ap.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    peak, samples = 0, 0
    while not stop:
        r = rss(args.pid)
        if r is None:
            break
        peak, samples = max(peak, r), samples + 1
        time.sleep(args.interval)
    print(json.dumps({"max_rss_bytes": peak, "samples": samples}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
