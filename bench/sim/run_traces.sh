#!/usr/bin/env bash
# Replays every trace of a folder through kmd-sim for the seven fixed policies and adaptive, and
# writes bench/results/sim/<trace>.txt (result lines, table, rates), <trace>.svg (miss-ratio
# curves) and summary.md (per trace at 1% and 10%: each policy, the best fixed one, adaptive's
# gap to it and its gain over LRU). Policies this build does not implement are skipped, noted.
# Usage: bench/sim/run_traces.sh [TRACE_DIR (default /work/shared/traces)]
#        env: KMD_SIM (kmd-sim binary; default build/bench/sim/kmd-sim, built if absent),
#             OUT (default bench/results/sim), SIZES (default 0.5%,1%,2%,5%,10%,20%)
set -euo pipefail
cd "$(dirname "$0")/../.."
TRACES="${1:-/work/shared/traces}"
OUT="${OUT:-bench/results/sim}"
SIZES="${SIZES:-0.5%,1%,2%,5%,10%,20%}"
SIM="${KMD_SIM:-build/bench/sim/kmd-sim}"
ALL_POLICIES=(lru lfu fifo s3fifo sieve wtinylfu clock adaptive)

if [ ! -x "$SIM" ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j2 --target kmd-sim
fi
mkdir -p "$OUT"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

policies=() skipped=()
for p in "${ALL_POLICIES[@]}"; do
  if "$SIM" --trace /dev/null --policy "$p" --size 1 >/dev/null 2>&1; then
    policies+=("$p")
  else
    skipped+=("$p")
  fi
done
((${#skipped[@]})) && echo "run_traces: skipped (not implemented in this build): ${skipped[*]}"
policy_list=$(IFS=,; echo "${policies[*]}")

traces=()
for f in "$TRACES"/*; do
  case "$(basename "$f")" in README* | *.md) continue ;; esac
  [ -f "$f" ] && traces+=("$f")
done
((${#traces[@]})) || { echo "run_traces: no traces in $TRACES" >&2; exit 1; }

names=()
for f in "${traces[@]}"; do
  base=$(basename "$f")
  case "$base" in
    *.csv | *.csv.*) format=twitter ;;
    *oracleGeneral*) format=oracle ;;
    *) format=text ;;
  esac
  name=${base%%.*}
  names+=("$name")
  echo "run_traces: $name ($format): $policy_list at $SIZES"
  "$SIM" --trace "$f" --format "$format" --policy "$policy_list" --size "$SIZES" \
    --plot "$OUT/$name.svg" >"$OUT/$name.txt" 2>"$OUT/$name.log" || {
    cat "$OUT/$name.log" >&2
    exit 1
  }
  cat "$OUT/$name.log" >>"$OUT/$name.txt" && rm "$OUT/$name.log"
done

load="$load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
python3 - "$OUT" "$SIZES" "${policy_list}" "${skipped[*]:-}" "$(git rev-parse --short HEAD)" \
  "$load" "${names[@]}" <<'PY'
import re, sys, datetime, platform
out, sizes, policy_list, skipped, commit, load, *names = sys.argv[1:]
sizes = sizes.split(",")
policies = policy_list.split(",")
fixed = [p for p in ["lru", "lfu", "fifo", "s3fifo", "sieve", "wtinylfu"] if p in policies]
line = re.compile(r"^policy=(\S+) size=(\d+) requests=(\d+) misses=(\d+) miss_ratio=([0-9.]+)$")
rate = re.compile(r"^kmd-sim: (\S+) size=\d+: (\d+) records in ([0-9.]+) s \(([0-9.]+) s CPU\)")
mr, cap, recs, wall, cpu = {}, {}, {}, {}, {}
for name in names:
    seen = {}
    for text in open(f"{out}/{name}.txt"):
        text = text.rstrip("\n")
        if m := line.match(text):
            p = m.group(1)
            label = sizes[seen.get(p, 0)]
            seen[p] = seen.get(p, 0) + 1
            mr[name, label, p] = float(m.group(5))
            cap[name, label] = int(m.group(2))
        elif m := rate.match(text):
            p = m.group(1)
            recs[p] = recs.get(p, 0) + int(m.group(2))
            wall[p] = wall.get(p, 0) + float(m.group(3))
            cpu[p] = cpu.get(p, 0) + float(m.group(4))

def cpu_model():
    for l in open("/proc/cpuinfo"):
        if l.startswith("model name"):
            return l.split(":", 1)[1].strip()
    return platform.processor()

md = ["# kmd-sim over the shared traces", ""]
md.append(f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
          f"`bench/sim/run_traces.sh` at commit {commit}; {cpu_model()}. Object-count capacity, "
          "one unsharded cache; a size of P% is floor(distinct keys x P/100) objects. "
          "Per-trace tables and curves: `<trace>.txt`, `<trace>.svg`.")
md.append("")
if skipped.strip():
    md.append(f"Not implemented in this build, skipped: {', '.join(skipped.split())}.")
    if "adaptive" in policies:
        md.append("Adaptive's candidates among them are built as another policy by AnyPolicy "
                  "until they exist, so its figures here say little.")
    md.append("")
cols = policies + ["best fixed", "adaptive - best (points)", "1 - adaptive/lru"]
md.append("| trace | size | " + " | ".join(cols) + " |")
md.append("| --- | --- | " + " | ".join("---:" for _ in cols) + " |")
gains, gaps = [], []
for name in names:
    for label in ("1%", "10%"):
        if (name, label) not in cap:
            continue
        row = [f"{mr[name, label, p]:.4f}" for p in policies]
        best = min(fixed, key=lambda p: mr[name, label, p]) if fixed else None
        row.append(f"{best} {mr[name, label, best]:.4f}" if best else "n/a")
        if "adaptive" in policies and best:
            gap = 100 * (mr[name, label, "adaptive"] - mr[name, label, best])
            gaps.append(gap)
            row.append(f"{gap:+.2f}")
        else:
            row.append("n/a")
        if "adaptive" in policies and "lru" in policies and mr[name, label, "lru"] > 0:
            gain = 1 - mr[name, label, "adaptive"] / mr[name, label, "lru"]
            gains.append(gain)
            row.append(f"{100 * gain:.1f}%")
        else:
            row.append("n/a")
        md.append(f"| {name} | {label} ({cap[name, label]}) | " + " | ".join(row) + " |")
md.append("")
if gains:
    md.append(f"Adaptive: mean relative gain over LRU (mean of 1 - adaptive/lru over traces x "
              f"{{1%, 10%}}) = **{100 * sum(gains) / len(gains):.1f}%** (target >= 10%); largest "
              f"gap to the best fixed policy = **{max(gaps):+.2f} points** (target <= +0.5).")
else:
    md.append("Adaptive: not implemented in this build; gap and gain columns are n/a.")
md.append("")
md.append("Replay speed, one thread, over all traces and sizes (records / replay time; the "
          "machine is shared, 1/5/15-minute load average " + load + ", so the CPU-time rate "
          "is the steadier figure):")
md.append("")
md.append("| policy | M requests per CPU-second | M requests/s wall |")
md.append("| --- | ---: | ---: |")
for p in policies:
    if cpu.get(p) and wall.get(p):
        md.append(f"| {p} | {recs[p] / cpu[p] / 1e6:.1f} | {recs[p] / wall[p] / 1e6:.1f} |")
open(f"{out}/summary.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
