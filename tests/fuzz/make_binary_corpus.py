#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_binary.cc into tests/fuzz/corpus/binary/: one well-formed request
per served opcode, a pipeline, and the malformed shapes memcached 1.6.18 answers specially.
Run from anywhere: python3 tests/fuzz/make_binary_corpus.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "binary")


def req(op, key=b"", extras=b"", value=b"", opaque=0, cas=0, magic=0x80,
        keylen=None, extlen=None, bodylen=None):
    kl = len(key) if keylen is None else keylen
    el = len(extras) if extlen is None else extlen
    bl = len(key) + len(extras) + len(value) if bodylen is None else bodylen
    return struct.pack(">BBHBBHIIQ", magic, op, kl, el, 0, 0, bl, opaque, cas) + extras + key + value


def store(flags, exp):
    return struct.pack(">II", flags, exp)


def arith(delta, initial, exp):
    return struct.pack(">QQI", delta, initial, exp)


def exp(e):
    return struct.pack(">I", e)


SEEDS = {
    "get": req(0x00, b"foo", opaque=1),
    "getq": req(0x09, b"foo"),
    "getk": req(0x0C, b"foo"),
    "getkq": req(0x0D, b"foo"),
    "set": req(0x01, b"foo", store(5, 0), b"bar", cas=0),
    "setq_cas": req(0x11, b"foo", store(5, 60), b"bar", cas=42),
    "add": req(0x02, b"foo", store(0, 0), b"x"),
    "replace": req(0x03, b"foo", store(0, 0), b"y"),
    "delete": req(0x04, b"foo"),
    "incr": req(0x05, b"n", arith(1, 10, 0)),
    "decr_nocreate": req(0x06, b"n", arith(1, 10, 0xFFFFFFFF)),
    "append": req(0x0E, b"foo", value=b"tail"),
    "prepend": req(0x0F, b"foo", value=b"head"),
    "quit": req(0x07),
    "flush_delay": req(0x08, extras=exp(10)),
    "noop": req(0x0A),
    "version": req(0x0B),
    "stat_settings": req(0x10, b"settings"),
    "touch": req(0x1C, b"foo", exp(100)),
    "gatk": req(0x23, b"foo", exp(100)),
    "sasl_auth": req(0x21, b"PLAIN", value=b"\0user\0pass"),
    "pipeline": b"".join([req(0x11, b"k%d" % i, store(i, 0), b"v" * i) for i in range(8)]
                         + [req(0x0D, b"k%d" % i) for i in range(8)] + [req(0x0A)]),
    "bad_magic": req(0x00, b"foo", magic=0x81),
    "truncated_header": req(0x00, b"foo")[:13],
    "keylen_gt_bodylen": req(0x00, b"abcde", keylen=5, bodylen=2),
    "body_2gib": req(0x01, b"k", store(0, 0), bodylen=0x80000000),
    "wrong_extras": req(0x00, b"foo", b"1234"),
    "key_251": req(0x00, b"k" * 251),
    "unknown_opcode": req(0x50, b"abc", value=b"xy") + req(0x0A),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(SEEDS), OUT))


if __name__ == "__main__":
    main()
