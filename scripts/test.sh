#!/usr/bin/env bash
# README command 2: set up, build, and run every test (unit, fuzz corpus replay, integration
# against the real daemon with real clients), first on the Release build, then again on an
# ASan + UBSan build (KMD_SANITIZE) so that memory errors fail the suite, not only crashes.
# Set KMD_SKIP_SANITIZE=1 to run the Release pass alone. Exit status is the suite's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
(cd build && ctest --output-on-failure --timeout 1200 "$@")
if [[ "${KMD_SKIP_SANITIZE:-0}" != 1 ]]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKMD_SANITIZE=ON -DKMD_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$(nproc)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 ctest --output-on-failure --timeout 1800 "$@")
fi
