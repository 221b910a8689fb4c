#!/usr/bin/env python3
"""Fills a memcached-protocol server with items until it evicts, then reports items held, RSS per
item and overhead per item (DESIGN.md: budget / items - (key + value)). Used on its own and by
compare.py (import: fill()). Works against memcached and kotoba-memd alike: text protocol,
pipelined noreply sets; values are random bytes (incompressible), keys are 16 bytes by default.

Usage: memory_fill.py HOST:PORT [--key-size 16] [--value-size 100 | --value-range 50-5000]
                      [--limit-mib 64] [--pid PID] [--fill-factor 0] [--json OUT]
--value-range draws sizes log-uniformly. --fill-factor F keeps writing after the first eviction
until F x limit bytes of key+value have been sent (a steady state for mixed sizes); 0 stops at the
first eviction. With --pid, VmRSS is read from /proc/PID/status before and after the fill.
"""
import argparse
import json
import math
import os
import random
import socket


class Conn:
    """A text-protocol client with a buffered reader that parses values by length, so random
    value bytes that happen to spell END never confuse it."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, int(port)))
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + 2:]
                return out
            self._fill()

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def stats(self, group=b""):
        """`stats [group]` as {name: value text}."""
        self.sock.sendall(b"stats " + group + b"\r\n")
        out = {}
        while True:
            parts = self.line().decode().split(" ")
            if parts[0] == "END":
                return out
            if len(parts) == 3 and parts[0] == "STAT":
                out[parts[1]] = parts[2]

    def slab_stats(self):
        """{class: {field: int}} from `stats slabs` (memcached's names, which kotoba-memd keeps)."""
        out = {}
        for name, value in self.stats(b"slabs").items():
            cls, sep, field = name.partition(":")
            if sep and cls.isdigit() and value.lstrip("-").isdigit():
                out.setdefault(int(cls), {})[field] = int(value)
        return out

    def value_sizes(self, keys):
        """Sizes of the values of `keys` that the server still holds (one multi-key get)."""
        self.sock.sendall(b"get " + b" ".join(keys) + b"\r\n")
        sizes = {}
        while True:
            parts = self.line().split(b" ")
            if parts[0] == b"END":
                return sizes
            n = int(parts[3])
            self.exact(n + 2)
            sizes[parts[1]] = n


def internal_fragmentation(conn, stats):
    """Slack / allocated: chunk bytes handed to items minus the items' own bytes (header, key,
    value), over the chunk bytes. memcached's `bytes` counts item sizes; kotoba-memd's counts
    chunks and reports the slack itself (slab_slack_bytes)."""
    used = sum(c.get("used_chunks", 0) * c.get("chunk_size", 0)
               for c in conn.slab_stats().values())
    if "slab_slack_bytes" in stats:
        slack = int(stats["slab_slack_bytes"])
    else:
        slack = used - int(stats["bytes"])
    return slack / used if used else 0.0


def vm_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def size_sampler(value_size=None, value_range=None, seed=1):
    if value_range is None:
        return lambda: value_size
    lo, hi = value_range
    rng = random.Random(seed)
    llo, lhi = math.log(lo), math.log(hi + 1)
    return lambda: min(hi, int(math.exp(rng.uniform(llo, lhi))))


def fill(host, port, key_size=16, value_size=100, value_range=None, limit_mib=64, pid=None,
         fill_factor=0.0, batch=2000, seed=1):
    """Fills until eviction (and past it per fill_factor); returns a dict of the figures."""
    conn = Conn(host, port)
    rss_before = vm_rss_bytes(pid) if pid else 0
    next_size = size_sampler(value_size, value_range, seed)
    blob = random.Random(seed).randbytes(1 << 20) + random.Random(seed + 1).randbytes(8192)
    limit = limit_mib << 20
    sizes = []  # value size of key n
    sent = 0
    evicting = False
    while True:
        chunk = []
        for _ in range(batch):
            n = len(sizes)
            key = b"k%0*d" % (key_size - 1, n)
            size = next_size()
            off = (n * 7919) % (1 << 20)
            chunk.append(b"set %s 0 0 %d noreply\r\n%s\r\n" % (key, size, blob[off:off + size]))
            sizes.append(size)
            sent += key_size + size
        conn.sock.sendall(b"".join(chunk))
        s = conn.stats()
        evicting = evicting or int(s.get("evictions", "0")) > 0
        if (evicting and sent >= fill_factor * limit) or len(sizes) > 50_000_000:
            break
    s = conn.stats()
    items = int(s["curr_items"])
    if value_range is None:
        payload = (key_size + value_size) * items
        held = items
    else:
        # Which items survived eviction decides the mean payload: read every key back.
        payload = 0
        held = 0
        for i in range(0, len(sizes), 100):
            keys = [b"k%0*d" % (key_size - 1, n) for n in range(i, min(i + 100, len(sizes)))]
            for _, n in conn.value_sizes(keys).items():
                payload += key_size + n
                held += 1
    rss_after = vm_rss_bytes(pid) if pid else 0
    mean_payload = payload / held if held else 0.0
    out = {
        "server": f"{host}:{port}",
        "version": s.get("version"),
        "key_size": key_size,
        "value": f"{value_range[0]}-{value_range[1]} log-uniform" if value_range else value_size,
        "limit_mib": limit_mib,
        "sets": len(sizes),
        "curr_items": items,
        "items_read_back": held,
        "evictions": int(s.get("evictions", "0")),
        "mean_key_value_bytes": mean_payload,
        "overhead_per_item": limit / items - mean_payload if items else None,
        "key_value_bytes_held": payload,
        "internal_fragmentation": internal_fragmentation(conn, s),
    }
    if pid:
        out.update({
            "rss_bytes": rss_after,
            "rss_before_fill_bytes": rss_before,
            "rss_per_item": rss_after / items if items else None,
            "rss_overhead_per_item": rss_after / items - mean_payload if items else None,
        })
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--key-size", type=int, default=16)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--value-range", help="LO-HI, log-uniform")
    ap.add_argument("--limit-mib", type=int, default=64)
    ap.add_argument("--batch", type=int, default=2000)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--fill-factor", type=float, default=0.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    host, port = args.server.rsplit(":", 1)
    vr = tuple(int(x) for x in args.value_range.split("-")) if args.value_range else None
    r = fill(host, port, args.key_size, args.value_size, vr, args.limit_mib, args.pid,
             args.fill_factor, args.batch)
    line = (f"server={r['server']} version={r['version']} key={r['key_size']} "
            f"value={r['value']} limit_mib={r['limit_mib']} sets={r['sets']} "
            f"curr_items={r['curr_items']} evictions={r['evictions']} "
            f"overhead_per_item={r['overhead_per_item']:.2f} "
            f"key_value_bytes_held={r['key_value_bytes_held']} "
            f"internal_fragmentation={r['internal_fragmentation']:.4f}")
    if args.pid:
        line += f" rss_per_item={r['rss_per_item']:.2f}"
    print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)


if __name__ == "__main__":
    main()
