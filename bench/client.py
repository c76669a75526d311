#!/usr/bin/env python3
"""What the Python client costs, in one run:

1. its overhead per run: `nslaunch.run(["/bin/true"])` against calling the
   binary directly with subprocess.run, plain and with the status pipe read
   and parsed by hand; interleaved rounds (each row once per round, in a
   fresh random order) so drifts of the machine fall on every row alike;
   medians, quartiles and the per-round paired difference;
2. the client's own Python work per run without any process (argv built,
   pipe made and closed, status parsed into a Result);
3. plugin runs from threads: the ported runner (examples/plugin_sandbox.py)
   running the Python plugin (and the Rust one when rustc is there) N times
   from T threads: wall time, runs/s, latency per run.

usage: bench/client.py [--runs 300] [--warmup 20] [--plugin-runs 100] [--threads 8]
NSLAUNCH selects the binary (default build/launcher/nslaunch)."""

import argparse
import concurrent.futures
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "python"))
sys.path.insert(0, os.path.join(TOP, "examples"))
import nslaunch  # noqa: E402
from nslaunch.launch import Launch  # noqa: E402
from nslaunch.result import make_result, parse_status  # noqa: E402
import plugin_sandbox  # noqa: E402

NSL = os.path.abspath(os.environ.get("NSLAUNCH", os.path.join(TOP, "build", "launcher", "nslaunch")))
CMD = ["/bin/true"]


def direct():
    cp = subprocess.run([NSL, "run", "--", *CMD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert cp.returncode == 0


def direct_with_status():
    r, w = os.pipe()
    try:
        cp = subprocess.run([NSL, "run", "--status-json", f"fd:{w}", "--", *CMD], pass_fds=[w],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        os.close(w)
    with open(r, "rb") as f:
        status = json.loads(f.read())
    assert cp.returncode == 0 and status["exit_code"] == 0


def client():
    assert nslaunch.run(CMD, stdout=nslaunch.DEVNULL, stderr=nslaunch.DEVNULL, binary=NSL).exit_code == 0


ROWS = {"subprocess": direct, "subprocess+status": direct_with_status, "nslaunch.run": client}
STATUS = (b'{"exit_code":0,"signal":null,"timed_out":false,"oom_killed":false,"wall_ms":29.641,"setup_ms":20.3,'
          b'"cpu_user_ms":7.243,"cpu_sys_ms":4.624,"peak_memory_bytes":null,"error":null}\n')


def client_python_work(n):
    """The client's work around the process, without one: per run, in ms."""
    box = nslaunch.Sandbox(ro_binds=[("/srv/plugins", "/usr/local/plugins")], memory="256m", cpus=1.0,
                           timeout=30, tmpfs={"/tmp": "size=64m"})
    start = time.perf_counter_ns()
    for _ in range(n):
        launch = Launch(CMD, box, NSL)
        launch.spawned()
        make_result(launch.cmd, 0, parse_status(STATUS))
        launch.close()
    return (time.perf_counter_ns() - start) / n / 1e6


def quartiles(xs):
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def describe(xs):
    lo, hi = quartiles(xs)
    return (f"median {statistics.median(xs):7.3f}  IQR {lo:7.3f}..{hi:7.3f}  min {min(xs):7.3f}  "
            f"max {max(xs):7.3f}")


def self_cpu_ms():
    """CPU time of this process alone (not its children): what the caller
    pays, far less disturbed by the machine's load than wall time."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime) * 1000


def overhead(runs, warmup):
    times = {name: [] for name in ROWS}
    cpu = {name: [] for name in ROWS}
    order = list(ROWS.items())
    for r in range(warmup + runs):
        random.shuffle(order)
        for name, fn in order:
            cpu_start = self_cpu_ms()
            start = time.perf_counter_ns()
            fn()
            if r >= warmup:
                times[name].append((time.perf_counter_ns() - start) / 1e6)
                cpu[name].append(self_cpu_ms() - cpu_start)
    print(f"== overhead per run: nslaunch run -- /bin/true, {runs} interleaved rounds ({warmup} warm-up), ms")
    print("wall time:")
    for name in ROWS:
        print(f"{name:18} {describe(times[name])}")
    print("CPU time of the calling process itself (mean; getrusage ticks are coarse):")
    for name in ROWS:
        print(f"{name:18} mean {statistics.fmean(cpu[name]):7.3f}")
    for base in ("subprocess", "subprocess+status"):
        paired = [c - b for c, b in zip(times["nslaunch.run"], times[base])]
        print(f"nslaunch.run - {base:17} paired per round: {describe(paired)}; "
              f"difference of medians {statistics.median(times['nslaunch.run']) - statistics.median(times[base]):.3f}")
    print(f"client's Python work without a process: {client_python_work(20000) * 1000:.1f} us per run")


def plugin_dir():
    d = tempfile.mkdtemp(prefix="nsl-bench-plugins-", dir="/tmp")
    os.chmod(d, 0o755)
    shutil.copy(os.path.join(TOP, "examples", "plugin.py"), d)
    commands = {"python": ["python3", "/usr/local/plugins/plugin.py"]}
    rustc = shutil.which("rustc")
    if rustc and subprocess.run([rustc, "-O", "-o", os.path.join(d, "rust_plugin"),
                                 os.path.join(TOP, "examples", "rust_plugin.rs")]).returncode == 0:
        commands["rust"] = ["/usr/local/plugins/rust_plugin"]
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o755)
    return d, commands


def threaded(plugin_runs, threads):
    d, commands = plugin_dir()
    limits = "strict" if nslaunch.run(["/bin/true"], nslaunch.Sandbox(memory="64m"), binary=NSL,
                                      stderr=nslaunch.DEVNULL).ok else "best-effort"
    box = plugin_sandbox.PluginSandbox(d, binary=NSL, limits=limits)
    records = [{"name": f"r{i}", "value": i} for i in range(100)]
    try:
        for name, cmd in commands.items():
            def one(_):
                start = time.perf_counter_ns()
                outcome = box.run(cmd, records)
                assert outcome["status"] == "ok", outcome
                return (time.perf_counter_ns() - start) / 1e6
            box.run(cmd, records)                               # warm the page cache
            start = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                latencies = list(pool.map(one, range(plugin_runs)))
            wall = time.perf_counter() - start
            print(f"== {plugin_runs} {name} plugin runs (PluginSandbox: memory 256m, cpus 1, pids 64, "
                  f"seccomp profile, limits {limits}) from {threads} threads")
            print(f"wall {wall:.2f} s, {plugin_runs / wall:.1f} runs/s; per run ms: {describe(latencies)}")
    finally:
        shutil.rmtree(d)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--plugin-runs", type=int, default=100)
    p.add_argument("--threads", type=int, default=8)
    a = p.parse_args()
    print(f"nslaunch {NSL}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    overhead(a.runs, a.warmup)
    threaded(a.plugin_runs, a.threads)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
