#!/usr/bin/env bash
# Start-up benchmark: nslaunch against bare exec, a namespace floor, bwrap,
# crun and runc, all running /bin/true with the same isolation as nslaunch's
# defaults. See bench/README.md.
#
# Usage: bench/run.sh [--only NAME[,NAME...]]
# Env:   NSLAUNCH (binary; default <repo>/build/launcher/nslaunch)
#        BENCH_RUNS (200), BENCH_WARMUP (20), BENCH_RSS_RUNS (20),
#        BENCH_OUT (optional dir: hyperfine JSON, RSS JSON and table are copied there)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# every row runs with a /dev/null of its own (bench/private-null: crun chowns
# the host's otherwise)
if [[ -z ${NSL_BENCH_PRIVATE_NULL:-} && $(id -u) -eq 0 ]]; then
    export NSL_BENCH_PRIVATE_NULL=1
    exec unshare -m --propagation private "$SCRIPT_DIR/private-null" "$0" "$@"
fi
REPO_ROOT=$(dirname "$SCRIPT_DIR")
PY=/usr/bin/python3

RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-20}
RSS_RUNS=${BENCH_RSS_RUNS:-20}
BENCH_OUT=${BENCH_OUT:-}

ALL_ROWS=(bare floor nslaunch nslaunch-noseccomp nslaunch-report nslaunch-limits bwrap bwrap-as-65534 crun runc)

usage() {
    cat <<EOF
usage: $0 [--only NAME[,NAME...]]
rows: ${ALL_ROWS[*]}
env:  NSLAUNCH BENCH_RUNS BENCH_WARMUP BENCH_RSS_RUNS BENCH_OUT
EOF
}

