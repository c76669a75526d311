#!/usr/bin/env python3
"""What nslaunch.Pool buys a Python caller, in one run: the time of one
``run(["/bin/true"])`` from the caller's side (the command handed over,
run, its Result read), through a Pool and through nslaunch.run, paced (a
pause between runs, so that the pool has refilled: a caller with work of
its own between commands), and back to back (runs per second). The rows
alternate in rounds, in a fresh random order each round; medians and
quartiles over every run.

usage: bench/client-pool.py [--rounds 5] [--runs 20] [--pause-ms 50] [--seconds 3]
NSLAUNCH selects the binary (default build/launcher/nslaunch)."""

import argparse
import os
import random
import statistics
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "python"))
import nslaunch  # noqa: E402

NSL = os.path.abspath(os.environ.get("NSLAUNCH", os.path.join(TOP, "build", "launcher", "nslaunch")))
CMD = ["/bin/true"]


def paced(run, runs, pause):
    times = []
    for _ in range(runs):
        time.sleep(pause)
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1e3)
    return times


def back_to_back(run, seconds):
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        run()
        n += 1
    return n / seconds


def quartiles(v):
    q = statistics.quantiles(v, n=4)
    return f"{statistics.median(v):.2f} ms ({q[0]:.2f}-{q[2]:.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--pause-ms", type=float, default=50)
    ap.add_argument("--seconds", type=float, default=3)
    args = ap.parse_args()

    with nslaunch.Pool(size=2, binary=NSL) as pool:
        rows = {
            "nslaunch.Pool(size=2).run": lambda: pool.run(CMD),
            "nslaunch.run": lambda: nslaunch.run(CMD, binary=NSL),
        }
        lat = {name: [] for name in rows}
        rate = {name: [] for name in rows}
        for _ in range(args.rounds):
            for name in random.sample(list(rows), len(rows)):
                lat[name] += paced(rows[name], args.runs, args.pause_ms / 1e3)
                rate[name].append(back_to_back(rows[name], args.seconds))
    print(f"{args.rounds} rounds; each: {args.runs} paced runs ({args.pause_ms:g} ms apart), then "
          f"{args.seconds:g} s back to back; /bin/true\n")
    print("| row | paced: median (quartiles) | back to back: runs/s, median of rounds (min-max) |")
    print("|---|---|---|")
    for name in rows:
        r = rate[name]
        print(f"| {name} | {quartiles(lat[name])} | {statistics.median(r):.0f} ({min(r):.0f}-{max(r):.0f}) |")


if __name__ == "__main__":
    main()
