#!/usr/bin/env python3
"""drsync end-to-end benchmark: export, drift, check and the SDK baseline against emulated workspaces, as users
run them (drsync at its defaults: the config has no `[client]` section).

Started by `bench/run` (which builds the release binary and passes it as DRSYNC_BIN). Standard library only;
the SDK baseline (bench/sdk_list.py) needs `databricks-sdk`.

What it does, in one session:

1. starts two emulators with the same synthetic workspace (`--synthetic SPEC --seed 1 --latency-ms L`): the
   primary, and a DR workspace of the same size that drift and check compare against the committed HCL;
2. one counting round (also the warm-up, not timed): each tool runs once through a small counting HTTP proxy
   in front of the emulators, which records every request (the emulator counts requests only in-process);
3. N timed rounds, interleaved, straight to the emulators: `drsync export` with its Git commit, `drsync drift`
   (against the committed branch tip, as the nightly runs it), `drsync check` (against DR with the committed
   export; exit 0 "ready" or 2 "not ready" are both results, and the table says which),
   `python3 bench/sdk_list.py` (primary) and `python3 bench/page_walk.py` (the bare page walk);
   with `--tuned`, also `drsync export` with `[client] jobs_paging = "offset"`;
4. the throttled row: two more emulators of the same workspace with a server-side limit
   (`drsync emulate --rate-limit 20`: a token bucket of 20 requests/s per endpoint family, 429 with
   `Retry-After` beyond it) and `drsync export` at its defaults through the counting proxy, once: wall time,
   requests, how many were answered 429, and what the limit allows (for each endpoint family, its answered
   requests / 20 per second; the longest). An emulator without `--rate-limit` prints the row as not available;
5. the scaling table: export (with its commit), drift and check at 2,000, 10,000 and 50,000 jobs
   (`jobs=N,clusters=N/10,pools=N/50,policies=N/100`), one round each against a fresh pair of emulators (the
   size of the main table reuses its medians): wall time and peak RSS, per job, and their spread across sizes;
6. prints Markdown: the main table (median wall time, peak RSS, CPU time, requests, repeated requests, the
   latency floor), the throttled row, the scaling table and issue 16's targets, each measured against its goal
   and marked met or missed.

`--quick` (what CI runs, through tests/it/bench_smoke.rs) is the same session on 300 jobs at 2 ms, one round,
the throttled row at the same size and the scaling table at 100 / 200 / 400 jobs: a check of the harness, not a
measurement. `--scaling none` and `--throttle 0` leave those parts out.

The export folder lives in a Git repository the harness creates (a local identity, one commit holding a README).
Every export, timed or counted, starts from the same repository state: a fresh copy of that repository, with no
export in it, so each one writes and commits every file (the first export of a workspace, the largest commit
an export makes; re-exporting an unchanged workspace commits nothing). Drift and check then read that commit.

The latency floor is the number of round trips the API's paging forces one after another, times the latency.
Listings of different kinds are independent, so the floor is the longest chain:
    max(jobs/list pages + the longest jobs/get chain of one cut-off job, clusters/list pages, 1)
with pages of the largest size the API accepts (100 jobs, 100 clusters); the jobs/get chain counts because a
job cut off on the last listing page can only be fetched after that page (its own task pages follow each other).
The page counts come from the counting round.

Endpoint family (for the throttled row): the method and the path without its `/api/2.x/` prefix (`GET jobs/list`),
every `permissions/...` path being one family per method, as the emulator's `--rate-limit` counts them.
"""

import argparse
import http.client
import json
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
FULL_SCALING = "2000,10000,50000"
QUICK_SCALING = "100,200,400"
THROTTLE = 20  # requests per second per endpoint family (issue 16's politeness target)
TOKEN = "dapi-emulator-0000000000000000"  # the emulator's default token
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
       "content-length"}
TABLE_HEADER = "| run | median wall | latency floor | wall / floor | peak RSS | CPU (user+sys) | requests | repeated |"
THROTTLED_HEADER = ("| run | wall | what the limit allows | wall / allowed | peak RSS | requests | answered 429 "
                    "| 429 share |")
SCALING_HEADER = ("| jobs | emulators up | export | drift | check | export per job | drift per job "
                  "| check per job |")