ONLY=""
while (($#)); do
    case $1 in
        --only) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; ONLY=$2; shift 2 ;;
        --only=*) ONLY=${1#--only=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
for v in RUNS WARMUP RSS_RUNS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: BENCH_$v must be a number" >&2; exit 2; }
done
((RUNS >= 2)) || { echo "run.sh: BENCH_RUNS must be >= 2" >&2; exit 2; }

ROWS=()
if [[ -n $ONLY ]]; then
    IFS=, read -r -a wanted <<<"$ONLY"
    for w in "${wanted[@]}"; do
        ok=0
        for r in "${ALL_ROWS[@]}"; do [[ $w == "$r" ]] && ok=1; done
        ((ok)) || { echo "run.sh: unknown row '$w' (rows: ${ALL_ROWS[*]})" >&2; exit 2; }
    done
    for r in "${ALL_ROWS[@]}"; do
        for w in "${wanted[@]}"; do [[ $w == "$r" ]] && ROWS+=("$r") && break; done
    done
else
    ROWS=("${ALL_ROWS[@]}")
fi
want() { local r; for r in "${ROWS[@]}"; do [[ $r == "$1" ]] && return 0; done; return 1; }

[[ $(id -u) -eq 0 ]] || { echo "run.sh: must run as root (runc/crun and the crun mount-namespace workaround need it)" >&2; exit 2; }

log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- 1. packages
need=()
for p in hyperfine bubblewrap crun runc time; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[[ -x $PY ]] || need+=(python3)
command -v unshare >/dev/null && command -v setpriv >/dev/null || need+=(util-linux)
if ((${#need[@]})); then
    log "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
BWRAP=$(command -v bwrap)
CRUN=$(command -v crun)
RUNC=$(command -v runc)
UNSHARE=$(command -v unshare)
SETPRIV=$(command -v setpriv)

# ---------------------------------------------------------------- 2. nslaunch
NSLAUNCH=${NSLAUNCH:-$REPO_ROOT/build/launcher/nslaunch}
if want nslaunch || want nslaunch-noseccomp || want nslaunch-report || want nslaunch-limits; then
    if [[ ! -x $NSLAUNCH ]]; then
        echo "run.sh: nslaunch binary not found or not executable: $NSLAUNCH" >&2
        echo "        build it, set NSLAUNCH=..., or leave it out with --only" >&2
        exit 2
    fi
    NSLAUNCH=$(realpath "$NSLAUNCH")
fi

# ---------------------------------------------------------------- cleanup
MOUNTS_BEFORE=$(sort /proc/self/mountinfo)
WORK=""
CRUN_MODE=none
CRUN_GLOBAL=()
CRUN_NOTE="crun row not selected"
in_crun_env() {
    if [[ $CRUN_MODE == mountns ]]; then
        "$UNSHARE" -m --propagation private "$WORK/nsexec" "$@"
    else
        "$@"
    fi
}
cleanup() {
    local rc=$? id
    trap - EXIT INT TERM
    if [[ -n $WORK && -d $WORK ]]; then
        # runc/crun run remove their containers on exit; this only matters if a
        # run was interrupted half way.
        if [[ -d $WORK/runc-state ]]; then
            for id in $("$RUNC" --root "$WORK/runc-state" list -q 2>/dev/null); do
                echo "run.sh: note: removing leftover runc container $id" >&2
                "$RUNC" --root "$WORK/runc-state" delete -f "$id" >/dev/null 2>&1 || true
            done
        fi
        if [[ -d $WORK/crun-state ]]; then
            for id in $(ls -A "$WORK/crun-state" 2>/dev/null); do
                echo "run.sh: note: removing leftover crun container $id" >&2
                in_crun_env "$CRUN" "${CRUN_GLOBAL[@]}" --root "$WORK/crun-state" delete -f "$id" >/dev/null 2>&1 || true
            done
        fi
        rm -rf -- "$WORK"
    fi
    if [[ $(sort /proc/self/mountinfo) != "$MOUNTS_BEFORE" ]]; then
        echo "run.sh: WARNING: the host's mount table changed during the benchmark:" >&2
        diff <(echo "$MOUNTS_BEFORE") <(sort /proc/self/mountinfo) >&2 || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d /tmp/nslaunch-bench.XXXXXX)
chmod 755 "$WORK"   # the rootfs must be reachable for uid 65534

# ---------------------------------------------------------------- 3. OCI bundle
# make_bundle DIR ARGV_JSON
make_bundle() { "$PY" "$SCRIPT_DIR/bundle.py" "$@"; }

CHECK_SH='read -r a b c </proc/self/uid_map; m="$a->$b"; touch /.w 2>/dev/null && r=rw || r=ro; echo "map=$m root=$r host=$(uname -n) caps=$(grep CapEff /proc/self/status | cut -f2) seccomp=$(grep "^Seccomp:" /proc/self/status | cut -f2)"'

BUNDLE=$WORK/bundle
make_bundle "$BUNDLE" '["/bin/true"]'
make_bundle "$WORK/bundle-check" "$("$PY" -c 'import json,sys; print(json.dumps(["/bin/sh","-c",sys.argv[1]]))' "$CHECK_SH")"
mkdir -p "$WORK/runc-state" "$WORK/crun-state"

# ---------------------------------------------------------------- 4. crun and the hybrid cgroup layout
# crun 1.8 refuses a hybrid layout whose cgroup2 mount has controllers.  Try,
# in order: crun as is; crun --cgroup-manager=disabled; crun inside a private
# mount namespace in which an empty file hides the cgroup2 controller list.
CONTROLLERS=/sys/fs/cgroup/unified/cgroup.controllers
: >"$WORK/empty"
cat >"$WORK/nsexec" <<EOF
#!/bin/sh
# run inside: unshare -m --propagation private
set -e
mount --bind '$WORK/empty' '$CONTROLLERS'
exec "\$@"
EOF
chmod 755 "$WORK/nsexec"

crun_probe() { # crun_probe GLOBAL_OPTS...
    in_crun_env "$CRUN" "$@" --root "$WORK/crun-state" run --bundle "$BUNDLE" bench-probe </dev/null >"$WORK/crun-probe.log" 2>&1
}
if want crun; then
    if CRUN_MODE=native crun_probe; then
        CRUN_MODE=native; CRUN_NOTE="crun: ran as is (no workaround needed)"
    elif CRUN_MODE=native crun_probe --cgroup-manager=disabled; then
        CRUN_MODE=native; CRUN_GLOBAL=(--cgroup-manager=disabled)
        CRUN_NOTE="crun: --cgroup-manager=disabled"
    elif why=$(head -n1 "$WORK/crun-probe.log"); [[ -e $CONTROLLERS ]] && CRUN_MODE=mountns crun_probe; then
        CRUN_MODE=mountns
        CRUN_NOTE="crun: workaround = hyperfine and /usr/bin/time run inside 'unshare -m --propagation private' with an empty file bound over $CONTROLLERS; all rows run in that namespace (plain crun and crun --cgroup-manager=disabled both fail: '$why')"
    else
        echo "run.sh: WARNING: crun does not run here, dropping the crun row: $(cat "$WORK/crun-probe.log")" >&2
        CRUN_NOTE="crun row dropped: $(head -n1 "$WORK/crun-probe.log")"
        tmp=(); for r in "${ROWS[@]}"; do [[ $r == crun ]] || tmp+=("$r"); done; ROWS=("${tmp[@]}")
    fi
    log "$CRUN_NOTE"
fi
# Whole-run wrapper: if crun needs the mount namespace, every row runs in it
# (so the rows are measured under the same conditions and the crun command is
# not burdened with unshare+mount on each run).
RUNNER=()
[[ $CRUN_MODE == mountns ]] && RUNNER=("$UNSHARE" -m --propagation private "$WORK/nsexec")

# ---------------------------------------------------------------- the rows
# cmd_for ROW PROGRAM...  -> prints the shell-words command line for the row
q() { local out="" a; for a in "$@"; do out+="${out:+ }$(printf '%q' "$a")"; done; printf '%s' "$out"; }
read -ra BWRAP_ISO <<<"$(sed 's/#.*//' "$SCRIPT_DIR/bwrap-isolation" | tr '\n' ' ')"
cmd_for() {
    local row=$1; shift
    case $row in
        bare)     q "$@" ;;
        floor)    q "$UNSHARE" -UrmpinufC "$@" ;;
        nslaunch) q "$NSLAUNCH" run -- "$@" ;;
        nslaunch-noseccomp) q "$NSLAUNCH" run --seccomp unconfined -- "$@" ;;
        nslaunch-report) q "$NSLAUNCH" run --seccomp-report -- "$@" ;;
        nslaunch-limits) q "$NSLAUNCH" run --memory 512m --cpus 1 --pids 256 -- "$@" ;;
        # The anchor: bwrap invoked directly. Run by root it maps sandbox uid 0
        # to host uid 0, which nslaunch never does by default; the next row
        # drops to 65534 first to get nslaunch's mapping, at the price of
        # setpriv's own exec, so it is shown but is not the anchor.
        bwrap)    q "$BWRAP" --unshare-user --uid 0 --gid 0 "${BWRAP_ISO[@]}" "$@" ;;
        bwrap-as-65534) q "$SETPRIV" --reuid=65534 --regid=65534 --clear-groups \
                      "$BWRAP" --unshare-user --uid 0 --gid 0 "${BWRAP_ISO[@]}" "$@" ;;
        crun)     q "$CRUN" "${CRUN_GLOBAL[@]}" --root "$WORK/crun-state" run --bundle "$OCI_BUNDLE" bench-crun ;;
        runc)     q "$RUNC" --root "$WORK/runc-state" run -b "$OCI_BUNDLE" bench-runc ;;
    esac
}

