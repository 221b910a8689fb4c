#!/bin/sh
# Installs the pinned memjs (package-lock.json) into tests/integration/js/node_modules.
# The project set-up script calls this; memjs_test.cc fails with a pointer here if it is missing.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
