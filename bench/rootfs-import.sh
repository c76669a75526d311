#!/bin/sh
# nslaunch rootfs import against umoci unpack, on the same ~100 MB
# three-layer OCI image (gzip layers), in one run.
#
# usage: bench/rootfs-import.sh [ROUNDS]      (default 3; root or not)
#        BENCH_SCALE=3 bench/rootfs-import.sh 1   (a ~300 MB image: memory must not grow)
#
# The image is made with umoci from real files: the first ~100 MB of
# /usr/lib/x86_64-linux-gnu and /usr/share, in sorted order (so the same host
# gives the same image), split over three layers; the third also deletes a
# directory of the first (a whiteout). Each round runs both tools in an
# order that alternates between rounds, each into a fresh directory, under
# /usr/bin/time -f "%e %M" (seconds, peak RSS in KiB). NSLAUNCH selects the
# binary (default build/launcher/nslaunch; nslaunch-rootfs must be beside it).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
nsl=${NSLAUNCH:-$here/../build/launcher/nslaunch}
rounds=${1:-3}
scale=${BENCH_SCALE:-1}
work=$(mktemp -d /var/tmp/nsl-bench-rootfs.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
trap 'exit 130' INT TERM

rootless=
[ "$(id -u)" = 0 ] || rootless=--rootless

# Copies sorted regular files from SRC into DEST until BYTES are copied,
# skipping the first SKIP bytes' worth.
fill() {
        src=$1 dest=$2 skip=$3 bytes=$4
        mkdir -p "$dest"
        find "$src" -type f -size -8M -printf '%s %P\n' 2>/dev/null | LC_ALL=C sort -k2 |
        awk -v skip="$skip" -v bytes="$bytes" '{ t += $1; if (t > skip && t <= skip + bytes) { sub(/^[0-9]+ /, ""); print } }' |
        tar -C "$src" --no-recursion -cf - -T - | tar -C "$dest" -xf -
}

img=$work/layout
umoci init --layout "$img"
umoci new --image "$img:bench"
umoci unpack $rootless --image "$img:bench" "$work/b" >/dev/null
r=$work/b/rootfs
fill /usr/lib/x86_64-linux-gnu "$r/usr/lib/x86_64-linux-gnu" 0 $((35000000 * scale))
umoci repack --refresh-bundle --image "$img:bench" "$work/b"
fill /usr/lib/x86_64-linux-gnu "$r/usr/lib/x86_64-linux-gnu" $((35000000 * scale)) $((35000000 * scale))
umoci repack --refresh-bundle --image "$img:bench" "$work/b"
fill /usr/share "$r/usr/share" 0 $((30000000 * scale))
victim=$(cd "$r/usr/lib/x86_64-linux-gnu" && find . -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort | head -1)
[ -n "$victim" ] && rm -rf "$r/usr/lib/x86_64-linux-gnu/$victim"
umoci repack --refresh-bundle --image "$img:bench" "$work/b"
rm -rf "$work/b"

size=$(du -sb "$img" | cut -f1)
umoci unpack $rootless --image "$img:bench" "$work/probe" >/dev/null
unpacked=$(du -sb "$work/probe/rootfs" | cut -f1)
files=$(find "$work/probe/rootfs" | wc -l)
rm -rf "$work/probe"
layers=$(python3 -c 'import json,sys; d=sys.argv[1]; m=json.load(open(d+"/index.json"))["manifests"][0]["digest"][7:]; print(len(json.load(open(d+"/blobs/sha256/"+m))["layers"]))' "$img")
echo "image: $layers layers, $size bytes stored (gzip), $unpacked bytes / $files entries unpacked"

run_nslaunch() { /usr/bin/time -f "%e %M" -o "$work/t" "$nsl" rootfs import "$img" "$work/out-nsl-$1" >/dev/null; }
run_umoci() { /usr/bin/time -f "%e %M" -o "$work/t" umoci unpack $rootless --image "$img:bench" "$work/out-umoci-$1" >/dev/null; }

printf '%-6s %-10s %10s %14s\n' round tool seconds peak_rss_kib
for i in $(seq 1 "$rounds"); do
        if [ $((i % 2)) = 1 ]; then order="nslaunch umoci"; else order="umoci nslaunch"; fi
        for tool in $order; do
                sync
                "run_$tool" "$i"
                read -r secs rss < "$work/t"
                printf '%-6s %-10s %10s %14s\n' "$i" "$tool" "$secs" "$rss"
                rm -rf "$work/out-nsl-$i" "$work/out-umoci-$i"
        done
done