# ---------------------------------------------------------------- sanity check
# Each launcher runs a tiny shell once to show its uid map, root mode, hostname,
# effective caps and seccomp mode.  Failures here abort the run.
log "checking each launcher once"
: >"$WORK/check.txt"
for r in "${ROWS[@]}"; do
    OCI_BUNDLE=$WORK/bundle-check
    line=$(cmd_for "$r" /bin/sh -c "$CHECK_SH")
    if ! out=$(eval "$(q "${RUNNER[@]}") $line" </dev/null 2>"$WORK/check.err"); then
        echo "run.sh: $r failed its check run: $line" >&2
        cat "$WORK/check.err" >&2
        exit 1
    fi
    printf '%s\t%s\n' "$r" "$out" >>"$WORK/check.txt"
    printf '   %-20s %s\n' "$r" "$out" >&2
done

# ---------------------------------------------------------------- 5. timing
# Interleaved: each round runs every row once, in a new random order
# (bench/interleave.py), so drifts of the machine fall on all rows alike.
OCI_BUNDLE=$BUNDLE
: >"$WORK/commands.tsv"
for r in "${ROWS[@]}"; do
    line=$(cmd_for "$r" /bin/true)
    printf '%s\t%s\n' "$r" "$line" >>"$WORK/commands.tsv"
