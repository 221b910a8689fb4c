#!/usr/bin/env bash
# Installs every Debian package the build, tests and benchmarks use (only what is missing; the
# daemon dlopens or preloads libjemalloc.so.2 and libmimalloc.so.2 at run time, hence those),
# installs the npm test client (memjs) from the committed lock file, and builds Release.
# Usage: scripts/setup.sh [build-dir]   (run as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"

PACKAGES=(
  build-essential cmake pkg-config g++ clang clang-format clang-tidy libclang-rt-14-dev
  libboost-dev libyaml-cpp-dev libspdlog-dev libfmt-dev doctest-dev libbenchmark-dev
  libjemalloc2 libjemalloc-dev libmimalloc2.0 libmimalloc-dev
  libxxhash-dev liblz4-dev libzstd-dev zlib1g-dev libsystemd-dev
  prometheus-cpp-dev
  memcached redis-server redis-tools libmemcached-tools python3 python3-pymemcache nutcracker
  prometheus nodejs gnuplot-nox procps
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodesource's nodejs carries npm; Debian's nodejs needs the separate npm package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Package post-install scripts may have started peers as services; tests start their own.
for svc in memcached redis-server nutcracker prometheus; do
  if command -v systemctl >/dev/null 2>&1; then systemctl stop "$svc" >/dev/null 2>&1 || true; fi
done

if [ -f tests/integration/js/package-lock.json ] && [ ! -d tests/integration/js/node_modules/memjs ]; then
  (cd tests/integration/js && npm ci --no-audit --no-fund --loglevel=error)
fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DKMD_BUILD_TESTS=ON -DKMD_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
