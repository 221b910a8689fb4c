#!/usr/bin/env python3
"""Slab calcification, side by side: fill a server with 100-byte values until it evicts, then
switch the workload to 2000-byte values (uniform gets over a key space 1.25x the memory limit, a
set on every miss) and watch, every second, how much of the limit the new items hold, the hit
ratio, and out-of-memory answers. Runs kotoba-memd and memcached one after the other with the
same -m (the figures are memory and hit ratios, not times, so they need no A/B alternation).

Usage: calcification.py [--build-dir build] [--limit-mib 64] [--seconds 30] [--json OUT]
       calcification.py --server HOST:PORT [...]   (one running server only)
Prints a per-second table per server and a summary: seconds until new items hold >= 90% of the
limit, out-of-memory answers, and the hit ratio's recovery (first second within 0.02 of the
mean of the last five). Needs /usr/bin/python3 and memcached (run as root with -u root).
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory_fill import Conn  # noqa: E402

KEY_SIZE = 16
OLD_SIZE = 100
NEW_SIZE = 2000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=10.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not come up")


def new_item_bytes(conn):
    """Chunk bytes held by items of the large classes (chunk >= one 2000-byte item)."""
    need = KEY_SIZE + NEW_SIZE
    return sum(c.get("used_chunks", 0) * c["chunk_size"]
               for c in conn.slab_stats().values() if c.get("chunk_size", 0) >= need)


def key(prefix, n):
    return b"%s%0*d" % (prefix, KEY_SIZE - len(prefix), n)


def fill_old(conn, blob, limit):
    n = 0
    sent = 0
    while True:
        batch = []
        for _ in range(2000):
            batch.append(b"set %s 0 0 %d noreply\r\n%s\r\n" % (key(b"o", n), OLD_SIZE,
                                                               blob[:OLD_SIZE]))
            n += 1
            sent += KEY_SIZE + OLD_SIZE
        conn.sock.sendall(b"".join(batch))
        if int(conn.stats().get("evictions", "0")) > 0 and sent >= 1.1 * limit:
            return n


def shift(conn, blob, limit, seconds, rng):
    """The 2000-byte phase: per second, hit ratio, new items' share of the limit, OOM answers."""
    space = int(1.25 * limit / (KEY_SIZE + NEW_SIZE))
    rows = []
    start = time.time()
    tick = start + 1
    gets = hits = oom = 0
    while True:
        keys = [key(b"n", rng.randrange(space)) for _ in range(100)]
        conn.sock.sendall(b"get " + b" ".join(keys) + b"\r\n")
        found = set()
        while True:
            parts = conn.line().split(b" ")
            if parts[0] == b"END":
                break
            conn.exact(int(parts[3]) + 2)
            found.add(parts[1])
        gets += len(keys)
        hits += len(found)
        misses = [k for k in dict.fromkeys(keys) if k not in found]
        if misses:
            conn.sock.sendall(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k, NEW_SIZE, blob[:NEW_SIZE])
                                       for k in misses))
            for _ in misses:
                reply = conn.line()
                if reply.startswith(b"SERVER_ERROR"):
                    oom += 1
                elif reply != b"STORED":
                    raise RuntimeError(f"unexpected reply to set: {reply!r}")
        now = time.time()
        if now >= tick:
            rows.append({"second": len(rows) + 1, "hit_ratio": hits / gets if gets else 0.0,
                         "new_share": new_item_bytes(conn) / limit, "oom": oom})
            gets = hits = oom = 0
            tick += 1
            if now - start >= seconds:
                return rows, space


def summarise(rows):
    tail = rows[-5:]
    final_hit = sum(r["hit_ratio"] for r in tail) / len(tail)
    reach = next((r["second"] for r in rows if r["new_share"] >= 0.9), None)
    recover = next((r["second"] for r in rows if r["hit_ratio"] >= final_hit - 0.02), None)
    return {"seconds_to_90pct": reach, "max_new_share": max(r["new_share"] for r in rows),
            "oom_answers": sum(r["oom"] for r in rows), "final_hit_ratio": final_hit,
            "hit_ratio_recovered_at": recover}


def run(host, port, limit_mib, seconds):
    conn = Conn(host, port)
    limit = limit_mib << 20
    blob = random.Random(1).randbytes(NEW_SIZE)
    filled = fill_old(conn, blob, limit)
    rows, space = shift(conn, blob, limit, seconds, random.Random(2))
    version = conn.stats().get("version")
    return {"server": f"{host}:{port}", "version": version, "limit_mib": limit_mib,
            "old_items_written": filled, "new_key_space": space, "rows": rows,
            "summary": summarise(rows)}


def report(name, r):
    s = r["summary"]
    print(f"== {name} ({r['version']}), -m {r['limit_mib']}, new key space {r['new_key_space']}")
    print("second  hit_ratio  new_items/limit  oom")
    for row in r["rows"]:
        print(f"{row['second']:>6}  {row['hit_ratio']:>9.3f}  {row['new_share']:>15.3f}  "
              f"{row['oom']:>3}")
    print(f"summary: new items >= 90% of limit at second {s['seconds_to_90pct']} "
          f"(max {s['max_new_share']:.3f}); out-of-memory answers {s['oom_answers']}; "
          f"hit ratio {s['final_hit_ratio']:.3f}, within 0.02 of it from second "
          f"{s['hit_ratio_recovered_at']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--limit-mib", type=int, default=64)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--server", help="HOST:PORT of one running server (starts nothing)")
    ap.add_argument("--json")
    args = ap.parse_args()
    results = {}
    if args.server:
        host, port = args.server.rsplit(":", 1)
        results["server"] = run(host, int(port), args.limit_mib, args.seconds)
    else:
        daemon = os.path.join(args.build_dir, "server", "kotoba-memd")
        servers = {
            "kotoba-memd": lambda p: [daemon, "-p", str(p), "-l", "127.0.0.1", "-U", "0",
                                      "-m", str(args.limit_mib), "--metrics-listen",
                                      "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
            "memcached": lambda p: ["memcached", "-u", "root", "-p", str(p), "-l", "127.0.0.1",
                                    "-U", "0", "-m", str(args.limit_mib)],
        }
        for name, argv in servers.items():
            port = free_port()
            proc = subprocess.Popen(argv(port), stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            try:
                wait_port(port)
                results[name] = run("127.0.0.1", port, args.limit_mib, args.seconds)
            finally:
                proc.terminate()
                proc.wait()
    for name, r in results.items():
        report(name, r)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