done
log "interleaved: ${#ROWS[@]} commands, $WARMUP warm-up rounds, $RUNS timed rounds"
"${RUNNER[@]}" "$PY" "$SCRIPT_DIR/interleave.py" "$WORK/commands.tsv" "$WARMUP" "$RUNS" "$WORK/hyperfine.json" </dev/null

# ---------------------------------------------------------------- 6. peak RSS
log "peak RSS: $RSS_RUNS runs per row with /usr/bin/time -f %M"
"${RUNNER[@]}" "$PY" - "$WORK/commands.tsv" "$RSS_RUNS" "$WORK/rss.json" <<'EOF'
import json, os, shlex, subprocess, sys, tempfile
cmds, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = {}
fd, tf = tempfile.mkstemp(prefix="rss.", dir=os.path.dirname(out)); os.close(fd)
for line in open(cmds):
    name, cmd = line.rstrip("\n").split("\t", 1)
    vals = []
    for _ in range(n):
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf] + shlex.split(cmd),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        vals.append(int(open(tf).read().split()[-1]))
    res[name] = vals
os.unlink(tf)
json.dump(res, open(out, "w"))
EOF

# ---------------------------------------------------------------- summary
summary() {
"$PY" - "$WORK/hyperfine.json" "$WORK/rss.json" "$WORK/check.txt" "$CRUN_NOTE" "$RUNS" "$WARMUP" "$RSS_RUNS" <<'EOF'
import json, statistics, sys
hf, rss, checks = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
note, runs, warm, rruns = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
res = {r["command"]: r for r in hf["results"]}
def med(n): return res[n]["median"] if n in res else None
bw, ns = med("bwrap"), med("nslaunch")
ms = lambda s: f"{s * 1000:.2f}"
ratio = lambda a, b: f"{a / b:.2f}x" if b else "-"
print(f"| command | median ms | mean ms | min ms | max ms | / bwrap | / nslaunch | RSS max KiB | RSS median KiB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, r in res.items():
    v = rss.get(name, [])
    print(f"| {name} | {ms(r['median'])} | {ms(r['mean'])} | {ms(r['min'])} | {ms(r['max'])} "
          f"| {ratio(r['median'], bw)} | {ratio(r['median'], ns)} "
          f"| {max(v) if v else '-'} | {int(statistics.median(v)) if v else '-'} |")
print()
print(f"interleaved (bench/interleave.py): {warm} warm-up + {runs} timed rounds, each running every row once in a random order;")
print(f"RSS: /usr/bin/time -f %M over {rruns} runs (largest single process of the tree, see README).")
print(note)
print()
print("isolation check (one run of /bin/sh in each):")
for line in open(checks):
    name, out = line.rstrip("\n").split("\t", 1)
    print(f"  {name:<20} {out}")
EOF
}
echo
summary | tee "$WORK/table.md"
echo
echo "commands:"
sed 's/^/  /' "$WORK/commands.tsv"

if [[ -n $BENCH_OUT ]]; then
    mkdir -p "$BENCH_OUT"
    cp "$WORK/hyperfine.json" "$WORK/rss.json" "$WORK/table.md" "$WORK/commands.tsv" "$BENCH_OUT/"
    log "results copied to $BENCH_OUT"
fi
