#!/usr/bin/env python3
"""Times an OCI runtime's whole lifecycle of one container, as an engine drives
it: `create --bundle B --pid-file P ID`, `start ID`, wait for the container's
init (this process is a child subreaper, as conmon and containerd's shim
are), `delete ID`. Runtimes are interleaved: every round runs each once, in a
fresh random order. Reports per runtime the median, quartiles, min and max
wall time of the lifecycle, then, from 5 more rounds, the largest peak RSS of
any of the runtime's commands: GNU time's %M for each (the command's own
ru_maxrss, which counts what it waited for, not the container's init; a
command spawned from this Python process directly would report Python's own
size, which an execve keeps as the high-water mark). A second table splits
each runtime's lifecycle into its four steps (medians), beside what a
process that does nothing costs here: `/bin/true` spawned the same way, once
a round, interleaved with the runtimes. A lifecycle starts three runtime
processes and the container's command, so four of those are its floor.

usage: oci-lifecycle.py BUNDLE WARMUP RUNS NAME=RUNTIME[,GLOBAL-OPTS...]..."""
import ctypes
import os
import random
import statistics
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


RSS_ROUNDS = 5


def spawn(argv, devnull, rss_file=None):
    """Runs argv; with rss_file, under GNU time, and returns its peak RSS in KiB."""
    if rss_file:
        argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + argv
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"oci-lifecycle.py: {' '.join(argv)} failed with {os.waitstatus_to_exitcode(status)}")
    if not rss_file:
        return 0
    with open(rss_file) as f:
        return int(f.read().split()[-1])


STEPS = ("create", "start", "wait", "delete")
NOTHING = "a process that does nothing"


def lifecycle(runtime, bundle, n, devnull, measure_rss):
    """The lifecycle's seconds, each step's (STEPS), and the peak RSS."""
    cid = f"bench-{os.getpid()}-{n}"
    pid_file = os.path.join(bundle, f"{cid}.pid")
    rss_file = os.path.join(bundle, f"{cid}.rss") if measure_rss else None
    marks = [time.perf_counter_ns()]
    rss = spawn(runtime + ["create", "--bundle", bundle, "--pid-file", pid_file, cid], devnull, rss_file)
    marks.append(time.perf_counter_ns())
    rss = max(rss, spawn(runtime + ["start", cid], devnull, rss_file))
    marks.append(time.perf_counter_ns())
    with open(pid_file) as f:
        init = int(f.read())
    _, status = os.waitpid(init, 0)
    marks.append(time.perf_counter_ns())
    rss = max(rss, spawn(runtime + ["delete", cid], devnull, rss_file))
    marks.append(time.perf_counter_ns())
    os.unlink(pid_file)
    if rss_file:
        os.unlink(rss_file)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"oci-lifecycle.py: {runtime[0]}: the container ended with {os.waitstatus_to_exitcode(status)}")
    steps = [(b - a) / 1e9 for a, b in zip(marks, marks[1:])]
    return (marks[-1] - marks[0]) / 1e9, steps, rss


def nothing(devnull):
    start = time.perf_counter_ns()
    spawn(["/bin/true"], devnull)
    return (time.perf_counter_ns() - start) / 1e9


def ms(seconds):
    return f"{seconds * 1e3:.2f}"


def main(bundle, warmup, runs, specs):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("oci-lifecycle.py: cannot become a child subreaper")
    runtimes = []
    for spec in specs:
        name, argv = spec.split("=", 1)
        runtimes.append((name, argv.split(",")))
    devnull = os.open("/dev/null", os.O_RDWR)
    times = {name: [] for name, _ in runtimes}
    steps = {name: [[] for _ in STEPS] for name, _ in runtimes}
    peak = {name: 0 for name, _ in runtimes}
    idle = []
    n = 0
    for r in range(warmup + runs + RSS_ROUNDS):
        order = runtimes + [(NOTHING, None)]
        random.shuffle(order)
        measured = warmup <= r < warmup + runs
        for name, argv in order:
            if argv is None:
                t = nothing(devnull)
                if measured:
                    idle.append(t)
                continue
            n += 1
            t, split, rss = lifecycle(argv, bundle, n, devnull, r >= warmup + runs)
            if measured:
                times[name].append(t)
                for column, value in zip(steps[name], split):
                    column.append(value)
            peak[name] = max(peak[name], rss)
    print("| runtime | median ms | q1-q3 ms | min-max ms | peak RSS KiB |")
    print("|---|---:|---:|---:|---:|")
    for name, _ in runtimes:
        t = sorted(times[name])
        q = statistics.quantiles(t, n=4)
        print(f"| {name} | {ms(statistics.median(t))} | {ms(q[0])}-{ms(q[2])} | {ms(t[0])}-{ms(t[-1])} "
              f"| {peak[name]} |")
    print()
    print("| runtime | " + " | ".join(f"{step} ms" for step in STEPS) + " |")
    print("|---|" + "---:|" * len(STEPS))
    for name, _ in runtimes:
        print(f"| {name} | " + " | ".join(ms(statistics.median(column)) for column in steps[name]) + " |")
    floor = statistics.median(idle)
    print(f"\n{NOTHING} (/bin/true): {ms(floor)} ms median; four of them: {ms(4 * floor)} ms")


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
