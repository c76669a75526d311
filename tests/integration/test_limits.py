"""Limits enforced for real where this machine has the controller (cgroup v1
memory, cpu and pids here; v2 where the host has it), rlimits, the status
JSON field by field, and no cgroup left behind, even after nslaunch is
SIGKILLed."""

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import IS_ROOT, NSLAUNCH, PY, assert_one_error_line

CG = "/sys/fs/cgroup"


def own_cgroup_dirs():
    """Where nslaunch makes its cgroups for us: our own cgroup in each v1
    hierarchy, nslaunch's parent in v2."""
    dirs = []
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(","):
                if c in ("memory", "cpu", "pids") and os.path.isdir(f"{CG}/{c}"):
                    dirs.append(f"{CG}/{c}{path}")
    for v2 in (CG, f"{CG}/unified"):
        if os.path.exists(f"{v2}/cgroup.controllers"):
            dirs.append(f"{v2}/nslaunch")
    parent = delegated_parent()
    if parent:
        dirs.append(parent)
    return dirs


def delegated_parent():
    """Rootless on pure cgroup v2: the parent of our own cgroup, where
    nslaunch makes the sandbox's, when it is ours and hands memory, cpu and
    pids down (systemd's user@UID.service delegation); else None."""
    if IS_ROOT or not os.path.exists(f"{CG}/cgroup.controllers"):
        return None
    with open("/proc/self/cgroup") as f:
        own = next((line.split(":", 2)[2].strip() for line in f if line.startswith("0::")), None)
    if not own or own == "/":
        return None
    parent = CG + os.path.dirname(own)
    try:
        handed = open(f"{parent}/cgroup.subtree_control").read().split()
    except OSError:
        return None
    if {"memory", "cpu", "pids"} <= set(handed) and os.access(f"{parent}/cgroup.procs", os.W_OK):
        return parent
    return None


def leftovers():
    found = []
    for d in own_cgroup_dirs():
        if os.path.isdir(d):
            found += [os.path.join(d, n) for n in os.listdir(d) if n.startswith("nslaunch-")]
    return found


def controller(name):
    return os.path.isdir(f"{CG}/{name}") or (
        os.path.exists(f"{CG}/cgroup.controllers") and name in open(f"{CG}/cgroup.controllers").read().split())


needs_root = pytest.mark.skipif(not IS_ROOT and not delegated_parent(),
                                reason="this machine delegates no cgroup to unprivileged users")
no_delegation = pytest.mark.skipif(IS_ROOT or bool(delegated_parent()),
                                   reason="rootless without a delegated cgroup")


@pytest.fixture(autouse=True)
def no_cgroup_left_behind():
    before = set(leftovers())
    yield
    after = set(leftovers()) - before
    assert not after, f"cgroups left behind: {sorted(after)}"


@pytest.fixture
def status(hostdir):
    d = hostdir(0o755)
    path = os.path.join(d, "status.json")

    def read():
        with open(path) as f:
            return json.load(f)
    read.path = path
    return read


FIELDS = {"exit_code", "signal", "timed_out", "oom_killed", "wall_ms", "setup_ms", "cpu_user_ms", "cpu_sys_ms",
          "peak_memory_bytes", "seccomp_suspected", "landlock_abi", "error"}


def test_status_json_normal_exit(nsl, status):
    cp = nsl.sh("exit 3", "--status-json", status.path)
    assert cp.returncode == 3
    st = status()
    assert set(st) == FIELDS
    assert st["exit_code"] == 3 and st["signal"] is None and st["error"] is None
    assert st["timed_out"] is False and st["oom_killed"] is False
    assert 0 < st["setup_ms"] < st["wall_ms"] < 10000
    assert st["cpu_user_ms"] >= 0 and st["cpu_sys_ms"] >= 0
    assert st["peak_memory_bytes"] is None          # no cgroup without limits


def test_status_json_signal(nsl, status):
    cp = nsl.sh("kill -9 $$", "--status-json", status.path)
    assert cp.returncode == 137
    st = status()
    assert st["exit_code"] == 137 and st["signal"] == 9 and st["error"] is None


