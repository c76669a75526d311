#!/bin/bash
# What a pool of sandboxes made ahead of time buys (bench/README.md, "Pool"):
# the time from "start this command" to its execve, and sandboxes per second,
# each row run for BENCH_POOL_SECONDS in every one of BENCH_POOL_ROUNDS
# rounds, the rows in a new random order each round. Drives the library
# through tests/embed/nsl_pool_tool.c (NSL_POOL_TOOL, default the build
# tree's); as root or not. The "floor" rows are the machine's own, with no
# sandbox: bench/bare-floor.c, compiled here with cc, and unshare(1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tool=${NSL_POOL_TOOL:-$here/../build/tests/nsl-pool}
seconds=${BENCH_POOL_SECONDS:-4}
rounds=${BENCH_POOL_ROUNDS:-3}
[ -x "$tool" ] || { echo "bench/pool.sh: build the tool first ($tool)" >&2; exit 2; }

unshare=$(command -v unshare)
# name | arguments of the tool ("taskset -c 0" first: the whole run on one
# CPU, where a wake-up needs no other CPU's; this VM's cross-CPU wake-ups
# cost as much as the hand-over itself; "bare" first: bench/bare-floor.c
# instead of the library's tool) [ -- the command; /bin/true if none]
rows=(
        "floor: hand-over of a bare process (no sandbox)|bare --interval-ms 40"
        "floor: throughput of bare /bin/true, 2 loops|bare --loops 2"
        "floor: throughput of bare /bin/true, 4 loops|bare --loops 4"
        "floor: throughput of namespaces only (unshare -UrmpinufC --fork), 2 loops|bare --loops 2 -- $unshare -UrmpinufC --fork /bin/true"
        "floor: throughput of namespaces only (unshare -UrmpinufC --fork), 4 loops|bare --loops 4 -- $unshare -UrmpinufC --fork /bin/true"
        "hand-over: pool (idle, refilled)|--size 2 --interval-ms 40"
        "hand-over: created 40 ms before start|--direct --interval-ms 40"
        "hand-over, one CPU: pool|taskset -c 0 --size 2 --interval-ms 40"
        "hand-over, one CPU: created 40 ms before start|taskset -c 0 --direct --interval-ms 40"
        "whole launch (nsl_sandbox_create to execve)|--whole --interval-ms 40"
        "throughput: pool, 1 loop|--size 2"
        "throughput: pool, 2 loops|--size 4 --loops 2"
        "throughput: pool, 4 loops|--size 8 --loops 4"
        "throughput: no pool, 1 loop|--whole"
        "throughput: no pool, 2 loops|--whole --loops 2"
        "throughput: no pool, 4 loops|--whole --loops 4"
)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/rows
cc -O2 -o "$work/bare-floor" "$here/bare-floor.c"
for ((round = 1; round <= rounds; round++)); do
        for i in $(shuf -i 0-$((${#rows[@]} - 1))); do
                name=${rows[$i]%%|*}
                args=${rows[$i]#*|}
                pin=()
                if [[ $args == "taskset -c 0 "* ]]; then
                        pin=(taskset -c 0)
                        args=${args#taskset -c 0 }
                fi
                runner=$tool
                if [[ $args == "bare "* ]]; then
                        runner=$work/bare-floor
                        args=${args#bare }
                fi
                command=/bin/true
                if [[ $args == *" -- "* ]]; then
                        command=${args#* -- }
                        args=${args%% -- *}
                fi
                # shellcheck disable=SC2086  # the row's arguments and command are words
                line=$("${pin[@]}" "$runner" $args --bench "$seconds" -- $command)
                printf '%s|%s\n' "$name" "$line" >> "$out"
        done
done

python3 - "$out" "$rounds" "$seconds" <<'EOF'
import re
import statistics
import sys

path, rounds, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
pattern = re.compile(r"bench: (\d+) runs in ([\d.]+) s: (\d+) runs/s, to_exec median ([\d.-]+) ms p90 ([\d.-]+) ms")
by_row = {}
order = []
for line in open(path):
    name, _, text = line.rstrip("\n").partition("|")
    m = pattern.search(text)
    if not m:
        sys.exit(f"bench/pool.sh: {name}: unexpected output {text!r}")
    if name not in by_row:
        order.append(name)
    by_row.setdefault(name, []).append((int(m[3]), float(m[4]), float(m[5])))
print(f"{rounds} rounds of {seconds:g} s per row, rows shuffled each round; /bin/true\n")
print("| row | runs/s (median of rounds, min-max) | to execve: median of round medians (min-max) | p90 (median) |")
print("|---|---|---|---|")
for name in sorted(order, key=lambda n: (not n.startswith(("hand", "whole", "floor: hand")), n)):
    v = by_row[name]
    rate = [x[0] for x in v]
    med = [x[1] for x in v]
    p90 = [x[2] for x in v]
    print(f"| {name} | {statistics.median(rate):.0f} ({min(rate)}-{max(rate)}) | "
          f"{statistics.median(med):.3f} ms ({min(med):.3f}-{max(med):.3f}) | {statistics.median(p90):.3f} ms |")
EOF
