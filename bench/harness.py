#!/usr/bin/env python3
"""drsync end-to-end benchmark: export, drift and the SDK baseline against emulated workspaces.

Started by `bench/run` (which builds the release binary and passes it as DRSYNC_BIN). Standard library only;
the SDK baseline (bench/sdk_list.py) needs `databricks-sdk`.

What it does, in one session:

1. starts two emulators with the same synthetic workspace (`--synthetic SPEC --seed 1 --latency-ms L`): the
   primary, and a DR workspace of the same size that drift compares against the exported HCL;
2. one counting round (also the warm-up, not timed): each tool runs once through a small counting HTTP proxy
   in front of the emulators, which records every request (the emulator counts requests only in-process);
3. N timed rounds, interleaved: `drsync export --no-commit` (primary), `drsync drift --worktree` (DR),
   `python3 bench/sdk_list.py` (primary), directly against the emulators;
4. prints a Markdown table: median wall time, peak RSS, CPU time, requests, repeated requests, the latency
   floor and the ratios.

The latency floor is the number of round trips the API's paging forces one after another, times the latency.
Listings of different kinds are independent, so the floor is the longest chain:
    max(jobs/list pages + the longest jobs/get chain of one cut-off job, clusters/list pages, 1)
with pages of the largest size the API accepts (100 jobs, 100 clusters); the jobs/get chain counts because a
job cut off on the last listing page can only be fetched after that page (its own task pages follow each other).
The page counts come from the counting round.

drsync runs with `[client] rate_limit = 0`: its default of 15 requests per second per workspace (kind to a
real workspace's rate limits) would by itself take longer than the floor (about 100 pages + 100 jobs/get pages
/ 15 per second), and the emulator has no rate limit. The SDK has no client-side rate limit.
"""

import argparse
import http.client
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FULL_SIZE = "jobs=10000,clusters=1000,pools=200,policies=100"
QUICK_SIZE = "jobs=300,clusters=40,pools=10,policies=5"
TOKEN = "dapi-emulator-0000000000000000"  # the emulator's default token
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
       "content-length"}
NAMES = ("export", "export-offset", "drift", "sdk", "walk")
TABLE_HEADER = "| run | median wall | latency floor | wall / floor | peak RSS | CPU (user+sys) | requests | repeated |"


# ---------------------------------------------------------------------------------------------------------------
# Counting proxy


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # (method, path, query dict, status)
        self.cut_off = set()  # job ids a jobs/list page marked has_more

    def reset(self):
        with self.lock:
            self.requests = []
            self.cut_off = set()


def make_proxy(upstream, recorder):
    target = urllib.parse.urlsplit(upstream)
    local = threading.local()

    def connection(fresh=False):
        if fresh or getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        return local.conn

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            for attempt in (0, 1):
                try:
                    conn = connection(fresh=attempt > 0)
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    break
                except (http.client.HTTPException, OSError):
                    if attempt:
                        raise
            parts = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parts.query)
            with recorder.lock:
                recorder.requests.append((self.command, parts.path, query, resp.status))
            if parts.path.endswith("/jobs/list") and resp.status == 200:
                try:
                    for job in json.loads(data).get("jobs") or []:
                        if job.get("has_more"):
                            with recorder.lock:
                                recorder.cut_off.add(str(job.get("job_id")))
                except ValueError:
                    pass
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def analyse(recorder):
    """Requests, repeated requests, floor round trips, jobs/get use."""
    with recorder.lock:
        reqs = list(recorder.requests)
        cut_off = set(recorder.cut_off)
    keys = [(m, p, tuple(sorted((k, tuple(v)) for k, v in q.items()))) for m, p, q, _ in reqs]
    repeated = len(keys) - len(set(keys))
    list_pages = sum(1 for m, p, q, s in reqs if p.endswith("/jobs/list"))
    cluster_pages = sum(1 for m, p, q, s in reqs if p.endswith("/clusters/list"))
    gets = {}
    for m, p, q, s in reqs:
        if p.endswith("/jobs/get"):
            job = (q.get("job_id") or ["?"])[0]
            gets[job] = gets.get(job, 0) + 1
    longest_get = max(gets.values(), default=0)
    floor_trips = max(list_pages + longest_get if list_pages else 0, cluster_pages, 1)
    by_path = {}
    for m, p, q, s in reqs:
        by_path[f"{m} {p}"] = by_path.get(f"{m} {p}", 0) + 1
    return {
        "requests": len(reqs),
        "repeated": repeated,
        "floor_trips": floor_trips,
        "jobs_list_pages": list_pages,
        "cluster_pages": cluster_pages,
        "jobs_get_jobs": len(gets),
        "jobs_get_not_cut_off": len(set(gets) - cut_off),
        "cut_off": len(cut_off),
        "longest_get": longest_get,
        "by_path": by_path,
        "errors": sum(1 for m, p, q, s in reqs if s >= 400),
    }


