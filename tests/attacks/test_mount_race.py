"""Mount-target race (runc CVE-2021-30465, GHSA-c3xm-pvg7-gh7r): while the
runtime resolved a mount target inside the rootfs, the container swapped a
path component for a symlink to /, and the mount landed on the host.

Here a helper exchanges a mount-target directory of the rootfs with a
symlink to / (renameat2 RENAME_EXCHANGE) in a tight loop while nslaunch
starts 1000 sandboxes, each with a tmpfs and a bind below that target.
nslaunch resolves targets with RESOLVE_IN_ROOT: the symlink may at most
lead back into the rootfs's own root, never to the host's."""

import os
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from conftest import mount_points

LAUNCHES = int(os.environ.get("NSL_RACE_LAUNCHES", "1000"))


def test_mount_target_exchange_race(nsl, progs, rootfs, hostdir):
    r, opts = rootfs(extra_dirs=("data/t",))
    os.symlink("/", os.path.join(r, "data", "l"))
    src = hostdir(0o755, prefix="nsl-race-src-")
    with open(os.path.join(src, "from-src"), "w") as f:
        f.write("src\n")
    name = "nsl-race-" + uuid.uuid4().hex[:8]
    # Were the symlink followed on the host, these would appear in the host's /.
    escaped = ["/" + name + "-tmp", "/" + name + "-bind"]
    # The mountpoints exist both in the raced directory and in the rootfs's
    # root, so that a launch succeeds whichever way the race goes.
    for k in ("tmp", "bind"):
        os.mkdir(os.path.join(r, "data", "t", f"{name}-{k}"))
        os.mkdir(os.path.join(r, f"{name}-{k}"))
    mounts = ["--tmpfs", f"/data/t/{name}-tmp", "--bind", f"{src}:/data/t/{name}-bind"]
    host_before = mount_points()
    with open("/proc/self/mountinfo") as f:
        host_info_before = sorted(f.read().splitlines())

    def mountinfo_points(cp):
        return sorted(line.split()[4] for line in cp.stdout.splitlines())

    # the mount table of an undisturbed launch: apart from our two mounts,
    # every raced launch must show exactly this (nothing over /, nothing extra)
    calm = nsl.run(*opts, *mounts, cmd=["/bin/cat", "/proc/self/mountinfo"], timeout=60)
    assert calm.returncode == 0, calm.stderr
    baseline = [p for p in mountinfo_points(calm) if name not in p]

    helper = subprocess.Popen([progs["exchange"], os.path.join(r, "data", "t"), os.path.join(r, "data", "l")],
                              stdout=subprocess.PIPE, text=True)
    assert helper.stdout.readline() == "ready\n"

    # The payload prints its mount points; every one of ours must be at the
    # raced directory (under either name) or, when the symlink won, in the
    # rootfs's own root -- the same as a rootfs shipping data/t -> / would give.
    allowed = {f"/data/{d}/{name}-{k}" for d in ("t", "l") for k in ("tmp", "bind")}
    allowed |= {f"/{name}-tmp", f"/{name}-bind"}

    def launch(_):
        cp = nsl.run(*opts, *mounts, cmd=["/bin/cat", "/proc/self/mountinfo"], timeout=60)
        if cp.returncode != 0:
            return ("refused", cp.returncode, cp.stderr.strip())
        points = mountinfo_points(cp)
        ours = {p for p in points if name in p}
        others = [p for p in points if name not in p]
        wrong = sorted(ours - allowed) + (["others: " + " ".join(others)] if others != baseline else [])
        return ("ran", wrong, len(ours), any(p.startswith("/" + name) for p in ours))

    start = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(launch, range(LAUNCHES)))
    finally:
        helper.terminate()
        out, _ = helper.communicate(timeout=10)
    took = time.monotonic() - start

    for p in escaped:
        if os.path.lexists(p):
            os.rmdir(p)
            raise AssertionError(f"nslaunch created {p} on the host through the symlink")
    exchanges = int(out.split()[1])
    ran = [x for x in results if x[0] == "ran"]
    refused = [x for x in results if x[0] == "refused"]
    wrong = [x for x in ran if x[1]]
    # the race really ran: many exchanges during the launches
    assert exchanges > LAUNCHES, (exchanges, took)
    assert not wrong, wrong[:5]
    # every refusal is nslaunch's own one-line error (125), never a crash
    assert all(x[1] == 125 and x[2].startswith("nslaunch: ") and "\n" not in x[2] for x in refused), refused[:5]
    assert ran, f"no launch got through (the race was not exercised against a working launch): {refused[:3]}"
    assert all(x[2] == 2 for x in ran), [x for x in ran if x[2] != 2][:5]  # both mounts present
    assert mount_points() == host_before
    with open("/proc/self/mountinfo") as f:
        assert sorted(f.read().splitlines()) == host_info_before, "the host's mountinfo changed"
    via_link = sum(1 for x in ran if x[3])
    print(f"{LAUNCHES} launches in {took:.1f}s, {exchanges} exchanges, {len(refused)} refused, "
          f"{via_link} resolved through the symlink (into the rootfs's root)")
