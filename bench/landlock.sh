#!/bin/sh
# The landlock stage's cost per launch, as the stage itself measures it: a
# profiling build (-Dstage_timing=true) prints every stage's span in µs on
# stderr. Runs /bin/true N times with the default (Landlock on) and prints
# the median, the quartiles, min and max of the `landlock` span, and of the
# `seccomp` span beside it for scale; then the same launches' whole setup
# (setup_ms of --status-json) with --landlock off and on, interleaved.
#
# usage: bench/landlock.sh [BUILD_DIR] [N]    (default build-timing, 200)
# The build directory is configured and built when missing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-timing}
n=${2:-200}
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" -Dstage_timing=true >/dev/null
ninja -C "$build" launcher/nslaunch >/dev/null
nsl=$build/launcher/nslaunch
work=$(mktemp -d /tmp/nsl-bench-landlock.XXXXXX)
trap 'rm -rf "$work"' EXIT

i=0
while [ $i -lt "$n" ]; do
        "$nsl" run -- /bin/true 2>>"$work/spans" >/dev/null
        for mode in off best-effort; do
                "$nsl" run --landlock $mode --status-json "$work/s.json" -- /bin/true 2>/dev/null >/dev/null
                python3 -c 'import json,sys; print(sys.argv[1], json.load(open(sys.argv[2]))["setup_ms"])' \
                        $mode "$work/s.json" >>"$work/setup"
        done
        i=$((i + 1))
done

python3 - "$work/spans" "$work/setup" <<'PY'
import statistics, sys

def row(name, values, unit):
    v = sorted(values)
    q = statistics.quantiles(v, n=4)
    print(f"| {name} | {len(v)} | {statistics.median(v):.1f} | {q[0]:.1f} | {q[2]:.1f} | {v[0]:.1f} | {v[-1]:.1f} | {unit} |")

spans = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) == 4 and f[0] == "nslaunch-timing":
        spans.setdefault(f[2], []).append(float(f[3]))
setup = {}
for line in open(sys.argv[2]):
    mode, ms = line.split()
    setup.setdefault(mode, []).append(float(ms) * 1000)
print("| what | runs | median | q1 | q3 | min | max | unit |")
print("|---|---|---|---|---|---|---|---|")
row("landlock stage", spans["landlock"], "µs")
row("seccomp stage", spans["seccomp"], "µs")
row("setup, --landlock off", setup["off"], "µs")
row("setup, Landlock on", setup["best-effort"], "µs")
PY