def test_status_json_timeout(nsl, status):
    cp = nsl.run("--timeout", "0.3", "--status-json", status.path, cmd=["sleep", "30"])
    assert cp.returncode == 124
    st = status()
    assert st["exit_code"] == 124 and st["timed_out"] is True
    assert 250 < st["wall_ms"] < 5000


def test_status_json_setup_failure(nsl, status):
    cp = nsl.run("--rootfs", "/nonexistent-rootfs", "--status-json", status.path, cmd=["true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    st = status()
    assert st["exit_code"] == 125
    assert st["error"]["stage"] == "plan" and st["error"]["subject"] == "--rootfs"
    assert st["error"]["message"] == cp.stderr.strip()


def test_status_json_exec_failure(nsl, status):
    cp = nsl.run("--status-json", status.path, cmd=["/nonexistent"])
    assert cp.returncode == 127
    st = status()
    assert st["exit_code"] == 127 and st["error"]["stage"] == "exec"


def test_status_json_to_fd(nsl, tmp_path):
    r, w = os.pipe()
    try:
        cp = nsl.sh("exit 5", "--status-json", f"fd:{w}", pass_fds=(w,))
        os.close(w)
        w = -1
        assert cp.returncode == 5
        st = json.loads(os.read(r, 65536))
        assert st["exit_code"] == 5
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)


def test_rlimits_visible(nsl):
    cp = nsl.run("--rlimit", "nofile=100:200", "--rlimit", "cpu=30", cmd=["cat", "/proc/self/limits"])
    assert cp.returncode == 0, cp.stderr
    lines = {l[:26].strip(): l[26:].split()[:2] for l in cp.stdout.splitlines()[1:]}
    assert lines["Max open files"] == ["100", "200"]
    assert lines["Max cpu time"] == ["30", "30"]
    assert lines["Max core file size"] == ["0", "0"]          # the default
    default = nsl.run(cmd=["cat", "/proc/self/limits"])
    dl = {l[:26].strip(): l[26:].split()[:2] for l in default.stdout.splitlines()[1:]}
    assert int(dl["Max open files"][0]) <= 4096 and int(dl["Max processes"][0]) <= 4096


def test_rlimit_hard_cannot_be_raised(nsl):
    cp = nsl.run("--rlimit", "nofile=unlimited", cmd=["true"])
    assert cp.returncode == 125
    assert "nofile" in assert_one_error_line(cp)


BUSY = "import time\nt = time.monotonic()\nwhile time.monotonic() - t < %d: pass\nprint(time.process_time())\n"

MEMORY_HOG = "s = b'x' * (256 << 20)\nprint(len(s))\n"


@needs_root
@pytest.mark.skipif(not controller("memory"), reason="no memory controller")
def test_memory_hog_is_oom_killed(nsl, status):
    cp = nsl.py(MEMORY_HOG, "--memory", "48m", "--status-json", status.path, timeout=60)
    assert cp.returncode == 137, (cp.returncode, cp.stdout, cp.stderr)
    assert "OOM" in cp.stderr
    st = status()
    assert st["oom_killed"] is True and st["exit_code"] == 137 and st["signal"] == 9
    assert st["peak_memory_bytes"] is not None and st["peak_memory_bytes"] <= 48 << 20
    ok = nsl.py("print(len(b'x' * (8 << 20)))", "--memory", "48m", "--status-json", status.path)
    assert ok.returncode == 0 and status()["oom_killed"] is False
    assert status()["peak_memory_bytes"] > 8 << 20


FORK_BOMB = """
import os, time
made = failed = 0
for i in range(200):
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        continue
    if pid == 0:
        time.sleep(3)
        os._exit(0)
    made += 1
print(made, failed)
"""


@needs_root
@pytest.mark.skipif(not controller("pids"), reason="no pids controller")
def test_fork_bomb_stops_at_pids_max(nsl):
    t = time.monotonic()
    cp = nsl.py(FORK_BOMB, "--pids", "32", "--timeout", "20", timeout=40)
    assert cp.returncode == 0, cp.stderr
    made, failed = map(int, cp.stdout.split())
    # init, the network helper (gone by now) and python itself count too
    assert made <= 30 and failed >= 170, (made, failed)
    assert time.monotonic() - t < 20


@needs_root
def test_cgroup_files_are_written_after_the_limits_or_refused_on_v1(nsl):
    """--cgroup-file: a cgroup v2 file of the sandbox's cgroup, written after
    the limits (pids.max here over --pids, both ways). A file the cgroup
    lacks is named. On a host whose controllers are in v1 hierarchies, like
    this one, the file is refused at the cgroup stage, and --limits
    best-effort warns and runs without it."""
    script = "for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait"
    if not os.path.exists(f"{CG}/cgroup.controllers"):
        cp = nsl.run("--cgroup-file", "pids.max=4", cmd=["true"])
        assert cp.returncode == 125
        assert assert_one_error_line(cp) == ("nslaunch: cgroup: pids.max: a cgroup v2 file, and this host's "
                                             "controllers are in cgroup v1 hierarchies")
        cp = nsl.run("--cgroup-file", "pids.max=4", "--limits", "best-effort", cmd=["true"])
        assert cp.returncode == 0 and "warning" in cp.stderr, cp.stderr
        return
    capped = nsl.run("--pids", "100", "--cgroup-file", "pids.max=4", cmd=["sh", "-c", script])
    assert "fork" in capped.stderr.lower(), (capped.returncode, capped.stderr)
    free = nsl.run("--pids", "4", "--cgroup-file", "pids.max=100", cmd=["sh", "-c", script])
    assert free.returncode == 0 and "fork" not in free.stderr.lower(), (free.returncode, free.stderr)
    cp = nsl.run("--cgroup-file", "memory.nonesuch=1", cmd=["true"])
    assert cp.returncode == 125
    assert "memory.nonesuch: no such file in the cgroup" in assert_one_error_line(cp)


@needs_root
@pytest.mark.skipif(not controller("cpu"), reason="no cpu controller")
def test_cpus_quarter_of_a_cpu(nsl):
    # The kernel's own account first: while a busy loop runs with --cpus
    # 0.25, its cgroup holds that quota and is being throttled.
    before = set(leftovers())
    p = subprocess.Popen([NSLAUNCH, "run", "--cpus", "0.25", "--", PY, "-c", BUSY % 3],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not (set(leftovers()) - before) and time.monotonic() < deadline:
            time.sleep(0.02)
        made = sorted(set(leftovers()) - before)
        assert made, "no cgroup was made"
        quota_file = os.path.join(made[0], "cpu.max")
        if not os.path.exists(quota_file):
            quota_file = os.path.join(made[0], "cpu.cfs_quota_us")
        # the directory shows up before nslaunch has written the limit into it
        quota = open(quota_file).read().split()[0]
        while quota in ("max", "-1") and time.monotonic() < deadline:
            time.sleep(0.02)
            quota = open(quota_file).read().split()[0]
        time.sleep(1.5)
        stat = dict(line.split() for line in open(os.path.join(made[0], "cpu.stat")))
    finally:
        out, _ = p.communicate(timeout=30)
    assert p.returncode == 0
    assert quota == "25000"
    assert int(stat["nr_throttled"]) > 0, stat
    # Then as the command sees it: CPU time over wall time. Under software
    # emulation (the VM matrix sets NSL_EMULATED) CPU time and the monotonic
    # clock tick at different, load-dependent rates (one thread "used"
    # 2.36 s per second, then 1.32 in another run), so only the kernel's own
    # account above holds there.
    if os.environ.get("NSL_EMULATED"):
        return
    free = nsl.py(BUSY % 2, timeout=30)
    limited = nsl.py(BUSY % 2, "--cpus", "0.25", timeout=30)
    assert free.returncode == 0 and limited.returncode == 0, (free.stderr, limited.stderr)
    free_share, share = float(free.stdout) / 2, float(limited.stdout) / 2
    assert 0.1 < share / free_share < 0.6, (share, free_share)
    if 0.8 < free_share < 1.05:
        assert 0.15 < share < 0.35, share


@needs_root
@pytest.mark.skipif(not controller("cpu"), reason="no cpu controller")
@pytest.mark.skipif(bool(os.environ.get("NSL_EMULATED")), reason="200 processes take too long to start emulated")
def test_a_timeout_ends_a_sandbox_held_to_a_sliver_of_cpu_at_once():
    """A killed process needs CPU time to end: 200 of them at 1 ms of CPU a
    second took seconds (and then the cgroup was left, busy, when its
    removal gave up). The SIGKILL after the timeout lifts the quota, of
    processes that can only end now."""
    before = set(leftovers())
    script = "for i in $(seq 200); do sleep 1000 & done; echo started; exec sleep 1000"
    p = subprocess.Popen([NSLAUNCH, "run", "--cpus", "1", "--pids", "1000", "--timeout", "4", "--kill-after", "0",
                          "--", "/bin/sh", "-c", script],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "started\n", p.stderr.read()
        started = time.monotonic()
        made = [d for d in sorted(set(leftovers()) - before)
                if os.path.exists(f"{d}/cpu.max") or os.path.exists(f"{d}/cpu.cfs_quota_us")]
        assert len(made) == 1, made
        if os.path.exists(f"{made[0]}/cpu.max"):
            with open(f"{made[0]}/cpu.max", "w") as f:
                f.write("1000 1000000")
        else:
            with open(f"{made[0]}/cpu.cfs_period_us", "w") as f:
                f.write("1000000")
            with open(f"{made[0]}/cpu.cfs_quota_us", "w") as f:
                f.write("1000")
    finally:
        p.communicate(timeout=120)
    ended_after = time.monotonic() - started
    assert p.returncode == 124
    assert ended_after < 4 + 2, ended_after


@needs_root
@pytest.mark.skipif(not controller("memory"), reason="no memory controller")
def test_cgroup_of_a_killed_nslaunch_is_removed_by_the_next_run(nsl):
    before = set(leftovers())
    p = subprocess.Popen([NSLAUNCH, "run", "--memory", "64m", "--", "sleep", "30"], stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while not (set(leftovers()) - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    stale = set(leftovers()) - before
    assert stale, "no cgroup was created"
    p.send_signal(signal.SIGKILL)
    p.wait()
    # the sandbox dies with nslaunch; its empty cgroup stays until the next run
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if all(not open(os.path.join(d, "cgroup.procs")).read().strip() for d in stale if os.path.isdir(d)):
            break
        time.sleep(0.05)
    cp = nsl.run("--memory", "64m", cmd=["true"])
    assert cp.returncode == 0, cp.stderr
    assert not (set(leftovers()) & stale), "the stale cgroup was not removed"


@no_delegation
def test_rootless_limits_without_delegation_fail_clearly(nsl):
    cp = nsl.run("--memory", "64m", cmd=["true"])
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert "delegat" in line and "--limits best-effort" in line


@no_delegation
def test_rootless_best_effort_falls_back_to_rlimits(nsl):
    cp = nsl.run("--memory", "64m", "--pids", "50", "--limits", "best-effort", cmd=["cat", "/proc/self/limits"])
    assert cp.returncode == 0, cp.stderr
    assert "warning" in cp.stderr and "RLIMIT_AS" in cp.stderr
    lines = {l[:26].strip(): l[26:].split()[:2] for l in cp.stdout.splitlines()[1:]}
    assert lines["Max address space"] == [str(64 << 20)] * 2
    assert lines["Max processes"] == ["50", "50"]


@needs_root
@pytest.mark.skipif(not controller("memory"), reason="no memory controller")
def test_concurrent_sandboxes_with_limits(nsl):
    # an empty cgroup of a live nslaunch (made, its sandbox not moved in yet)
    # is not stale: another launch must not remove it from under it
    procs = [subprocess.Popen([NSLAUNCH, "run", "--memory", "64m", "--pids", "64", "--", "sleep", "0.2"],
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    results = [(p.wait(timeout=30), p.stderr.read()) for p in procs]
    for p in procs:
        p.stderr.close()
    assert all(code == 0 for code, _ in results), results
