#!/bin/bash
# What a private network costs (bench/README.md, "A private network"):
#  1. launch time of /bin/true with --network none, --network private and
#     --allow-egress (one destination), interleaved (bench/interleave.py);
#  2. the throughput of BENCH_NET_MB MB from a server on the host's
#     loopback into a sandbox: --network host (straight to 127.0.0.1)
#     against --allow-egress host-loopback:PORT (at 10.0.2.2, through
#     nslaunch's forwarder: docs/cli.md), interleaved, BENCH_NET_ROUNDS
#     rounds.
# Only the host's loopback is used. Run as root or not (rootless needs
# /dev/net/tun readable and writable: mode 0666).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
nsl=${NSLAUNCH:-$here/../build/launcher/nslaunch}
runs=${BENCH_RUNS:-100}
warmup=${BENCH_WARMUP:-5}
mb=${BENCH_NET_MB:-200}
rounds=${BENCH_NET_ROUNDS:-5}
work=$(mktemp -d)
server=
cleanup() {
        [ -z "$server" ] || kill "$server" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

# a server that sends MB megabytes to every connection
cat > "$work/serve.py" <<'PY'
import socket, sys, threading
mb = int(sys.argv[1])
s = socket.create_server(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
chunk = b"x" * (1 << 20)
def send(c):
    with c:
        for _ in range(mb):
            c.sendall(chunk)
while True:
    c, _ = s.accept()
    threading.Thread(target=send, args=(c,), daemon=True).start()
PY
# the client: reads it all, prints MB/s
cat > "$work/read.py" <<'PY'
import socket, sys, time
t = time.monotonic()
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
print(f"{n / 1e6 / (time.monotonic() - t):.1f}")
PY
chmod -R a+rX "$work"
coproc SERVE { exec python3 "$work/serve.py" "$mb"; }
server=$SERVE_PID
read -r port <&"${SERVE[0]}"

echo "== launch time of /bin/true, $runs runs interleaved after $warmup"
cat > "$work/launch.tsv" <<TSV
--network none	$nsl run -- /bin/true
--network private	$nsl run --network private -- /bin/true
--allow-egress host-loopback:$port	$nsl run --allow-egress host-loopback:$port -- /bin/true
TSV
python3 "$here/interleave.py" "$work/launch.tsv" "$warmup" "$runs" "$work/launch.json"
python3 - "$work/launch.json" <<'PY'
import json, statistics, sys
rows = json.load(open(sys.argv[1]))["results"]
base = rows[0]["median"]
for r in rows:
    t = sorted(r["times"])
    p10, p90 = t[len(t) // 10], t[len(t) * 9 // 10]
    print(f"{r['command']:<36} median {r['median'] * 1e3:7.2f} ms  p10 {p10 * 1e3:7.2f}  p90 {p90 * 1e3:7.2f}"
          f"  x{r['median'] / base:.2f} of none")
PY

echo "== $mb MB from the host's loopback, $rounds rounds interleaved"
host=() private=()
for ((i = 0; i < rounds; i++)); do
        for which in $(shuf -e host private); do
                if [ "$which" = host ]; then
                        host+=("$("$nsl" run --network host --ro-bind "$work:$work" -- python3 "$work/read.py" 127.0.0.1 "$port")")
                else
                        private+=("$("$nsl" run --allow-egress "host-loopback:$port" --ro-bind "$work:$work" -- \
                                python3 "$work/read.py" 10.0.2.2 "$port")")
                fi
        done
done
python3 - "${host[*]}" "${private[*]}" <<'PY'
import statistics, sys
host, private = (list(map(float, a.split())) for a in sys.argv[1:3])
for name, v in (("--network host (127.0.0.1)", host), ("--allow-egress (forwarded)", private)):
    print(f"{name:<36} median {statistics.median(v):8.1f} MB/s  min {min(v):8.1f}  max {max(v):8.1f}")
print(f"private / host: {statistics.median(private) / statistics.median(host) * 100:.0f}% (medians)")
PY