# ---------------------------------------------------------------------------------------------------------------
# Processes


def start_emulator(binary, spec, seed, latency, log):
    proc = subprocess.Popen(
        [binary, "emulate", "--synthetic", spec, "--seed", str(seed), "--latency-ms", str(latency)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"the emulator did not start (see {log.name})")
    return proc, url


def measure(cmd, env, cwd, stdout_path):
    """Run cmd; return (exit code, wall seconds, peak RSS bytes, CPU seconds) of that one process."""
    with open(stdout_path, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    return proc.returncode, wall, rss, usage.ru_utime + usage.ru_stime


def write_config(path, primary, dr, export_dir, paging="token"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(
            "# Written by bench/harness.py.\n"
            f'[workspaces.primary]\nhost = "{primary}"\ntoken_env = "DRSYNC_BENCH_TOKEN"\n\n'
            f'[workspaces.dr]\nhost = "{dr}"\ntoken_env = "DRSYNC_BENCH_TOKEN"\n\n'
            '[export]\ndir = "' + export_dir + '"\n\n'
            "# The default (15 requests/s per workspace) protects a real workspace; it would dominate here.\n"
            f'[client]\nrate_limit = 0\njobs_paging = "{paging}"\n'
        )


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("DATABRICKS_") or k.startswith("ARM_") or k == "GOOGLE_CREDENTIALS")}
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------------------------------------
# Report


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            if m:
                cpu = m.group(1).strip()
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.M)
            if m:
                mem = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), {mem} RAM, {platform.system()} {platform.release()}"


def fmt_s(x):
    return f"{x:.2f} s" if x >= 0.1 else f"{x * 1000:.0f} ms"


def mib(x):
    return f"{x / 1024 / 1024:.0f} MiB"


