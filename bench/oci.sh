#!/usr/bin/env bash
# nslaunch-runc against crun and runc as OCI runtimes: the lifecycle an engine
# drives (create, start, wait, delete) of one bundle running /bin/true, in one
# interleaved run (bench/oci-lifecycle.py), with each runtime's peak RSS.
#
# The whole run happens in a private mount namespace where an empty file hides
# the cgroup2 controller list: crun 1.8 refuses this host's hybrid cgroup
# layout otherwise (see bench/run.sh). Every runtime runs in that namespace.
#
# Usage: bench/oci.sh        Env: NSLAUNCH_RUNC, BENCH_RUNS (100), BENCH_WARMUP (10)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
NSLAUNCH_RUNC=${NSLAUNCH_RUNC:-$top/build/launcher/nslaunch-runc}
RUNS=${BENCH_RUNS:-100}
WARMUP=${BENCH_WARMUP:-10}
controllers=/sys/fs/cgroup/unified/cgroup.controllers

[ "$(id -u)" = 0 ] || { echo "oci.sh: must run as root (runc and crun need it)" >&2; exit 2; }
need=()
for p in crun runc util-linux; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -x "$NSLAUNCH_RUNC" ] || { echo "oci.sh: no nslaunch-runc at $NSLAUNCH_RUNC" >&2; exit 2; }

if [ -z "${NSL_OCI_BENCH_INNER:-}" ]; then
        export NSL_OCI_BENCH_INNER=1
        # a /dev/null of its own too (bench/private-null: crun chowns the host's)
        exec unshare -m --propagation private "$here/private-null" "$0" "$@"
fi
if [ -e "$controllers" ]; then
        empty=$(mktemp /tmp/nslaunch-empty.XXXXXX)
        mount --bind "$empty" "$controllers"
        rm -f "$empty"
fi

work=$(mktemp -d /tmp/nslaunch-bench-oci.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
/usr/bin/python3 "$here/bundle.py" "$work/bundle" '["/bin/true"]'
mkdir "$work/nslaunch-state" "$work/crun-state" "$work/runc-state"

echo "$RUNS rounds after $WARMUP warm-up rounds; $(nproc) CPUs; $(uname -r)"
echo "nslaunch-runc $("$NSLAUNCH_RUNC" --version | head -n1); $(crun --root "$work/crun-state" --version | head -n1); $(runc --version | head -n1)"
/usr/bin/python3 "$here/oci-lifecycle.py" "$work/bundle" "$WARMUP" "$RUNS" \
        "nslaunch-runc=$NSLAUNCH_RUNC,--root,$work/nslaunch-state" \
        "crun=$(command -v crun),--root,$work/crun-state" \
        "runc=$(command -v runc),--root,$work/runc-state"
