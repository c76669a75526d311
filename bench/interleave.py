#!/usr/bin/env python3
"""Times commands interleaved: every round runs each command once, in a fresh
random order, so slow drifts of the machine (and the kernel's deferred
clean-up of the namespaces earlier commands made) fall on every command
alike. Writes hyperfine-style JSON: results[] with command, median, mean,
min, max in seconds.

usage: interleave.py COMMANDS.tsv WARMUP RUNS OUT.json
COMMANDS.tsv: NAME<TAB>shell-words command line, one per line."""
import json
import os
import random
import shlex
import statistics
import sys
import time


def run_once(argv, devnull):
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    elapsed = (time.perf_counter_ns() - start) / 1e9
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"interleave.py: {' '.join(argv)} failed with {os.waitstatus_to_exitcode(status)}")
    return elapsed


def main(tsv, warmup, runs, out):
    rows = []
    for line in open(tsv):
        name, cmd = line.rstrip("\n").split("\t", 1)
        rows.append((name, shlex.split(cmd)))
    devnull = os.open("/dev/null", os.O_RDWR)
    times = {name: [] for name, _ in rows}
    for r in range(int(warmup) + int(runs)):
        order = rows[:]
        random.shuffle(order)
        for name, argv in order:
            t = run_once(argv, devnull)
            if r >= int(warmup):
                times[name].append(t)
    results = [{"command": name, "median": statistics.median(times[name]), "mean": statistics.fmean(times[name]),
                "min": min(times[name]), "max": max(times[name]), "times": times[name]} for name, _ in rows]
    with open(out, "w") as f:
        json.dump({"results": results}, f)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