def main():
    ap = argparse.ArgumentParser(description="drsync end-to-end benchmark (see bench/harness.py)")
    ap.add_argument("--size", default=None, help=f"synthetic workspace (default {FULL_SIZE})")
    ap.add_argument("--latency-ms", type=int, default=None, help="emulator latency per request (default 20)")
    ap.add_argument("--rounds", type=int, default=None, help="timed rounds (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true",
                    help=f"small and fast, for CI: {QUICK_SIZE}, 1 round, 2 ms (explicit options still win)")
    ap.add_argument("--output", help="also write the report (Markdown) to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (exports, logs)")
    args = ap.parse_args()
    size = args.size or (QUICK_SIZE if args.quick else FULL_SIZE)
    latency = args.latency_ms if args.latency_ms is not None else (2 if args.quick else 20)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    binary = os.environ.get("DRSYNC_BIN") or "target/release/drsync"
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"no drsync binary at {binary}: run bench/run, or set DRSYNC_BIN")
    binary = os.path.abspath(binary)
    here = os.path.dirname(os.path.abspath(__file__))
    sdk_script = os.path.join(here, "sdk_list.py")
    walk_script = os.path.join(here, "page_walk.py")

    work = tempfile.mkdtemp(prefix="drsync-bench-")
    logs = open(os.path.join(work, "emulators.log"), "w")
    procs = []
    try:
        print(f"drsync bench: {size}, latency {latency} ms, {rounds} round(s); work folder {work}", file=sys.stderr)
        t = time.perf_counter()
        primary, primary_url = start_emulator(binary, size, args.seed, latency, logs)
        procs.append(primary)
        dr, dr_url = start_emulator(binary, size, args.seed, latency, logs)
        procs.append(dr)
        print(f"  emulators up in {time.perf_counter() - t:.1f} s: primary {primary_url}, DR {dr_url}",
              file=sys.stderr)

        rec_primary, rec_dr = Recorder(), Recorder()
        proxy_p, proxy_p_url = make_proxy(primary_url, rec_primary)
        proxy_d, proxy_d_url = make_proxy(dr_url, rec_dr)
        direct_cfg = os.path.join(work, "drsync.toml")
        counted_cfg = os.path.join(work, "counted", "drsync.toml")
        os.makedirs(os.path.dirname(counted_cfg))
        offset_cfg = {"direct": os.path.join(work, "offset", "drsync.toml"),
                      "counted": os.path.join(work, "counted-offset", "drsync.toml")}
        # One export folder for all runs: the counting round writes it, the timed exports re-export it
        # (the steady state of a scheduled export), drift reads it.
        export_dir = os.path.join(work, "export")
        write_config(direct_cfg, primary_url, dr_url, export_dir)
        write_config(counted_cfg, proxy_p_url, proxy_d_url, export_dir)
        write_config(offset_cfg["direct"], primary_url, dr_url, export_dir, "offset")
        write_config(offset_cfg["counted"], proxy_p_url, proxy_d_url, export_dir, "offset")
        home = os.path.join(work, "home")
        os.makedirs(home)
        base_env = {"HOME": home, "DRSYNC_BENCH_TOKEN": TOKEN, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1",
                    "DATABRICKS_CONFIG_FILE": os.path.join(home, "no-such-databrickscfg")}

        def tools(cfg, primary_host, tag):
            cfg_dir = os.path.dirname(cfg)
            env = clean_env(base_env)
            sdk_env = clean_env({**base_env, "DATABRICKS_HOST": primary_host, "DATABRICKS_TOKEN": TOKEN})
            offset = offset_cfg[tag]
            return [
                ("export", [binary, "--config", cfg, "export", "--no-commit"], env, cfg_dir, (0,)),
                ("export-offset", [binary, "--config", offset, "export", "--no-commit"], env,
                 os.path.dirname(offset), (0,)),
                ("drift", [binary, "--config", cfg, "drift", "--worktree"], env, cfg_dir, (0, 2)),
                ("sdk", [sys.executable, sdk_script, os.path.join(work, f"sdk_list_{tag}.json")], sdk_env, work, (0,)),
                ("walk", [sys.executable, walk_script, primary_host], sdk_env, work, (0,)),
            ]

        # Counting round (warm-up): through the proxies.
        counts = {}
        for name, cmd, env, cwd, ok in tools(counted_cfg, proxy_p_url, "counted"):
            rec = rec_dr if name == "drift" else rec_primary
            rec.reset()
            out = os.path.join(work, f"{name}-counted.out")
            code, wall, _, _ = measure(cmd, env, cwd, out)
            if code not in ok:
                with open(out) as f:
                    sys.stderr.write(f.read()[-4000:])
                raise SystemExit(f"{name} failed (exit {code}) in the counting round; output in {out}")
            counts[name] = analyse(rec)
            print(f"  counted {name}: {counts[name]['requests']} requests in {wall:.1f} s", file=sys.stderr)

        # Timed rounds, interleaved, straight to the emulators.
        results = {name: [] for name in NAMES}
        for r in range(rounds):
            for name, cmd, env, cwd, ok in tools(direct_cfg, primary_url, "direct"):
                out = os.path.join(work, f"{name}-{r + 1}.out")
                code, wall, rss, cpu = measure(cmd, env, cwd, out)
                if code not in ok:
                    with open(out) as f:
                        sys.stderr.write(f.read()[-4000:])
                    raise SystemExit(f"{name} failed (exit {code}) in round {r + 1}; output in {out}")
                results[name].append((wall, rss, cpu))
                print(f"  round {r + 1} {name}: {wall:.2f} s, {mib(rss)}", file=sys.stderr)

        with open(os.path.join(work, "drift-1.out")) as f:
            drift_lines = f.read().strip().splitlines()
            drift_first = [" ".join(l.split()) for l in drift_lines if l.startswith("total")] + drift_lines[-1:]

        version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
        try:
            rev = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip()
        except OSError:
            rev = ""
        sdk_version = subprocess.run(
            [sys.executable, "-c", "import databricks.sdk.version as v; print(v.__version__)"],
            capture_output=True, text=True).stdout.strip()
        build = f"{version or 'drsync'}{f' (commit {rev})' if rev else ''}, databricks-sdk {sdk_version}, " \
                f"Python {platform.python_version()}"
        report = render(size, latency, rounds, counts, results, drift_first, build)
        print(report)
        if args.output:
            with open(args.output, "w") as f:
                f.write(report)
        proxy_p.shutdown()
        proxy_d.shutdown()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        logs.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def render(size, latency, rounds, counts, results, drift_first, build):
    med = {name: (statistics.median(w for w, _, _ in rs), max(r for _, r, _ in rs),
                  statistics.median(c for _, _, c in rs)) for name, rs in results.items()}
    floor = {name: counts[name]["floor_trips"] * latency / 1000 for name in ("export", "drift")}
    floor["export-offset"] = floor["export"]
    lines = [
        f"Workspace `{size}`, emulator latency {latency} ms, {rounds} interleaved round(s), medians; "
        "drsync with `[client] rate_limit = 0`.",
        "",
        TABLE_HEADER,
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"export": "`drsync export --no-commit`",
              "export-offset": "`drsync export --no-commit`, `jobs_paging = \"offset\"`",
              "drift": "`drsync drift --worktree`",
              "sdk": "Python SDK script (`bench/sdk_list.py`)",
              "walk": "bare page walk (`bench/page_walk.py`)"}
    for name in NAMES:
        wall, rss, cpu = med[name]
        c = counts[name]
        fl = floor.get(name, floor["export"])
        trips = c["floor_trips"] if name in floor else counts["export"]["floor_trips"]
        lines.append(
            f"| {labels[name]} | {fmt_s(wall)} | {fmt_s(fl)} ({trips} trips) | {wall / fl:.2f}x | {mib(rss)} | "
            f"{fmt_s(cpu)} | {c['requests']} | {c['repeated']} |"
        )
    e, d, s = med["export"][0], med["drift"][0], med["sdk"][0]
    eo, walk = med["export-offset"][0], med["walk"][0]
    ce = counts["export"]
    lines += [
        "",
        f"- SDK script / export: **{s / e:.2f}x** (target: at least 4x); with offset paging: **{s / eo:.2f}x**",
        f"- export / floor: **{e / floor['export']:.2f}x** (target: at most 1.25x); "
        f"drift / floor: **{d / floor['drift']:.2f}x** (target: at most 1.25x); "
        f"export with offset paging / the token floor: **{eo / floor['export']:.2f}x**",
        f"- export / bare page walk: **{e / walk:.2f}x**; drift / bare page walk: **{d / walk:.2f}x** (the walk is "
        "the latency floor plus the server's own time and the transfer of each page: what any token-paging client "
        "waits for)",
        f"- export peak RSS: **{mib(med['export'][1])}** (target: under 300 MB)",
        f"- export requests: {ce['jobs_list_pages']} jobs/list pages, {ce['cluster_pages']} clusters/list pages, "
        f"jobs/get for {ce['jobs_get_jobs']} jobs ({ce['cut_off']} cut off by the listing, "
        f"{ce['jobs_get_not_cut_off']} fetched that were not), {ce['repeated']} repeated requests, "
        f"{ce['errors']} errors; with offset paging: {counts['export-offset']['jobs_list_pages']} jobs/list pages "
        f"(they overlap by one job), {counts['export-offset']['repeated']} repeated requests",
        f"- SDK requests: {counts['sdk']['requests']} ({counts['sdk']['repeated']} repeated); drift: "
        f"{counts['drift']['requests']} ({counts['drift']['repeated']} repeated); drift result: "
        f"{'; '.join(drift_first) or '(nothing)'} (the `total` line: desired live managed missing unmanaged "
        "changed ambiguous)",
        "- latency floor = max(jobs/list pages + longest jobs/get chain, clusters/list pages, 1) x latency, with "
        "token paging; the SDK, offset and walk rows are compared with the export's floor",
        f"- peak RSS and CPU are the benchmarked process's own (wait4 rusage)",
        f"- machine: {machine()}; {build}",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
