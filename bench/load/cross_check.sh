#!/bin/bash
# Cross-checks kmd-load against an independent tool: memcslap (libmemcached-tools 1.1.4) and
# kmd-load drive one memcached 1.6.18 (-t 1) with the same shape of load — binary protocol, one
# connection, one request in flight, 20-60 byte keys (kmd-load: 40), values uniform in 50-5000
# bytes, 100,000 requests — alternately for ROUNDS rounds, and prints the median ops/s of each.
# Usage: bench/load/cross_check.sh [KMD_LOAD] [PORT] [ROUNDS]
set -euo pipefail
KMD_LOAD=${1:-build-load/bench/load/kmd-load}
PORT=${2:-23499}
ROUNDS=${3:-5}
N=100000
# -m 2048: every round's keys fit, so gets hit and sets never evict.
memcached -u root -p "$PORT" -U 0 -l 127.0.0.1 -t 1 -m 2048 &
MC=$!
trap 'kill $MC' EXIT
sleep 0.5
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
slap() {  # memcslap prints "Time to <test> <n> keys by <c> threads: <s> seconds."
  local secs
  secs=$(memcslap -s 127.0.0.1:"$PORT" --binary -N -t "$1" -c 1 -e $N 2>/dev/null |
         awk -v t="$1" '$0 ~ "Time to " t " " {print $(NF-1)}')
  awk -v n=$N -v s="$secs" 'BEGIN {printf "%.0f\n", n / s}'
}
kmd() {  # $1 = set:get ratio
  "$KMD_LOAD" --server 127.0.0.1:"$PORT" --protocol binary --ratio "$1" --key-space $N \
    --key-size 40 --value-range 50-5000 --requests $N --server-pid $MC $2 2>/dev/null |
    sed -E 's/^ops\/s=([0-9]+).*/\1/'
}
: > /tmp/xc.$$
for r in $(seq "$ROUNDS"); do
  echo "memcslap_get $(slap get)" >> /tmp/xc.$$
  # Fresh keys every round, as memcslap generates: new items cost memcached page faults and
  # allocation that overwriting last round's keys would not.
  echo "kmd_get $(kmd 0:1 "--prefill --key-prefix g$r:")" >> /tmp/xc.$$
  echo "memcslap_set $(slap set)" >> /tmp/xc.$$
  echo "kmd_set $(kmd 1:0 "--key-prefix s$r:")" >> /tmp/xc.$$
done
for k in memcslap_get kmd_get memcslap_set kmd_set; do
  printf '%-13s median ops/s %8s   runs: %s\n' "$k" "$(grep "^$k " /tmp/xc.$$ | cut -d' ' -f2 | median)" \
    "$(grep "^$k " /tmp/xc.$$ | cut -d' ' -f2 | tr '\n' ' ')"
done
rm -f /tmp/xc.$$
