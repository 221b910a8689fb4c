#!/usr/bin/env bash
# README command 2: set up, build, and run every test (unit, fuzz corpus replay, integration
# against the real daemon with real clients). Exit status is the suite's.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
cd build
ctest --output-on-failure --timeout 1200 "$@"
