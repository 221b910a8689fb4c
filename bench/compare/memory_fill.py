#!/usr/bin/env python3
"""Fills a memcached-protocol server with fixed-size items until it starts evicting, then reads
`stats` and prints items held and overhead per item (DESIGN.md: budget / items - (key + value)).

Usage: memory_fill.py HOST:PORT [--key-size 16] [--value-size 100] [--limit-mib 64]
Works against memcached and kotoba-memd alike (text protocol, pipelined noreply sets).
"""
import argparse
import socket


def stats(sock):
    sock.sendall(b"stats\r\n")
    buf = b""
    while not buf.endswith(b"END\r\n"):
        buf += sock.recv(65536)
    out = {}
    for line in buf.decode().split("\r\n"):
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == "STAT":
            out[parts[1]] = parts[2]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--key-size", type=int, default=16)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--limit-mib", type=int, default=64)
    ap.add_argument("--batch", type=int, default=2000)
    args = ap.parse_args()
    host, port = args.server.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    value = b"v" * args.value_size
    n = 0
    while True:
        chunk = []
        for _ in range(args.batch):
            key = ("k%0*d" % (args.key_size - 1, n)).encode()
            chunk.append(b"set %s 0 0 %d noreply\r\n%s\r\n" % (key, len(value), value))
            n += 1
        sock.sendall(b"".join(chunk))
        s = stats(sock)
        if int(s.get("evictions", "0")) > 0 or n > 50_000_000:
            break
    # Keep filling a little so that every class is at steady state, then read the figures.
    s = stats(sock)
    items = int(s["curr_items"])
    limit = args.limit_mib << 20
    overhead = limit / items - (args.key_size + args.value_size)
    print(f"server={args.server} version={s.get('version')} key={args.key_size} "
          f"value={args.value_size} limit_mib={args.limit_mib} sets={n} curr_items={items} "
          f"evictions={s.get('evictions')} overhead_per_item={overhead:.2f}")


if __name__ == "__main__":
    main()
