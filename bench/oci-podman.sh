#!/usr/bin/env bash
# `podman run --rm IMAGE /bin/true` with nslaunch-runc, crun and runc as the
# OCI runtime, interleaved (bench/interleave.py): what a user of the engine
# sees. podman (conmon, storage, its own bookkeeping) is most of the time.
#
# podman runs with private state in a temporary directory (vfs storage, no
# network, cgroupfs, the file events backend, ulimits within this host's hard
# limits), on a busybox-static image imported from a local tarball; the
# whole run is in a private mount namespace with a tmpfs over /var/lib
# (podman 4.3 keeps a blob cache there whatever --root says) and, for crun on
# a hybrid cgroup host, an empty file over the cgroup2 controller list (as
# bench/run.sh does).
#
# Usage: bench/oci-podman.sh   Env: NSLAUNCH_RUNC, BENCH_RUNS (30), BENCH_WARMUP (3)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
NSLAUNCH_RUNC=${NSLAUNCH_RUNC:-$top/build/launcher/nslaunch-runc}
RUNS=${BENCH_RUNS:-30}
WARMUP=${BENCH_WARMUP:-3}
controllers=/sys/fs/cgroup/unified/cgroup.controllers

[ "$(id -u)" = 0 ] || { echo "oci-podman.sh: must run as root" >&2; exit 2; }
need=()
for p in podman conmon crun runc busybox-static util-linux; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -x "$NSLAUNCH_RUNC" ] || { echo "oci-podman.sh: no nslaunch-runc at $NSLAUNCH_RUNC" >&2; exit 2; }
NSLAUNCH_RUNC=$(realpath -s "$NSLAUNCH_RUNC")

if [ -z "${NSL_PODMAN_BENCH_INNER:-}" ]; then
        export NSL_PODMAN_BENCH_INNER=1
        exec unshare -m --propagation private "$0" "$@"
fi
mount -t tmpfs -o mode=755 nsl-bench /var/lib
if [ -e "$controllers" ]; then
        empty=$(mktemp /tmp/nslaunch-empty.XXXXXX)
        mount --bind "$empty" "$controllers"
        rm -f "$empty"
fi

work=$(mktemp -d /tmp/nslaunch-bench-podman.XXXXXX)
lock_was_there=$([ -e /dev/shm/libpod_lock ] && echo yes || echo no)   # podman's fixed-name lock file
parent=nslaunch-bench-podman-$$    # every container's cgroup (and conmon's) is under it; removed at the end
podman_cmd() { podman --root "$work/root" --runroot "$work/runroot" --tmpdir "$work/tmp" --storage-driver vfs \
                      --cgroup-manager cgroupfs --events-backend file "$@"; }
cleanup() {
        podman_cmd rm -af >/dev/null 2>&1 || true
        podman_cmd system reset -f >/dev/null 2>&1 || true
        find /sys/fs/cgroup -depth -type d -path "*/$parent*" -exec rmdir {} + 2>/dev/null || true
        if [ "$lock_was_there" = no ] && ! pgrep -x podman >/dev/null && ! pgrep -x conmon >/dev/null; then
                rm -f /dev/shm/libpod_lock
        fi
        rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work"/{root,runroot,tmp,rootfs/bin}
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
EOF
export CONTAINERS_CONF=$work/containers.conf
cp /bin/busybox "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/true"
tar --numeric-owner --owner=0 --group=0 -C "$work/rootfs" -cf "$work/rootfs.tar" .
podman_cmd import -q "$work/rootfs.tar" localhost/nsl-bench >/dev/null

echo "podman $(podman --version | awk '{print $3}'); $RUNS rounds after $WARMUP warm-up rounds; $(nproc) CPUs; $(uname -r)"
: >"$work/commands.tsv"
for rt in "nslaunch-runc=$NSLAUNCH_RUNC" "crun=$(command -v crun)" "runc=$(command -v runc)"; do
        name=${rt%%=*} path=${rt#*=}
        printf '%s\t%s\n' "$name" "$(command -v podman) --root $work/root --runroot $work/runroot --tmpdir $work/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime $path --runtime-flag root=$work/state-$name run --rm --network none --cgroup-parent /$parent localhost/nsl-bench /bin/true" >>"$work/commands.tsv"
done
/usr/bin/python3 "$here/interleave.py" "$work/commands.tsv" "$WARMUP" "$RUNS" "$work/out.json"
/usr/bin/python3 - "$work/out.json" <<'PY'
import json, statistics, sys
res = json.load(open(sys.argv[1]))["results"]
print("| podman run --rm /bin/true | median ms | q1-q3 ms | min-max ms |")
print("|---|---:|---:|---:|")
for r in res:
    t = sorted(r["times"])
    q = statistics.quantiles(t, n=4)
    print(f"| {r['command']} | {r['median'] * 1e3:.1f} | {q[0] * 1e3:.1f}-{q[2] * 1e3:.1f} | {t[0] * 1e3:.1f}-{t[-1] * 1e3:.1f} |")
PY
