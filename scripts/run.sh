#!/usr/bin/env bash
# README command 1: set up, build, and run kotoba-memd in the foreground with built-in defaults
# (127.0.0.1:11211, 64 MiB). Extra arguments go to the daemon (e.g. -p 11311 -m 128).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/server/kotoba-memd "$@"
