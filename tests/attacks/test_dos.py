"""Denial of service stays inside: a fork bomb, a memory hog, a disk fill
of /tmp and fd exhaustion, each run with the limit meant for it, while a
second sandbox does ordinary work and the host keeps starting processes.
(No single advisory: the resource side of isolation, what cgroup limits
and rlimits are for.)

The attack must really press against its limit (the program reports the
refusal, or the OOM killer ends the sandbox); the second sandbox and the
host must get their work done in the meantime."""

import subprocess
import time

import pytest

from conftest import IS_ROOT, NSLAUNCH

if IS_ROOT:
    LIMITS = {"fork": ["--pids", "64"], "memory": ["--memory", "64m"]}
else:  # without a delegated cgroup: the rlimit fallback
    LIMITS = {"fork": ["--limits", "best-effort", "--rlimit", "nproc=64"],
              "memory": ["--limits", "best-effort", "--rlimit", "as=268435456"]}
LIMITS["disk"] = ["--tmpfs", "/tmp:size=8m"]
LIMITS["fds"] = ["--rlimit", "nofile=256"]

# the second sandbox's ordinary work: forks, memory, /tmp, files
WORK = ("import os, subprocess\n"
        "data = bytearray(16 << 20)\n"
        "open('/tmp/w', 'wb').write(bytes(1 << 20))\n"
        "fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(50)]\n"
        "for _ in range(5):\n"
        "    subprocess.run(['/bin/true'], check=True)\n"
        "print('ok')\n")


@pytest.mark.parametrize("kind", ["fork", "memory", "disk", "fds"])
def test_dos_stays_inside(nsl, progs, kind):
    args = ["/tmp"] if kind == "disk" else []
    attacker = subprocess.Popen(
        [NSLAUNCH, "run", "--timeout", "6", *LIMITS[kind], "--ro-bind", f"{progs['dir']}:/attack", "--",
         "/attack/hog", kind, *args, "4"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)             # let it press
        start = time.monotonic()
        second = nsl.py(WORK, timeout=30)
        second_took = time.monotonic() - start
        host_start = time.monotonic()
        for _ in range(10):
            subprocess.run(["/bin/true"], check=True, timeout=10)
        host_took = time.monotonic() - host_start
        out, err = attacker.communicate(timeout=30)
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()
    assert second.returncode == 0 and second.stdout == "ok\n", (second.returncode, second.stderr)
    assert second_took < 20 and host_took < 10, (second_took, host_took)
    if kind == "fork":
        assert "fork refused" in out, (attacker.returncode, out, err)
    elif kind == "memory":
        assert attacker.returncode == 137 or "malloc refused" in out, (attacker.returncode, out, err)
    elif kind == "disk":
        kib = int(out.split()[3])
        assert 7 * 1024 <= kib <= 8 * 1024, out      # filled its own 8 MiB, no more
    else:
        assert "fds refused after" in out and int(out.split()[3].rstrip(":")) <= 256, out
    assert attacker.returncode in (0, 124, 137), (attacker.returncode, err)


# a new pipe's buffer, as the sandbox sees it (F_GETPIPE_SZ)
PIPE_SIZE = "import fcntl, os\nr, w = os.pipe()\nprint(fcntl.fcntl(w, 1032))\n"


def pipe_size_beside_a_pipe_hog(nsl, progs, host_ids):
    """A new pipe's size in one sandbox while another holds 1 100 pipes;
    host_ids: the options both are started with."""
    hog = subprocess.Popen(
        [NSLAUNCH, "run", "--timeout", "20", "--rlimit", "nofile=4096", *host_ids,
         "--ro-bind", f"{progs['dir']}:/attack", "--", "/attack/hog", "pipes", "1100", "20"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = hog.stdout.readline()
        assert line == "holding 1100 pipes\n", (line, hog.stderr.read() if hog.poll() is not None else "")
        cp = nsl.py(PIPE_SIZE, *host_ids)
        assert cp.returncode == 0, cp.stderr
        return int(cp.stdout)
    finally:
        hog.kill()
        hog.wait()


@pytest.mark.skipif(not IS_ROOT, reason="rootless, every sandbox is its caller's uid: the kernel's per-user "
                                        "quotas are the caller's own")
def test_per_user_quota_of_one_sandbox_leaves_another_alone(nsl, progs):
    """Red-team finding 3: sandboxes that share one host uid share its
    kernel quotas; each sandbox root starts has a host uid of its own."""
    with open("/proc/sys/fs/pipe-user-pages-soft") as f:
        if int(f.read()) != 16384:
            pytest.skip("fs.pipe-user-pages-soft is not the kernel's default here")
    # precondition: one host uid for both, and the hog presses the other down
    assert pipe_size_beside_a_pipe_hog(nsl, progs, ["--host-uid", "65534", "--host-gid", "65534"]) < 65536
    assert pipe_size_beside_a_pipe_hog(nsl, progs, []) == 65536
