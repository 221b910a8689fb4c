#!/usr/bin/env bash
# Runs memcached's own Perl tests (t/*.t with t/lib/MemcachedTest.pm, from a memcached source
# checkout that is NOT part of this repository) against kotoba-memd, one file at a time, and
# prints a pass/fail line per file. Nothing from the checkout is copied into our tree.
#
#   MEMCACHED_SRC=/path/to/memcached tests/compat/run_memcached_suite.sh [t/name.t ...]
#
# MEMCACHED_SRC  memcached checkout (1.6.18 is the reference), holding t/ and t/lib/.
# KMD_BIN        daemon under test (default: build-compat/server/kotoba-memd, then build/).
#                Set KMD_BIN=/usr/bin/memcached to get memcached's own baseline.
# KMD_TIMEOUT    seconds per test file (default 300).
# KMD_LOG_DIR    where each file's TAP output goes (default: a fresh mktemp dir).
#
# How the daemon is swapped in without editing MemcachedTest.pm: that file runs
# "$cwd/timedrun 600 $cwd/memcached-debug ARGS" with cwd = its build dir, so we run from a scratch
# dir holding t -> $MEMCACHED_SRC/t, a timedrun that just execs its command, and a memcached-debug
# that execs KMD_BIN after dropping "-o relaxed_privileges" (only memcached's debug builds accept
# it; newer MemcachedTest.pm copies pass it unconditionally).
set -euo pipefail

: "${MEMCACHED_SRC:?set MEMCACHED_SRC to a memcached source checkout}"
[[ -f "$MEMCACHED_SRC/t/lib/MemcachedTest.pm" ]] || {
  echo "no t/lib/MemcachedTest.pm under $MEMCACHED_SRC" >&2
  exit 2
}
repo=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${KMD_BIN:-}" ]]; then
  for c in "$repo/build-compat/server/kotoba-memd" "$repo/build/server/kotoba-memd"; do
    [[ -x "$c" ]] && KMD_BIN=$c && break
  done
fi
[[ -x "${KMD_BIN:-}" ]] || { echo "KMD_BIN not set and no built daemon found" >&2; exit 2; }
timeout_s=${KMD_TIMEOUT:-300}
log_dir=${KMD_LOG_DIR:-$(mktemp -d /tmp/kmd-mc-suite.XXXXXX)}
mkdir -p "$log_dir"

# The protocol-behaviour tests that apply to kotoba-memd (no extstore, proxy, TLS, SASL, UDP,
# LRU crawler/automove internals, watchers, restart).
default_tests=(
  getset.t incrdecr.t cas.t expirations.t flush-all.t noreply.t flags.t getandtouch.t touch.t
  binary.t binary-get.t metaget.t multiversioning.t malicious-commands.t bogus-commands.t
  64bit.t dash-M.t item_size_max.t evictions.t stats.t maxconns.t quit.t shutdown.t
  issue_3.t issue_14.t issue_41.t issue_61.t issue_68.t issue_70.t issue_183.t
)
if (($# > 0)); then tests=("$@"); else tests=("${default_tests[@]}"); fi

work=$(mktemp -d /tmp/kmd-mc-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
ln -s "$(cd "$MEMCACHED_SRC" && pwd)/t" "$work/t"
cat >"$work/timedrun" <<'SH'
#!/bin/sh
shift
exec "$@"
SH
cat >"$work/memcached-debug" <<SH
#!/usr/bin/env bash
args=()
while ((\$# > 0)); do
  if [[ "\$1" == "-o" && "\${2:-}" == "relaxed_privileges" ]]; then shift 2; continue; fi
  args+=("\$1"); shift
done
exec "$KMD_BIN" "\${args[@]}"
SH
chmod +x "$work/timedrun" "$work/memcached-debug"

echo "daemon: $KMD_BIN"
echo "tests:  $MEMCACHED_SRC/t   logs: $log_dir"
failed=0
cd "$work"
for t in "${tests[@]}"; do
  t=${t#t/}
  if [[ ! -f "t/$t" ]]; then
    printf '%-24s MISSING\n' "$t"
    continue
  fi
  log="$log_dir/${t%.t}.tap"
  rc=0
  timeout "$timeout_s" perl "t/$t" >"$log" 2>&1 || rc=$?
  ok=$(grep -c '^ok' "$log" || true)
  nok=$(grep -c '^not ok' "$log" || true)
  if ((rc == 0 && nok == 0)); then
    printf '%-24s PASS  ok=%s\n' "$t" "$ok"
  else
    failed=$((failed + 1))
    printf '%-24s FAIL  ok=%s not_ok=%s exit=%s\n' "$t" "$ok" "$nok" "$rc"
    grep -E -A6 '^not ok' "$log" | grep -E '^(not ok|#)' | head -12 | sed 's/^/    /'
  fi
done
echo "$failed file(s) failed"
((failed == 0))