LABELS = {
    "export": "`drsync export` (with its commit)",
    "export-offset": "`drsync export` (with its commit), `jobs_paging = \"offset\"` (tuned)",
    "drift": "`drsync drift` (the committed branch tip)",
    "check": "`drsync check`",
    "sdk": "Python SDK script (`bench/sdk_list.py`)",
    "walk": "bare page walk (`bench/page_walk.py`)",
}
# Issue 16's targets.
SDK_OVER_EXPORT = 4.0
EXPORT_OVER_WALK = 1.25
DRIFT_OVER_EXPORT = 1.25
CHECK_OVER_EXPORT = 1.5
PEAK_BYTES = 300e6
THROTTLED_SHARE = 0.05
SCALING_SPREAD = 1.25


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

    def snapshot(self):
        with self.lock:
            return list(self.requests), set(self.cut_off)


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


def family(method, path):
    """The endpoint family a request counts against: `GET jobs/list`; `GET permissions` for every permissions path."""
    m = re.match(r"^/api/\d+\.\d+/(.*)$", path)
    rest = m.group(1) if m else path.lstrip("/")
    if rest.startswith("permissions/"):
        rest = "permissions"
    return f"{method} {rest}"


def analyse(*recorders):
    """Requests, repeated requests, floor round trips, jobs/get use, 429s and requests per family."""
    reqs, cut_off = [], set()
    for rec in recorders:
        r, c = rec.snapshot()
        reqs += r
        cut_off |= c
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
    answered, by_family = {}, {}
    for m, p, q, s in reqs:
        by_family[family(m, p)] = by_family.get(family(m, p), 0) + 1
        if s != 429:
            answered[family(m, p)] = answered.get(family(m, p), 0) + 1
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
        "errors": sum(1 for m, p, q, s in reqs if s >= 400),
        "throttled": sum(1 for m, p, q, s in reqs if s == 429),
        "answered_by_family": answered,
        "by_family": by_family,
    }


def families(counts):
    """`GET clusters/get` 800, `GET jobs/list` 100, ...: requests per endpoint family, most first."""
    ranked = sorted(counts["by_family"].items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"`{f}` {n}" for f, n in ranked)


# ---------------------------------------------------------------------------------------------------------------
# Processes


class EmulatorFailed(Exception):
    pass


