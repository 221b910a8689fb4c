#!/usr/bin/python3
"""kotoba-memd against memcached 1.6, same machine, same run: the one command of issue 3.

Builds (cmake Release into build/ unless it exists), starts both servers with equal settings
(-t, -m, -c, -U 0) on free loopback ports, pins the servers to one core and kmd-load to another
when the machine has two or more, runs every workload in bench/workloads/*.yaml alternately
A/B/A/B for --rounds rounds, then fills both servers for the memory-efficiency cases
(workloads/memory.yaml, via memory_fill.py). Writes bench/results/latest.{md,json} and plots
(SVG and PNG via gnuplot). Uses only the standard library and python3-yaml.

    bench/compare/compare.py [--rounds 3] [--duration 5] [--only NAME ...] [--skip-memory]
"""
import argparse
import datetime
import glob
import json
import os
import platform
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import memory_fill  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OURS, PEER = "kotoba-memd", "memcached"
# (json path, label, higher is better)
FIGURES = [
    (("ops_per_sec",), "ops/s", True),
    (("latency_us", "p50"), "p50 µs", False),
    (("latency_us", "p99"), "p99 µs", False),
    (("ops_per_server_cpu_second",), "ops per server CPU-s", True),
]


def log(msg):
    print(f"[compare {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(build_dir, skip):
    if skip:
        return
    if not (build_dir / "CMakeCache.txt").exists():
        log(f"configuring {build_dir} (Release)")
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build_dir),
                        "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=subprocess.DEVNULL)
    log("building kotoba-memd and kmd-load")
    subprocess.run(["cmake", "--build", str(build_dir), "-j", str(os.cpu_count() or 1),
                    "--target", "kotoba-memd", "kmd-load"], check=True, stdout=subprocess.DEVNULL)


def pin(cpu):
    return ["taskset", "-c", str(cpu)] if cpu is not None else []


class Server:
    """One server process; taskset execs the server, so Popen's pid is the server's pid."""

    def __init__(self, kind, binary, args, cpu):
        self.kind = kind
        self.port = free_port()
        cmd = [binary, "-p", str(self.port), "-l", "127.0.0.1", "-U", "0",
               "-m", str(args.memory_mib), "-t", str(args.server_threads),
               "-c", str(args.max_conns)]
        peer_is_ours = args.peer_ours_args is not None
        if kind == PEER and os.geteuid() == 0 and not peer_is_ours:
            cmd += ["-u", "root"]
        if kind == OURS:
            cmd += shlex.split(args.ours_args)
        if kind == PEER and peer_is_ours:
            cmd += shlex.split(args.peer_ours_args)
        if kind == OURS or peer_is_ours:
            # Its exporter and admin endpoints default to fixed ports; others may be running.
            cmd += ["--metrics-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"]
        self.cmd = pin(cpu) + cmd
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.proc.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"version\r\n")
                    if s.recv(100).startswith(b"VERSION"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not answer on port {self.port}")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load_flags(spec):
    out = []
    for k, v in spec.items():
        if v is True:
            out.append(f"--{k}")
        elif v is not False and v is not None:
            out += [f"--{k}", str(v)]
    return out


def run_load(args, load_bin, load_cpu, server, wl, rnd, prefill, raw_dir):
    out = raw_dir / f"{server.kind}-r{rnd}.json"
    cmd = pin(load_cpu) + [str(load_bin), "--server", f"127.0.0.1:{server.port}",
                           "--threads", str(args.load_threads),
                           "--duration", str(args.duration), "--warmup", str(args.warmup),
                           "--server-pid", str(server.pid), "--seed", str(rnd + 1),
                           "--json", str(out)] + load_flags(wl["load"])
    if prefill:
        cmd.append("--prefill")
    res = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=args.duration + args.warmup + 180)
    if res.returncode != 0:
        raise RuntimeError(f"kmd-load failed ({res.returncode}): {' '.join(cmd)}\n{res.stderr}")
    with open(out) as f:
        r = json.load(f)
    r["_command"] = " ".join(cmd)
    r["_summary"] = res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""
    return r


