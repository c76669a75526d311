#!/bin/sh
# Re-derive the syscalls of the workloads: each one runs in the sandbox with
# --seccomp unconfined under strace -f, and the names it used are printed,
# with those the built-in profile (profiles/plugin.json) does not allow.
# Usage: tests/workloads/trace.sh [NSLAUNCH]   (run it as root and as a user)
# Timing-dependent calls can hide under strace (rt_sigsuspend in a shell's
# `wait`); a run with the profile's defaultAction set to SCMP_ACT_LOG and
# the kernel log (type=1326 ... syscall=N) catches those.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
nsl=${1:-$top/build/launcher/nslaunch}
work=$(mktemp -d /tmp/nsl-workloads-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/w" "$work/out"
cp "$here"/python_plugin.py "$here"/shell.sh "$here"/hello.c "$here"/hello.rs "$work/w/"
cc -O2 -pthread -o "$work/w/hello-c" "$here/hello.c"
set -- python "python3 /w/python_plugin.py" c /w/hello-c sh "/bin/sh /w/shell.sh"
if command -v rustc >/dev/null 2>&1; then
    rustc -O -o "$work/w/hello-rs" "$here/hello.rs"
    set -- "$@" rust /w/hello-rs
fi
chmod -R a+rX "$work"
chmod 1777 "$work/out"
while [ $# -gt 0 ]; do
    name=$1 cmd=$2
    shift 2
    # shellcheck disable=SC2086
    "$nsl" run --seccomp unconfined --ro-bind "$work/w:/w" --bind "$work/out:/out" -- \
        strace -f -qq -o "/out/$name.log" $cmd > "$work/out/$name.stdout" 2> "$work/out/$name.stderr" ||
        { echo "$name: failed"; cat "$work/out/$name.stderr"; exit 1; }
done
python3 - "$work/out" "$top/profiles/plugin.json" <<'PY'
import glob, json, os, re, sys
pat = re.compile(r'^\d+\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()')
prof = json.load(open(sys.argv[2]))
allowed = {n for e in prof["syscalls"] for n in e["names"]
           if e["action"] == "SCMP_ACT_ALLOW" or e["names"] == ["clone3"] or e["names"] == ["ioctl"]}
missing = set()
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.log"))):
    names = {m.group(1) or m.group(2) for m in map(pat.match, open(f, errors="replace")) if m}
    print(f"{os.path.basename(f)[:-4]} ({len(names)}): {' '.join(sorted(names))}")
    missing |= names - allowed
print("not allowed by profiles/plugin.json:", " ".join(sorted(missing)) or "none")
sys.exit(1 if missing else 0)
PY
