#!/usr/bin/env bash
# What a seccomp filter costs nslaunch: the launch median with no filter, the
# built-in profile, Docker's default.json compiled from JSON on every launch,
# the same from the cache and from a precompiled file; then the per-syscall
# cost of each loaded filter (a getppid loop), with libseccomp's binary tree
# against its plain list. One hyperfine run for the launches.
#
# Usage: bench/seccomp.sh        Env: NSLAUNCH, BENCH_RUNS (200), BENCH_WARMUP (20), BENCH_PAIRS (400)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
NSLAUNCH=$(realpath "${NSLAUNCH:-$top/build/launcher/nslaunch}")
RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
DOCKER=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json

need=()
for p in hyperfine golang-github-docker-docker-dev gcc; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -x "$NSLAUNCH" ] || { echo "seccomp.sh: no nslaunch at $NSLAUNCH" >&2; exit 2; }

work=$(mktemp -d /tmp/nslaunch-bench-seccomp.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
cache="$work/cache"
cc -O2 -o "$work/getppid-loop" "$here/getppid-loop.c"
"$NSLAUNCH" seccomp compile "$DOCKER" -o "$work/docker.bpf"
"$NSLAUNCH" seccomp compile --linear "$DOCKER" -o "$work/docker-linear.bpf"
"$NSLAUNCH" run --seccomp "$DOCKER" --seccomp-cache "$cache" -- /bin/true    # warm the cache
echo "Docker's profile: $(( $(stat -c %s "$work/docker.bpf") / 8 )) instructions as a binary tree," \
     "$(( $(stat -c %s "$work/docker-linear.bpf") / 8 )) as a list (x86_64 rules only; 32-bit and x32 entry points are killed)"

hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/launch.json" \
        -n "no filter" "$NSLAUNCH run --seccomp unconfined -- /bin/true" \
        -n "built-in" "$NSLAUNCH run -- /bin/true" \
        -n "docker json, no cache" "$NSLAUNCH run --seccomp $DOCKER --seccomp-cache off -- /bin/true" \
        -n "docker json, cached" "$NSLAUNCH run --seccomp $DOCKER --seccomp-cache $cache -- /bin/true" \
        -n "docker precompiled" "$NSLAUNCH run --seccomp-bpf $work/docker.bpf -- /bin/true" \
        </dev/null >/dev/null

per_call() { # per_call OPTS... -> median ns of 5 runs of 2M getppid calls
        local i out=()
        for i in 1 2 3 4 5; do
                out+=("$("$NSLAUNCH" run --ro-bind "$work:/b" "$@" -- /b/getppid-loop 2000000 2>/dev/null)")
        done
        printf '%s\n' "${out[@]}" | sort -n | sed -n 3p
}

/usr/bin/python3 - "$work/launch.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
base = next(r["median"] for r in res if r["command"] == "no filter")
print("| launch | median ms | added vs no filter |")
print("|---|---:|---:|")
for r in res:
    print(f"| {r['command']} | {r['median'] * 1000:.2f} | {100 * (r['median'] / base - 1):+.1f}% |")
PY
echo
echo "| filter loaded | getppid ns/call |"
echo "|---|---:|"
echo "| none | $(per_call --seccomp unconfined) |"
echo "| built-in | $(per_call) |"
echo "| docker, binary tree | $(per_call --seccomp-bpf "$work/docker.bpf") |"
echo "| docker, plain list | $(per_call --seccomp-bpf "$work/docker-linear.bpf") |"

# The cache hit against the precompiled filter, paired (issue 21: within
# 0.05 ms): BENCH_PAIRS rounds, the two in a random order each round; the
# wall time and the CPU time nslaunch and what it reaped used (wait4), whose
# difference hyperfine's spread (a millisecond here) would hide.
/usr/bin/python3 - "${BENCH_PAIRS:-400}" "$NSLAUNCH" "$DOCKER" "$cache" "$work/docker.bpf" <<'PY'
import os, random, statistics, sys, time
pairs, nsl, profile, cache, bpf = int(sys.argv[1]), *sys.argv[2:]
argv = {"cached": [nsl, "run", "--seccomp", profile, "--seccomp-cache", cache, "--", "/bin/true"],
        "precompiled": [nsl, "run", "--seccomp-bpf", bpf, "--", "/bin/true"]}
devnull = os.open(os.devnull, os.O_RDWR)
times = {name: [] for name in argv}
for i in range(10 + pairs):
    for name in random.sample(sorted(argv), 2):
        start = time.perf_counter_ns()
        pid = os.posix_spawn(argv[name][0], argv[name], os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status, usage = os.wait4(pid, 0)
        if status != 0:
            sys.exit(f"seccomp.sh: {' '.join(argv[name])} failed")
        if i >= 10:
            times[name].append(((time.perf_counter_ns() - start) / 1e6, (usage.ru_utime + usage.ru_stime) * 1e3))
print()
print(f"| {pairs} pairs, medians | wall ms | CPU ms |")
print("|---|---:|---:|")
for name, v in times.items():
    print(f"| {name} | {statistics.median(w for w, _ in v):.3f} | {statistics.median(c for _, c in v):.3f} |")
diff = [(a[0] - b[0], a[1] - b[1]) for a, b in zip(times["cached"], times["precompiled"])]
print(f"| cached - precompiled, paired | {statistics.median(w for w, _ in diff):+.3f} "
      f"| {statistics.median(c for _, c in diff):+.3f} |")
PY
