#!/usr/bin/env python3
"""Writes two synthetic scan-heavy traces in the shared text format (gzip), for kmd-sim:

  loop.txt.gz     200 passes over keys 0..1099 (the LRU killer: any cache under 1,100 objects
                  that keeps recency misses every request)
  scanmix.txt.gz  600,000 requests: two of three from a skewed hot set of 5,000 keys (Pareto
                  1.2), every third one from a 20,000-key loop

    bench/sim/synthetic_traces.py OUT_DIR
    build/bench/sim/kmd-sim --trace OUT_DIR/loop.txt.gz \\
        --policy lru,lfu,fifo,s3fifo,sieve,wtinylfu,adaptive --size 110,330,1000
"""
import gzip
import random
import sys
from pathlib import Path


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "loop.txt.gz", "wt") as f:
        i = 0
        for _ in range(200):
            for k in range(1100):
                f.write(f"{i} {k}\n")
                i += 1
    random.seed(7)
    with gzip.open(out / "scanmix.txt.gz", "wt") as f:
        scan = 100000
        for i in range(600000):
            if i % 3 == 0:
                k = 1_000_000 + (scan % 20000)
                scan += 1
            else:
                k = int(random.paretovariate(1.2)) % 5000
            f.write(f"{i} {k}\n")


if __name__ == "__main__":
    main()