def dig(d, path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def cdf_points(r):
    """The latency CDF as [(µs, fraction)], whatever shape kmd-load gives it."""
    for key in ("latency_cdf", "cdf", "latency_cdf_us"):
        pts = r.get(key) or dig(r, ("latency_us", key))
        if pts:
            break
    else:
        return []
    cols = r.get("latency_cdf_columns")
    out = []
    for p in pts:
        if isinstance(p, dict):
            us = next((p[k] for k in ("us", "latency_us", "value", "le_us", "x") if k in p), None)
            fr = next((p[k] for k in ("fraction", "cumulative", "p", "percentile", "q", "y")
                       if k in p), None)
        elif cols == ["quantile", "latency_us"]:
            fr, us = p[0], p[1]
        else:
            us, fr = p[0], p[1]
        if us is None or fr is None:
            continue
        fr = float(fr)
        out.append((float(us), fr / 100 if fr > 1.0 else fr))
    return out


def peer_binary(args, build_dir):
    """memcached, or our own daemon when --peer-ours-args makes this an A/B of two settings."""
    if args.peer_ours_args is not None:
        return args.peer_ours_binary or str(build_dir / "server" / "kotoba-memd")
    return args.memcached


def run_workloads(args, build_dir, server_cpu, load_cpu):
    load_bin = build_dir / "bench" / "load" / "kmd-load"
    files = sorted(glob.glob(str(ROOT / "bench" / "workloads" / "[0-9]*.yaml")))
    results = []
    for path in files:
        with open(path) as f:
            wl = yaml.safe_load(f)
        if args.only and not any(o in wl["name"] or o in Path(path).stem for o in args.only):
            continue
        raw_dir = args.out / "raw" / wl["name"]
        raw_dir.mkdir(parents=True, exist_ok=True)
        log(f"workload {wl['name']}: {wl['description']}")
        servers = {OURS: Server(OURS, str(build_dir / "server" / "kotoba-memd"), args, server_cpu),
                   PEER: Server(PEER, peer_binary(args, build_dir), args, server_cpu)}
        runs = {OURS: [], PEER: []}
        try:
            for rnd in range(args.rounds):
                # A/B then B/A: neither server always runs first (after the other warmed caches).
                order = [OURS, PEER] if rnd % 2 == 0 else [PEER, OURS]
                for kind in order:
                    r = run_load(args, load_bin, load_cpu, servers[kind], wl, rnd, rnd == 0,
                                 raw_dir)
                    runs[kind].append(r)
                    log(f"  round {rnd + 1} {kind:11s} {r['_summary']}")
        finally:
            for s in servers.values():
                s.stop()
        entry = {"name": wl["name"], "description": wl["description"], "file": Path(path).name,
                 "load": wl["load"], "medians": {}, "rounds": {}, "cdf": {},
                 "commands": {k: runs[k][0]["_command"] for k in runs}}
        for kind in (OURS, PEER):
            entry["rounds"][kind] = [{"/".join(p): dig(r, p) for p, _, _ in FIGURES} |
                                     {"errors": r.get("errors"), "hits": r.get("hits"),
                                      "misses": r.get("misses")} for r in runs[kind]]
            med = {}
            for p, _, _ in FIGURES:
                vals = [v for v in (dig(r, p) for r in runs[kind]) if v is not None]
                med["/".join(p)] = statistics.median(vals) if vals else None
            med["errors"] = sum(r.get("errors") or 0 for r in runs[kind])
            entry["medians"][kind] = med
            # The CDF of the median-throughput round stands for the server.
            by_tp = sorted(runs[kind], key=lambda r: r.get("ops_per_sec") or 0)
            entry["cdf"][kind] = cdf_points(by_tp[len(by_tp) // 2])
        entry["ratio"] = {}
        for p, _, _ in FIGURES:
            k = "/".join(p)
            a, b = entry["medians"][OURS][k], entry["medians"][PEER][k]
            entry["ratio"][k] = a / b if a is not None and b else None
        results.append(entry)
    return results


def run_memory(args, build_dir, server_cpu):
    with open(ROOT / "bench" / "workloads" / "memory.yaml") as f:
        spec = yaml.safe_load(f)
    out = []
    mem_args = argparse.Namespace(**vars(args))
    mem_args.memory_mib = spec["limit_mib"]
    for case in spec["cases"]:
        if args.only and not any(o in case["name"] for o in args.only):
            continue
        entry = {"name": case["name"], "limit_mib": spec["limit_mib"], "servers": {}}
        for kind, binary in ((OURS, str(build_dir / "server" / "kotoba-memd")),
                             (PEER, args.memcached)):
            s = Server(kind, binary, mem_args, server_cpu)
            try:
                vr = tuple(case["value_range"]) if "value_range" in case else None
                r = memory_fill.fill("127.0.0.1", s.port, spec["key_size"],
                                     case.get("value_size", 100), vr, spec["limit_mib"], s.pid,
                                     case.get("fill_factor", 0))
            finally:
                s.stop()
            entry["servers"][kind] = r
            log(f"memory {case['name']:28s} {kind:11s} items={r['curr_items']} "
                f"rss/item={r['rss_per_item']:.1f} overhead/item={r['overhead_per_item']:.1f}")
        a, b = entry["servers"][OURS]["curr_items"], entry["servers"][PEER]["curr_items"]
        entry["items_ratio"] = a / b if b else None
        out.append(entry)
    return out


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def ratio_cell(v):
    return "–" if v is None else f"{v:.2f}×"


def spread(e, kind):
    v = [r["ops_per_sec"] for r in e["rounds"][kind] if r.get("ops_per_sec") is not None]
    return f"{min(v) / 1000:.0f}–{max(v) / 1000:.0f}k" if v else "–"


def held_mib(r):
    return r["mean_key_value_bytes"] * r["items_read_back"] / 2**20


def write_markdown(path, meta, loads, memory):
    L = []
    L.append(f"# kotoba-memd vs memcached: {meta['date']}\n")
    L.append(f"Machine: {meta['machine']}. kotoba-memd {meta['git']} ; peer {meta['peer']}.")
    if meta["uncommitted"]:
        L.append(f"Built from the working tree with uncommitted changes to: "
                 f"{', '.join(meta['uncommitted'])}.")
    L.append(f"Pinning: {meta['pinning']}. Server settings (both): {meta['server_settings']}.")
    L.append(f"Load: kmd-load, {meta['load_settings']}. Each figure is the median of "
             f"{meta['rounds']} rounds run alternately (A/B, then B/A); ratio = ours / memcached "
             "(for latency, below 1 is better).")
    L.append(f"Command: `{meta['command']}` ({meta['elapsed_s']:.0f} s in all). 1-minute load "
             f"average before / after: {meta['loadavg_before_after'][0]} / "
             f"{meta['loadavg_before_after'][1]} (other work on this shared machine).\n")
    if loads:
        L.append("## Throughput and server efficiency\n")
        L.append("Per-round spread (min–max, thousands of ops/s) shows how much other work on the "
                 "machine moved each figure; ops per server CPU-second moves least.\n")
        L.append("| workload | ops/s ours | ops/s memcached | ratio | spread ours | spread mc | "
                 "ops/server-CPU-s ours | memcached | ratio | errors (ours/mc) |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for e in loads:
            a, b, r = e["medians"][OURS], e["medians"][PEER], e["ratio"]
            L.append(f"| {e['name']} | {fmt(a['ops_per_sec'])} | {fmt(b['ops_per_sec'])} | "
                     f"{ratio_cell(r['ops_per_sec'])} | {spread(e, OURS)} | {spread(e, PEER)} | "
                     f"{fmt(a['ops_per_server_cpu_second'])} | "
                     f"{fmt(b['ops_per_server_cpu_second'])} | "
                     f"{ratio_cell(r['ops_per_server_cpu_second'])} | "
                     f"{a['errors']}/{b['errors']} |")
        L.append("\n## Latency (closed loop, µs)\n")
        L.append("| workload | p50 ours | p50 memcached | ratio | p99 ours | p99 memcached | "
                 "ratio |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for e in loads:
            a, b, r = e["medians"][OURS], e["medians"][PEER], e["ratio"]
            L.append(f"| {e['name']} | {fmt(a['latency_us/p50'], 1)} | "
                     f"{fmt(b['latency_us/p50'], 1)} | {ratio_cell(r['latency_us/p50'])} | "
                     f"{fmt(a['latency_us/p99'], 1)} | {fmt(b['latency_us/p99'], 1)} | "
                     f"{ratio_cell(r['latency_us/p99'])} |")
        L.append("\n## Workloads\n")
        for e in loads:
            L.append(f"- `{e['file']}` {e['name']}: {e['description']}")
    if memory:
        lim = memory[0]["limit_mib"]
        L.append(f"\n## Memory efficiency (-m {lim}, 16-byte keys, random values)\n")
        L.append("overhead/item = -m budget ÷ items − mean key+value of the items held "
                 "(DESIGN.md); RSS/item = VmRSS ÷ items.\n")
        L.append("| values | items ours | items memcached | ratio | mean key+value held ours / "
                 "mc | key+value MiB held ours / mc | overhead/item ours | memcached | "
                 "RSS/item ours | memcached |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for e in memory:
            a, b = e["servers"][OURS], e["servers"][PEER]
            L.append(f"| {e['name']} | {a['curr_items']:,} | {b['curr_items']:,} | "
                     f"{ratio_cell(e['items_ratio'])} | {a['mean_key_value_bytes']:.0f} / "
                     f"{b['mean_key_value_bytes']:.0f} | {held_mib(a):.1f} / {held_mib(b):.1f} | "
                     f"{a['overhead_per_item']:.1f} | "
                     f"{b['overhead_per_item']:.1f} | {a['rss_per_item']:.1f} | "
                     f"{b['rss_per_item']:.1f} |")
    L.append("\nPlots: throughput.svg/png, efficiency.svg/png, latency_cdf.svg/png, "
             "items_held.svg/png; raw per-round JSON under raw/.")
    path.write_text("\n".join(L) + "\n")


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def plots(out, loads, memory):
    if shutil.which("gnuplot") is None:
        log("gnuplot not found: no plots")
        return
    terms = [("svg", "set terminal svg size 1100,520 dynamic font 'sans,11'"),
             ("png", "set terminal png size 1100,520 font 'sans,10'")]

    def bars(name, title, ylabel, rows, key_names):
        dat = out / f"{name}.dat"
        with open(dat, "w") as f:
            for label, vals in rows:
                f.write(f"\"{label}\" " + " ".join(str(v if v is not None else 0)
                                                    for v in vals) + "\n")
        for ext, term in terms:
            cols = ", ".join(f"'' using {i + 2} title '{n}'" if i else
                             f"'{dat}' using {i + 2}:xtic(1) title '{n}'"
                             for i, n in enumerate(key_names))
            gnuplot(f"""{term}
set output '{out / (name + '.' + ext)}'
set title '{title}'
set ylabel '{ylabel}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30 font ',9'
set grid ytics
set key top right
set yrange [0:*]
set bmargin 9
set rmargin 14
plot {cols}
""")
        dat.unlink()

    if loads:
        bars("throughput", "Throughput (median of rounds)", "ops/s",
             [(e["name"], [e["medians"][OURS]["ops_per_sec"], e["medians"][PEER]["ops_per_sec"]])
              for e in loads], [OURS, PEER])
        bars("efficiency", "Operations per server CPU-second (median)", "ops / CPU-s",
             [(e["name"], [e["medians"][OURS]["ops_per_server_cpu_second"],
                           e["medians"][PEER]["ops_per_server_cpu_second"]]) for e in loads],
             [OURS, PEER])
        with_cdf = [e for e in loads if e["cdf"][OURS] or e["cdf"][PEER]]
        if with_cdf:
            n = len(with_cdf)
            cols = 3
            rows = (n + cols - 1) // cols
            files = []
            body = []
            for i, e in enumerate(with_cdf):
                plot_parts = []
                for kind in (OURS, PEER):
                    dat = out / f"cdf-{i}-{kind}.dat"
                    files.append(dat)
                    dat.write_text("".join(f"{us} {fr}\n" for us, fr in e["cdf"][kind]))
                    plot_parts.append(f"'{dat}' using 1:2 with lines lw 2 title '{kind}'")
                body.append(f"set title '{e['name']}' font ',9'\nplot " + ", ".join(plot_parts))
            for ext, term in terms:
                term = term.replace("1100,520", f"1200,{330 * rows}")
                gnuplot(f"""{term}
set output '{out / ('latency_cdf.' + ext)}'
set multiplot layout {rows},{cols} title 'Latency CDF (median-throughput round)'
set logscale x
set xlabel 'latency (µs)'
set ylabel 'fraction'
set yrange [0:1]
set grid
set key bottom right font ',8'
""" + "\n".join(body) + "\nunset multiplot\n")
            for d in files:
                d.unlink()
    if memory:
        bars("items_held", f"Items held at -m {memory[0]['limit_mib']} (16-byte keys)", "items",
             [(e["name"], [e["servers"][OURS]["curr_items"], e["servers"][PEER]["curr_items"]])
              for e in memory], [OURS, PEER])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", type=Path, default=ROOT / "build")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5, help="seconds measured per run")
    ap.add_argument("--warmup", type=float, default=1)
    ap.add_argument("--server-threads", type=int, default=1)
    ap.add_argument("--load-threads", type=int, default=1)
    ap.add_argument("--memory-mib", type=int, default=1024, help="-m for the load workloads")
    ap.add_argument("--max-conns", type=int, default=4096)
    ap.add_argument("--memcached", default="/usr/bin/memcached")
    ap.add_argument("--ours-args", default="",
                    help="extra arguments for kotoba-memd, e.g. \"--eviction-policy adaptive\"")
    ap.add_argument("--peer-ours-args", default=None,
                    help="run kotoba-memd with these arguments as the peer instead of memcached "
                         "(A/B of two settings; tables still say 'memcached' for the peer column)")
    ap.add_argument("--peer-ours-binary", default=None,
                    help="with --peer-ours-args: the peer's kotoba-memd binary (A/B of two builds, "
                         "e.g. main's), instead of the one in --build-dir")
    ap.add_argument("--only", nargs="*", help="run only workloads/memory cases naming these")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--report-only", action="store_true",
                    help="re-render latest.md and the plots from OUT/latest.json, run nothing")
    args = ap.parse_args()
    if args.report_only:
        d = json.loads((args.out / "latest.json").read_text())
        write_markdown(args.out / "latest.md", d["meta"], d["workloads"], d["memory"])
        plots(args.out, d["workloads"], d["memory"])
        print((args.out / "latest.md").read_text())
        return
    started = time.time()
    args.build_dir = args.build_dir.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    # 1,000 idle connections per server and the generator's own sockets.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    build(args.build_dir, args.no_build)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        server_cpu, load_cpu = cpus[0], cpus[1]
        pinning = (f"servers on CPU {server_cpu}, kmd-load on CPU {load_cpu} (taskset); "
                   f"{len(cpus)} CPUs available")
    else:
        server_cpu = load_cpu = None
        pinning = "none (1 CPU available)"
    log(f"pinning: {pinning}")

    loads = [] if args.skip_load else run_workloads(args, args.build_dir, server_cpu, load_cpu)
    memory = [] if args.skip_memory else run_memory(args, args.build_dir, server_cpu)

    git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    # Uncommitted changes outside bench/ are part of what was measured: name them.
    dirty = [ln[3:] for ln in subprocess.run(
        ["git", "-C", str(ROOT), "status", "--short", "--untracked-files=no"],
        capture_output=True, text=True).stdout.splitlines() if not ln[3:].startswith("bench/")]
    peer = subprocess.run([args.memcached, "-V"], capture_output=True, text=True).stdout.strip()
    if args.peer_ours_args is not None:
        peer = f"kotoba-memd {args.peer_ours_args} (in the memcached columns)"
    mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} vCPU {model}, {mem_total:.0f} GiB, "
                   f"{platform.system()} {platform.release()}",
        "git": git, "uncommitted": dirty, "peer": peer, "pinning": pinning,
        "server_settings": f"-t {args.server_threads} -m {args.memory_mib} (memory cases: their "
                           f"own -m) -c {args.max_conns} -U 0 -l 127.0.0.1",
        "load_settings": f"--threads {args.load_threads}, {args.duration:g} s measured after "
                         f"{args.warmup:g} s warm-up per run, prefill in round 1",
        "rounds": args.rounds,
        # Other work on a shared machine shows here; it is not subtracted from anything.
        "loadavg_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "command": "bench/compare/compare.py " + " ".join(sys.argv[1:]),
        "elapsed_s": time.time() - started,
    }
    (args.out / "latest.json").write_text(
        json.dumps({"meta": meta, "workloads": loads, "memory": memory}, indent=1))
    write_markdown(args.out / "latest.md", meta, loads, memory)
    plots(args.out, loads, memory)
    print((args.out / "latest.md").read_text())
    log(f"done in {time.time() - started:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()
