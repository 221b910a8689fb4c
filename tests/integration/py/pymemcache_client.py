#!/usr/bin/python3
"""Drives the daemon with pymemcache (Debian python3-pymemcache, text protocol) and asserts
every reply. Usage: pymemcache_client.py HOST PORT. Exits 0 when all checks pass, 1 with a
message naming the first mismatch otherwise. Run with /usr/bin/python3 (Debian's package).
"""
import sys
import time

from pymemcache.client.base import Client


def check(name, got, want):
    if got != want:
        sys.stderr.write("MISMATCH %s: got %r, want %r\n" % (name, got, want))
        sys.exit(1)
    print("ok %s" % name)


class FlagSerde(object):
    """Hands back (value, flags) so the client flags stored by set can be asserted."""

    def serialize(self, key, value):
        return value, 0

    def deserialize(self, key, value, flags):
        return value, flags


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    c = Client((host, port), connect_timeout=5, timeout=5, default_noreply=False)
    flagged = Client((host, port), connect_timeout=5, timeout=5, serde=FlagSerde())

    check("flush_all", c.flush_all(), True)
    check("get miss", c.get("missing"), None)
    check("set", c.set("k1", b"v1"), True)
    check("get hit", c.get("k1"), b"v1")
    check("set flags", c.set("kf", b"x", flags=42), True)
    check("get flags value", c.get("kf"), b"x")
    check("get flags", flagged.get("kf"), (b"x", 42))

    c.set("k2", b"v2")
    c.set("k3", b"v3")
    check("get_many", c.get_many(["k1", "k2", "k3", "nope"]),
          {"k1": b"v1", "k2": b"v2", "k3": b"v3"})

    value, cas = c.gets("k1")
    check("gets value", value, b"v1")
    if not cas or not cas.isdigit():
        sys.stderr.write("MISMATCH gets cas: %r is not a number\n" % (cas,))
        sys.exit(1)
    check("cas ok", c.cas("k1", b"v1b", cas), True)
    check("cas stale", c.cas("k1", b"v1c", cas), False)
    check("cas missing", c.cas("nope", b"x", cas), None)
    check("after cas", c.get("k1"), b"v1b")
    _, cas2 = c.gets("k1")
    check("cas changed", cas2 != cas, True)
    _, cas3 = c.gets("k2")
    check("cas unique per key", cas3 != cas2, True)

    c.set("n", b"10")
    check("incr", c.incr("n", 5), 15)
    check("decr", c.decr("n", 3), 12)
    check("decr floor", c.decr("n", 100), 0)
    check("incr miss", c.incr("nope", 1), None)
    c.set("big", b"18446744073709551615")
    check("incr wrap", c.incr("big", 2), 1)
    # memcached rewrites a shrinking decr result in place, padding with spaces to the old length.
    check("get after decr", c.get("n"), b"0 ")

    check("delete", c.delete("k2"), True)
    check("delete miss", c.delete("k2"), False)
    check("get deleted", c.get("k2"), None)

    check("add new", c.add("a1", b"x"), True)
    check("add existing", c.add("a1", b"y"), False)
    check("get add", c.get("a1"), b"x")
    check("replace existing", c.replace("a1", b"z"), True)
    check("replace missing", c.replace("nope", b"z"), False)
    check("get replace", c.get("a1"), b"z")

    check("append", c.append("a1", b"-end"), True)
    check("prepend", c.prepend("a1", b"start-"), True)
    check("get append prepend", c.get("a1"), b"start-z-end")
    check("append missing", c.append("nope", b"x"), False)
    check("prepend missing", c.prepend("nope", b"x"), False)

    check("touch", c.touch("a1", 1), True)
    check("touch missing", c.touch("nope", 10), False)
    c.set("t2", b"y", expire=100)
    check("touch long", c.touch("t2", 0), True)
    time.sleep(2.2)
    check("expired after touch", c.get("a1"), None)
    check("touch to 0 keeps", c.get("t2"), b"y")

    c.set("ttl", b"soon", expire=1)
    check("before ttl", c.get("ttl"), b"soon")
    time.sleep(2.2)
    check("after ttl", c.get("ttl"), None)

    check("noreply set", c.set("nr", b"1", noreply=True), True)
    check("get noreply", c.get("nr"), b"1")

    check("flush_all again", c.flush_all(), True)
    check("get after flush", c.get_many(["k1", "k3", "n", "nr"]), {})
    check("set after flush", c.set("k1", b"again"), True)
    check("get after flush set", c.get("k1"), b"again")

    c.close()
    flagged.close()
    print("ALL OK")


if __name__ == "__main__":
    main()
