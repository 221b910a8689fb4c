#!/usr/bin/python3
"""Scenario (c): clients that send 100-key multi-gets and never read the replies, for --seconds;
the server must bound what it holds for them. Keys follow kmd-load's naming (prefix + 12 digits)."""
import argparse
import socket
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--key-prefix", default="key:")
    ap.add_argument("--key-space", type=int, default=50000)
    ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    socks = []
    for c in range(args.clients):
        s = socket.create_connection(("127.0.0.1", args.port))
        s.setblocking(False)
        socks.append(s)
    sent = 0
    end = time.time() + args.seconds
    n = 0
    while time.time() < end:
        for s in socks:
            keys = " ".join(f"{args.key_prefix}{(n * 101 + k * 37) % args.key_space:012d}"
                            for k in range(100))
            n += 1
            try:
                sent += s.send(f"get {keys}\r\n".encode())
            except (BlockingIOError, ConnectionError):
                pass  # the server stopped reading us (or closed us): keep the socket, never read
        time.sleep(0.05)
    print(f"slow_reader: {args.clients} clients sent {sent} bytes of multi-gets, read nothing")
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
