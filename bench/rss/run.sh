#!/bin/bash
# bench/rss/run.sh: memory.rss_limit under the issue-5 scenarios, kotoba-memd vs memcached.
# (a) 1,000 connections doing 100-key multi-gets of 5 KB values (1 set per 20 gets), (b) the value-
# size shift (100-byte sets, then 2000-byte sets), (c) ours only: slow readers that send multi-gets
# and never read, beside a 5 KB set/get load. Each scenario on a fresh server (-m 192; ours with
# --rss-limit 256m), RSS sampled every 100 ms from /proc/<pid>/statm; prints max RSS, and for ours
# max RSS / limit. Loopback only; every run is bounded by --seconds.
# Usage: bench/rss/run.sh [--build-dir build] [--seconds 30] [--only kotoba-memd|memcached]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build="$root/build"
seconds=30
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$(cd "$2" && pwd); shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--seconds N] [--only kotoba-memd|memcached]" >&2; exit 2 ;;
  esac
done
daemon="$build/server/kotoba-memd"
load="$build/bench/load/kmd-load"
for f in "$daemon" "$load"; do
  [ -x "$f" ] || { echo "missing $f: build first (cmake --build $build)" >&2; exit 2; }
done
limit=$((256 * 1024 * 1024))
port=$((21000 + RANDOM % 2000))
pid=""
sampler=""
tmp=$(mktemp -d)
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start() {  # start SERVER: fresh server on $port, sampler on its pid
  port=$((port + 1))
  if [ "$1" = kotoba-memd ]; then
    "$daemon" -p "$port" -l 127.0.0.1 -m 192 -t 2 -c 2048 --rss-limit 256m \
      --metrics-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 2>"$tmp/server.log" &
  else
    memcached -u root -p "$port" -l 127.0.0.1 -U 0 -m 192 -t 2 -c 2048 2>"$tmp/server.log" &
  fi
  pid=$!
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  "$here/rss_sampler.py" "$pid" >"$tmp/sample.json" &
  sampler=$!
}

stop() {  # stop SERVER SCENARIO: prints one result line
  local stats=""
  if [ "$1" = kotoba-memd ]; then
    stats=$(exec 3<>"/dev/tcp/127.0.0.1/$port"; printf 'stats\r\nquit\r\n' >&3; timeout 5 cat <&3 |
      tr -d '\r' | awk '/rss_controller_(state|budget_cuts|pages_released|purges)|limit_maxbytes_effective|conn_copies_refused/ {printf "%s=%s ", $2, $3}')
  fi
  kill "$sampler"; wait "$sampler" 2>/dev/null || true; sampler=""
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  python3 - "$1" "$2" "$limit" "$tmp/sample.json" "$stats" <<'PY'
import json, sys
server, scenario, limit, path, stats = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
s = json.load(open(path))
mib = s["max_rss_bytes"] / 2**20
ratio = f" max/limit={s['max_rss_bytes'] / limit:.3f}" if server == "kotoba-memd" else ""
print(f"{scenario:<14} {server:<12} max_rss={mib:7.1f}MiB samples={s['samples']}{ratio} {stats}")
PY
}

common=(--protocol text --threads 2)
for server in kotoba-memd memcached; do
  [ -n "$only" ] && [ "$only" != "$server" ] && continue
  # (a) 1,000 connections, 100-key multi-gets of 5 KB values over a key space larger than -m.
  start "$server"
  "$load" --server "127.0.0.1:$port" "${common[@]}" --connections 500 --multiget 100 \
    --value-size 5000 --key-space 50000 --ratio 1:20 --prefill --duration "$seconds" \
    --warmup 0 >"$tmp/a.out"
  echo "# (a) kmd-load: $(cat "$tmp/a.out")"
  stop "$server" "a-multiget"
  # (b) value-size shift: fill with 100-byte values, then switch to 2000-byte values.
  start "$server"
  "$load" --server "127.0.0.1:$port" "${common[@]}" --connections 4 --pipeline 32 --ratio 1:0 \
    --value-size 100 --key-space 3000000 --key-prefix small: --duration "$seconds" --warmup 0 \
    >"$tmp/b1.out"
  "$load" --server "127.0.0.1:$port" "${common[@]}" --connections 4 --pipeline 32 --ratio 1:0 \
    --value-size 2000 --key-space 300000 --key-prefix large: --duration "$seconds" --warmup 0 \
    >"$tmp/b2.out"
  echo "# (b) kmd-load 100 B: $(cat "$tmp/b1.out")"
  echo "# (b) kmd-load 2000 B: $(cat "$tmp/b2.out")"
  stop "$server" "b-size-shift"
  [ "$server" = memcached ] && continue
  # (c) slow readers beside a 5 KB set/get load (ours only: the admission rule is ours).
  start "$server"
  "$here/slow_reader.py" --port "$port" --clients 16 --seconds "$seconds" >"$tmp/c-slow.out" &
  slow=$!
  "$load" --server "127.0.0.1:$port" "${common[@]}" --connections 8 --multiget 10 \
    --value-size 5000 --key-space 50000 --ratio 1:4 --prefill --duration "$seconds" --warmup 0 \
    >"$tmp/c.out"
  wait "$slow"
  echo "# (c) kmd-load: $(cat "$tmp/c.out"); $(cat "$tmp/c-slow.out")"
  stop "$server" "c-slow-reader"
done