def start_pair(binary, spec, seed, latency, log, procs, extra=()):
    """A primary and a DR emulator of the same workspace, generated side by side; their URLs. The processes are
    added to `procs` (stopped by the caller)."""
    started = []
    for _ in range(2):
        proc = subprocess.Popen(
            [binary, "emulate", "--synthetic", spec, "--seed", str(seed), "--latency-ms", str(latency), *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
        )
        procs.append(proc)
        started.append(proc)
    urls = [proc.stdout.readline().strip() for proc in started]
    if not all(url.startswith("http") for url in urls):
        stop(procs)
        raise EmulatorFailed(f"the emulator did not start (see {log.name})")
    return urls


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    procs.clear()


def emulator_has_flag(binary, flag):
    """Whether `drsync emulate` knows `flag` (an older binary rejects it)."""
    out = subprocess.run([binary, "emulate", "--help"], capture_output=True, text=True)
    return re.search(rf"(^|\s){re.escape(flag)}(\s|=|$)", out.stdout, re.M) is not None


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


def write_config(path, primary, dr, export_dir, tuned=False):
    """drsync.toml as a new user writes it: the workspaces and the export folder, no `[client]` section."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = (
        "# Written by bench/harness.py: drsync at its defaults.\n"
        f'[workspaces.primary]\nhost = "{primary}"\ntoken_env = "DRSYNC_BENCH_TOKEN"\n\n'
        f'[workspaces.dr]\nhost = "{dr}"\ntoken_env = "DRSYNC_BENCH_TOKEN"\n\n'
        f'[export]\ndir = "{export_dir}"\n'
    )
    if tuned:
        text += '\n# --tuned: several pages of jobs at a time.\n[client]\njobs_paging = "offset"\n'
    with open(path, "w") as f:
        f.write(text)


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("DATABRICKS_") or k.startswith("ARM_") or k.startswith("GIT_")
                   or k.startswith("DRSYNC_") or k == "GOOGLE_CREDENTIALS")}
    env.update(extra)
    return env


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   env=clean_env({"HOME": cwd, "GIT_CONFIG_NOSYSTEM": "1"}))


def make_template_repo(path):
    """A repository with a local identity and one commit (a README), on branch `main`; no export yet."""
    os.makedirs(path)
    git("init", "-q", cwd=path)
    git("symbolic-ref", "HEAD", "refs/heads/main", cwd=path)
    git("config", "user.name", "drsync bench", cwd=path)
    git("config", "user.email", "bench@drsync.invalid", cwd=path)
    with open(os.path.join(path, "README.md"), "w") as f:
        f.write("DR configuration, exported by drsync (bench/harness.py).\n")
    git("add", "README.md", cwd=path)
    git("commit", "-q", "-m", "start", cwd=path)


def fresh_repo(template, repo):
    """The same starting state for every export: a copy of the template repository."""
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(template, repo, symlinks=True)


def scaling_spec(jobs):
    return f"jobs={jobs},clusters={jobs // 10},pools={jobs // 50},policies={jobs // 100}"


def jobs_of(spec):
    m = re.search(r"(?:^|,)jobs=(\d+)", spec)
    return int(m.group(1)) if m else 0


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


def mb(x):
    return f"{x / 1e6:.0f} MB"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def main():
    ap = argparse.ArgumentParser(description="drsync end-to-end benchmark at drsync's defaults (see bench/harness.py)")
    ap.add_argument("--size", default=None, help=f"synthetic workspace (default {FULL_SIZE})")
    ap.add_argument("--latency-ms", type=int, default=None, help="emulator latency per request (default 20)")
    ap.add_argument("--rounds", type=int, default=None, help="timed rounds (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tuned", action="store_true",
                    help='also the tuned rows: drsync export with [client] jobs_paging = "offset"')
    ap.add_argument("--throttle", type=float, default=THROTTLE, metavar="N",
                    help=f"the throttled row's server limit, requests/s per endpoint family (default {THROTTLE}; "
                         "0 leaves the row out)")
    ap.add_argument("--scaling", default=None, metavar="JOBS,...",
                    help=f"job counts of the scaling table (default {FULL_SCALING}; quick {QUICK_SCALING}; "
                         "'none' leaves it out)")
    ap.add_argument("--quick", action="store_true",
                    help=f"small and fast, for CI: {QUICK_SIZE}, 1 round, 2 ms, scaling at {QUICK_SCALING} jobs "
                         "(explicit options still win)")
    ap.add_argument("--output", help="also write the report (Markdown) to this file")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (exports, logs)")
    args = ap.parse_args()
    size = args.size or (QUICK_SIZE if args.quick else FULL_SIZE)
    latency = args.latency_ms if args.latency_ms is not None else (2 if args.quick else 20)
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    scaling_arg = args.scaling or (QUICK_SCALING if args.quick else FULL_SCALING)
    scaling = [] if scaling_arg == "none" else [int(n) for n in scaling_arg.split(",") if n.strip()]
    if any(n < 100 for n in scaling):
        raise SystemExit("--scaling: each size needs at least 100 jobs (one policy per 100 jobs)")
    binary = os.environ.get("DRSYNC_BIN") or "target/release/drsync"
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"no drsync binary at {binary}: run bench/run, or set DRSYNC_BIN")
    binary = os.path.abspath(binary)
    here = os.path.dirname(os.path.abspath(__file__))
    sdk_script = os.path.join(here, "sdk_list.py")
    walk_script = os.path.join(here, "page_walk.py")
    names = ["export"] + (["export-offset"] if args.tuned else []) + ["drift", "check", "sdk", "walk"]
    session_started = time.perf_counter()

    work = tempfile.mkdtemp(prefix="drsync-bench-")
    logs = open(os.path.join(work, "emulators.log"), "w")
    procs = []
    try:
        print(f"drsync bench: {size}, latency {latency} ms, {rounds} round(s); work folder {work}", file=sys.stderr)
        home = os.path.join(work, "home")
        os.makedirs(home)
        template = os.path.join(work, "repo-template")
        make_template_repo(template)
        repo = os.path.join(work, "repo")
        export_dir = os.path.join(repo, "terraform", "generated")
        base_env = {"HOME": home, "DRSYNC_BENCH_TOKEN": TOKEN, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1",
                    "DATABRICKS_CONFIG_FILE": os.path.join(home, "no-such-databrickscfg")}
        env = clean_env(base_env)

        def drsync_runs(cfg, tuned_cfg=None):
            """(name, command, accepted exit codes, starts from a fresh repository) for the drsync rows."""
            runs = [("export", [binary, "--config", cfg, "export"], (0,), True)]
            if tuned_cfg:
                runs.append(("export-offset", [binary, "--config", tuned_cfg, "export"], (0,), True))
            runs += [
                ("drift", [binary, "--config", cfg, "drift"], (0, 2), False),
                ("check", [binary, "--config", cfg, "check"], (0, 2), False),
            ]
            return runs

        def run_one(name, cmd, ok, fresh, out, what, tool_env=env):
            """Run one tool (from a fresh repository when it exports); a refused exit code ends the session."""
            if fresh:
                fresh_repo(template, repo)
            code, wall, rss, cpu = measure(cmd, tool_env, work, out)
            if code not in ok:
                with open(out) as f:
                    sys.stderr.write(f.read()[-4000:])
                raise SystemExit(f"{name} failed (exit {code}) in {what}; output in {out}")
            return code, wall, rss, cpu

        t = time.perf_counter()
        try:
            primary_url, dr_url = start_pair(binary, size, args.seed, latency, logs, procs)
        except EmulatorFailed as e:
            raise SystemExit(str(e))
        main_up = time.perf_counter() - t
        print(f"  emulators up in {main_up:.1f} s: primary {primary_url}, DR {dr_url}", file=sys.stderr)

        rec_primary, rec_dr = Recorder(), Recorder()
        proxy_p, proxy_p_url = make_proxy(primary_url, rec_primary)
        proxy_d, proxy_d_url = make_proxy(dr_url, rec_dr)
        cfgs = {tag: os.path.join(work, tag, "drsync.toml") for tag in ("direct", "counted", "direct-tuned",
                                                                        "counted-tuned")}
        write_config(cfgs["direct"], primary_url, dr_url, export_dir)
        write_config(cfgs["counted"], proxy_p_url, proxy_d_url, export_dir)
        write_config(cfgs["direct-tuned"], primary_url, dr_url, export_dir, tuned=True)
        write_config(cfgs["counted-tuned"], proxy_p_url, proxy_d_url, export_dir, tuned=True)

        def tools(tag, primary_host):
            sdk_env = clean_env({**base_env, "DATABRICKS_HOST": primary_host, "DATABRICKS_TOKEN": TOKEN})
            runs = drsync_runs(cfgs[tag], cfgs[f"{tag}-tuned"] if args.tuned else None)
            return [(name, cmd, env, ok, fresh) for name, cmd, ok, fresh in runs] + [
                ("sdk", [sys.executable, sdk_script, os.path.join(work, f"sdk_list_{tag}.json")], sdk_env, (0,),
                 False),
                ("walk", [sys.executable, walk_script, primary_host], sdk_env, (0,), False),
            ]

        # Counting round (warm-up): through the proxies. Check reads both workspaces.
        counts = {}
        for name, cmd, tool_env, ok, fresh in tools("counted", proxy_p_url):
            recs = {"drift": (rec_dr,), "check": (rec_dr, rec_primary)}.get(name, (rec_primary,))
            for rec in recs:
                rec.reset()
            _, wall, _, _ = run_one(name, cmd, ok, fresh, os.path.join(work, f"{name}-counted.out"),
                                    "the counting round", tool_env)
            counts[name] = analyse(*recs)
            print(f"  counted {name}: {counts[name]['requests']} requests in {wall:.1f} s", file=sys.stderr)

        # Timed rounds, interleaved, straight to the emulators.
        results = {name: [] for name in names}
        codes = {name: set() for name in names}
        for r in range(rounds):
            for name, cmd, tool_env, ok, fresh in tools("direct", primary_url):
                code, wall, rss, cpu = run_one(name, cmd, ok, fresh, os.path.join(work, f"{name}-{r + 1}.out"),
                                               f"round {r + 1}", tool_env)
                results[name].append((wall, rss, cpu))
                codes[name].add(code)
                print(f"  round {r + 1} {name}: {wall:.2f} s, {mib(rss)}, exit {code}", file=sys.stderr)
        proxy_p.shutdown()
        proxy_d.shutdown()
        stop(procs)
        med = {name: (statistics.median(w for w, _, _ in rs), max(r for _, r, _ in rs),
                      statistics.median(c for _, _, c in rs)) for name, rs in results.items()}

        def last_lines(path, keep):
            with open(path) as f:
                lines = [" ".join(line.split()) for line in f.read().strip().splitlines()]
            return [line for line in lines if keep(line)] + lines[-1:]

        drift_first = last_lines(os.path.join(work, "drift-1.out"), lambda line: line.startswith("total"))
        check_last = last_lines(os.path.join(work, "check-1.out"), lambda line: False)

        # The throttled row: a fresh pair of emulators with the server-side limit, export through the proxy.
        throttled = None
        if args.throttle > 0:
            if not emulator_has_flag(binary, "--rate-limit"):
                throttled = {"limit": args.throttle,
                             "unavailable": "this drsync's emulator has no `--rate-limit` flag"}
            else:
                limit = f"{args.throttle:g}"
                tlog = open(os.path.join(work, "throttled-emulators.log"), "w")
                try:
                    t = time.perf_counter()
                    tp_url, td_url = start_pair(binary, size, args.seed, latency, tlog, procs, ("--rate-limit", limit))
                    print(f"  throttled emulators (--rate-limit {limit}) up in {time.perf_counter() - t:.1f} s",
                          file=sys.stderr)
                except EmulatorFailed:
                    tlog.close()
                    with open(tlog.name) as f:
                        said = f.read().strip().splitlines()
                    said = next((line for line in said if line.startswith("error")), said[-1] if said else "")
                    throttled = {"limit": args.throttle,
                                 "unavailable": f"the emulator did not start with `--rate-limit {limit}`"
                                                f"{f' ({said})' if said else ''}"}
                if throttled is None:
                    rec_t = Recorder()
                    proxy_t, proxy_t_url = make_proxy(tp_url, rec_t)
                    proxy_td, proxy_td_url = make_proxy(td_url, Recorder())
                    cfg = os.path.join(work, "throttled", "drsync.toml")
                    write_config(cfg, proxy_t_url, proxy_td_url, export_dir)
                    _, wall, rss, _ = run_one("export", [binary, "--config", cfg, "export"], (0,), True,
                                              os.path.join(work, "export-throttled.out"), "the throttled row")
                    c = analyse(rec_t)
                    fam, most = max(c["answered_by_family"].items(), key=lambda kv: kv[1], default=("-", 0))
                    throttled = {"limit": args.throttle, "wall": wall, "rss": rss, "requests": c["requests"],
                                 "throttled": c["throttled"], "allowed": most / args.throttle, "family": fam,
                                 "family_requests": most}
                    print(f"  throttled export: {wall:.2f} s, {c['requests']} requests, {c['throttled']} answered "
                          "429", file=sys.stderr)
                    proxy_t.shutdown()
                    proxy_td.shutdown()
                    stop(procs)
                    tlog.close()

        # The scaling table: export, drift, check once at each size (the main size reuses its medians).
        scale_rows = []
        for n in scaling:
            spec = scaling_spec(n)
            if spec == size:
                scale_rows.append({"jobs": n, "up": main_up, "reused": True,
                                   **{k: (med[k][0], med[k][1]) for k in ("export", "drift", "check")}})
                continue
            slog = open(os.path.join(work, f"scaling-{n}.log"), "w")
            t = time.perf_counter()
            try:
                sp_url, sd_url = start_pair(binary, spec, args.seed, latency, slog, procs)
            except EmulatorFailed as e:
                raise SystemExit(f"scaling at {n} jobs: {e}")
            up = time.perf_counter() - t
            print(f"  scaling {spec}: emulators up in {up:.1f} s", file=sys.stderr)
            cfg = os.path.join(work, f"scaling-{n}", "drsync.toml")
            write_config(cfg, sp_url, sd_url, export_dir)
            row = {"jobs": n, "up": up, "reused": False}
            for name, cmd, ok, fresh in drsync_runs(cfg):
                _, wall, rss, _ = run_one(name, cmd, ok, fresh, os.path.join(work, f"{name}-scaling-{n}.out"),
                                          f"the scaling run at {n} jobs")
                row[name] = (wall, rss)
                print(f"  scaling {n} {name}: {wall:.2f} s, {mib(rss)}", file=sys.stderr)
            stop(procs)
            slog.close()
            scale_rows.append(row)

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
        took = time.perf_counter() - session_started
        report = render(size, latency, rounds, names, counts, med, codes, drift_first, check_last, throttled,
                        scale_rows, build, took)
        print(report)
        if args.output:
            with open(args.output, "w") as f:
                f.write(report)
    finally:
        stop(procs)
        logs.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def render(size, latency, rounds, names, counts, med, codes, drift_first, check_last, throttled, scale_rows,
           build, took):
    floor = {name: counts[name]["floor_trips"] * latency / 1000 for name in ("export", "drift", "check")}
    lines = [
        f"Workspace `{size}`, emulator latency {latency} ms, {rounds} interleaved round(s), medians; "
        "drsync at its defaults (no `[client]` section)" + ("; the tuned row sets only `jobs_paging`" if
                                                            "export-offset" in names else "") + ".",
        "",
        TABLE_HEADER,
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        wall, rss, cpu = med[name]
        c = counts[name]
        own = name in floor
        fl = floor[name] if own else floor["export"]
        trips = c["floor_trips"] if own else counts["export"]["floor_trips"]
        label = LABELS[name]
        if name == "check":
            label += f", exit {'/'.join(str(x) for x in sorted(codes[name]))}"
        lines.append(
            f"| {label} | {fmt_s(wall)} | {fmt_s(fl)} ({trips} trips) | {wall / fl:.2f}x | {mib(rss)} | "
            f"{fmt_s(cpu)} | {c['requests']} | {c['repeated']} |"
        )
    e, d, chk, s, walk = (med[n][0] for n in ("export", "drift", "check", "sdk", "walk"))
    ce = counts["export"]
    check_code = "/".join(f"{x} ({'ready' if x == 0 else 'not ready'})" for x in sorted(codes["check"]))
    lines += [
        "",
        f"- export requests: {ce['jobs_list_pages']} jobs/list pages, {ce['cluster_pages']} clusters/list pages, "
        f"jobs/get for {ce['jobs_get_jobs']} jobs ({ce['cut_off']} cut off by the listing, "
        f"{ce['jobs_get_not_cut_off']} fetched that were not), {ce['repeated']} repeated requests, "
        f"{ce['errors']} errors"
        + (f"; with offset paging: {counts['export-offset']['jobs_list_pages']} jobs/list pages (they overlap by "
           f"one job), {counts['export-offset']['repeated']} repeated requests" if "export-offset" in names else ""),
        f"- SDK requests: {counts['sdk']['requests']} ({counts['sdk']['repeated']} repeated); drift: "
        f"{counts['drift']['requests']} ({counts['drift']['repeated']} repeated); check (DR and primary): "
        f"{counts['check']['requests']} ({counts['check']['repeated']} repeated)",
        f"- export requests by endpoint family: {families(ce)}",
        f"- check requests by endpoint family: {families(counts['check'])}",
        f"- drift result: {'; '.join(drift_first) or '(nothing)'}; check result: exit {check_code}, "
        f"{'; '.join(check_last) or '(nothing)'}",
        "- every export starts from the same repository state (a fresh copy of a repository with one commit and "
        "no export), so each writes and commits every file, as a first export does; drift and check read that "
        "commit",
        "- latency floor = max(jobs/list pages + longest jobs/get chain, clusters/list pages, 1) x latency, with "
        "token paging; the SDK, offset and walk rows are compared with the export's floor; the walk is the floor "
        "plus the server's own time and the transfer of each page: what any token-paging client waits for",
        "- peak RSS and CPU are the benchmarked process's own (wait4 rusage)",
    ]

    lines += ["", THROTTLED_HEADER, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    if throttled is None:
        lines.append("| `drsync export` (with its commit), server limit | left out (`--throttle 0`) | | | | | | |")
    elif "unavailable" in throttled:
        lines.append(f"| `drsync export` (with its commit), server limit {throttled['limit']:g}/s per endpoint "
                     f"family | not available: {throttled['unavailable']} | | | | | | |")
    else:
        t = throttled
        share = t["throttled"] / t["requests"] if t["requests"] else 0.0
        lines.append(
            f"| `drsync export` (with its commit), server limit {t['limit']:g}/s per endpoint family | "
            f"{fmt_s(t['wall'])} | {fmt_s(t['allowed'])} ({t['family_requests']} `{t['family']}`) | "
            f"{t['wall'] / t['allowed']:.2f}x | {mib(t['rss'])} | {t['requests']} | {t['throttled']} | "
            f"{share * 100:.1f}% |"
        )
    lines += [
        "",
        "- throttled: both emulators run `drsync emulate --rate-limit N` (a token bucket of N requests/s per endpoint "
        "family, 429 with `Retry-After` beyond it); one export at drsync's defaults through the counting proxy; "
        "what the limit allows = the most answered requests of one family / N (the family's first second of "
        "burst not subtracted)",
    ]

    spreads = {}
    if scale_rows:
        lines += ["", SCALING_HEADER, "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in scale_rows:
            n = row["jobs"]
            cells = [f"{n:,}" + (" (the main table's medians)" if row["reused"] else ""), fmt_s(row["up"])]
            cells += [f"{fmt_s(row[k][0])}, {mib(row[k][1])}" for k in ("export", "drift", "check")]
            cells += [f"{row[k][0] * 1000 / n:.2f} ms, {row[k][1] / 1024 / n:.1f} KB" for k in
                      ("export", "drift", "check")]
            lines.append("| " + " | ".join(cells) + " |")
        if len(scale_rows) > 1:
            for k in ("export", "drift", "check"):
                ms = [row[k][0] / row["jobs"] for row in scale_rows]
                kb = [row[k][1] / row["jobs"] for row in scale_rows]
                spreads[k] = (max(ms) / min(ms), max(kb) / min(kb))
            lines.append("| spread (max / min) | | | | | " + " | ".join(
                f"{spreads[k][0]:.2f}x, {spreads[k][1]:.2f}x" for k in ("export", "drift", "check")) + " |")
        lines += [
            "",
            "- scaling: `jobs=N,clusters=N/10,pools=N/50,policies=N/100`, one round each against a fresh pair of "
            "emulators, same latency; each cell: wall time, peak RSS; per job: ms and KB (1,024 bytes) per job",
        ]
        # What each further job costs between two sizes: flat when the cost is linear, whatever the fixed part.
        for a, b in zip(scale_rows, scale_rows[1:]):
            dn = b["jobs"] - a["jobs"]
            if dn > 0:
                lines.append(f"- from {a['jobs']:,} to {b['jobs']:,} jobs, each further job: " + "; ".join(
                    f"{k} {(b[k][0] - a[k][0]) * 1000 / dn:.2f} ms, {(b[k][1] - a[k][1]) / 1024 / dn:.1f} KB"
                    for k in ("export", "drift", "check")))

    def target(text, measured, goal, ok):
        return f"- {text}: {measured} (target: {goal}): {verdict(ok)}"

    lines += [
        "",
        "Targets (issue 16):",
        "",
        target("SDK script / export", f"**{s / e:.2f}x**", f"at least {SDK_OVER_EXPORT:g}x", s / e >= SDK_OVER_EXPORT),
        target("export / bare page walk", f"**{e / walk:.2f}x**", f"at most {EXPORT_OVER_WALK:g}x",
               e / walk <= EXPORT_OVER_WALK),
        target("drift / export", f"**{d / e:.2f}x**", f"at most {DRIFT_OVER_EXPORT:g}x", d / e <= DRIFT_OVER_EXPORT),
        target("check / export", f"**{chk / e:.2f}x**", f"at most {CHECK_OVER_EXPORT:g}x",
               chk / e <= CHECK_OVER_EXPORT),
        target("export peak RSS", f"**{mb(med['export'][1])}**", f"under {mb(PEAK_BYTES)}",
               med["export"][1] < PEAK_BYTES),
        target("drift peak RSS", f"**{mb(med['drift'][1])}**", f"under {mb(PEAK_BYTES)}",
               med["drift"][1] < PEAK_BYTES),
    ]
    if throttled is None or "unavailable" in throttled:
        why = "left out" if throttled is None else "not available"
        lines.append(f"- throttled 429 share: {why} (target: under {THROTTLED_SHARE * 100:g}%): **not measured**")
    else:
        share = throttled["throttled"] / throttled["requests"] if throttled["requests"] else 0.0
        lines.append(target("throttled 429 share", f"**{share * 100:.1f}%** ({throttled['throttled']} of "
                            f"{throttled['requests']})", f"under {THROTTLED_SHARE * 100:g}%", share < THROTTLED_SHARE))
    if spreads:
        worst = max(max(v) for v in spreads.values())
        which = ", ".join(f"{k} {v[0]:.2f}x / {v[1]:.2f}x" for k, v in spreads.items())
        sizes = "/".join(f"{row['jobs']:,}" for row in scale_rows)
        lines.append(target(f"scaling spread of time and memory per job at {sizes} jobs", f"**{worst:.2f}x** at "
                            f"worst ({which})", f"within {SCALING_SPREAD:g}x", worst <= SCALING_SPREAD))
    lines += [
        "",
        f"- machine: {machine()}; {build}; the whole benchmark took {took / 60:.1f} min",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
