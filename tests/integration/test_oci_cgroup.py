"""The OCI runtime's cgroup side, through the public API (tests/embed/
oci_cgroup_tool.c, one step per run as runc's commands are): a sandbox in a
cgroup at an exact path, detached, its limits in every hierarchy, frozen and
thawed, its processes listed, its limits raised, and removed with whatever
still runs in it, leaving no directory in any hierarchy. Real cgroups: v1
here (memory, cpu, pids, cpuset, freezer, devices), v2 in a v2 guest. Only cgroups
these tests made are touched."""

import atexit
import ctypes
import math
import os
import shutil
import struct
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import IS_ROOT, assert_one_error_line, built_tool, reap_zombies

CG = "/sys/fs/cgroup"


def tool_path():
    return built_tool("oci-cgroup-tool", "NSL_OCI_CGROUP_TOOL")


def is_cgroup2(path):
    return os.path.exists(os.path.join(path, "cgroup.controllers"))


UNIFIED = is_cgroup2(CG)
# and systemd's named hierarchy (name=systemd), which limits nothing
V1 = [c for c in ("memory", "cpu", "pids", "cpuset", "freezer", "devices", "blkio", "systemd")
      if not UNIFIED and os.path.isdir(f"{CG}/{c}")]
# a hybrid host: v1's controllers, and a cgroup2 beside them with none
HYBRID = V1 and is_cgroup2(f"{CG}/unified")


def hierarchies():
    """Every place a cgroup path can be made in: each v1 hierarchy nslaunch
    uses and the cgroup2 mount (all of /sys/fs/cgroup, or unified/)."""
    places = [f"{CG}/{c}" for c in V1]
    places += [p for p in (CG, f"{CG}/unified") if is_cgroup2(p)]
    return places


def dirs_of(path):
    return [h + path for h in hierarchies() if os.path.isdir(h + path)]


_copies = {}


def tool_for(user):
    """The tool itself for root; for another user a copy in a directory
    every uid can reach (the build tree may be under /root)."""
    if user is None:
        return tool_path()
    if user not in _copies:
        d = tempfile.mkdtemp(prefix="nsl-cgtool-", dir="/tmp")
        atexit.register(shutil.rmtree, d, True)
        os.chmod(d, 0o755)
        _copies[user] = shutil.copy(tool_path(), os.path.join(d, "oci-cgroup-tool"))
        os.chmod(_copies[user], 0o755)
    return _copies[user]


def tool(*args, check=True, user=None):
    cp = subprocess.run([tool_for(user), *args], capture_output=True, text=True, timeout=30,
                        user=user, group=user, extra_groups=[] if user else None)
    if check:
        assert cp.returncode == 0, (args, cp.stdout, cp.stderr)
    return cp


def read(path):
    with open(path) as f:
        return f.read().strip()


def limit_file(path, v1_controller, v1_file, v2_file):
    if V1:
        return f"{CG}/{v1_controller}{path}/{v1_file}"
    return f"{CG}{path}/{v2_file}"


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            fields = read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def frozen_state(path):
    if V1:
        return read(f"{CG}/freezer{path}/freezer.state")
    events = dict(line.split() for line in read(f"{CG}{path}/cgroup.events").splitlines())
    return "FROZEN" if events["frozen"] == "1" else "THAWED"


def wait_exit(pid, timeout=10):
    """init is this process's child once the tool has exited (a subreaper)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    pytest.fail(f"init {pid} did not end")


@pytest.fixture
def cgpath():
    """A cgroup path no one uses, and its removal (ours only) afterwards."""
    relative_parent_before = {h: os.path.isdir(f"{h}/nslaunch") for h in hierarchies()}
    made = []

    def make(relative=False):
        name = f"nsl-oci-test-{uuid.uuid4().hex[:12]}"
        path = name if relative else f"/{name}"
        made.append(f"/nslaunch/{name}" if relative else path)
        assert not dirs_of(made[-1])
        return path

    yield make
    for path in made:
        if dirs_of(path):
            subprocess.run([tool_path(), "remove", path], capture_output=True, timeout=30)
        for d in dirs_of(path):
            os.rmdir(d)
    for h, existed in relative_parent_before.items():
        if not existed and os.path.isdir(f"{h}/nslaunch"):
            try:
                os.rmdir(f"{h}/nslaunch")
            except OSError:
                pass
    reap_zombies()


@pytest.fixture
def fifo(tmp_path):
    path = str(tmp_path / "start")
    os.mkfifo(path)
    return path


def cpuset_usable():
    """v1: the cpuset hierarchy is mounted; v2: the root hands cpuset down
    (nslaunch does not rearrange a parent it did not make)."""
    if V1:
        return "cpuset" in V1
    return "cpuset" in read(f"{CG}/cgroup.subtree_control").split()


@pytest.mark.skipif(not IS_ROOT, reason="root makes cgroups at any path; rootless is refused (tests below)")
def test_detached_sandbox_at_exact_path_is_limited_frozen_listed_updated_and_removed(cgpath, fifo):
    path = cgpath()
    cpuset = ["--cpuset", "0", "0"] if cpuset_usable() else []
    cp = tool("create", path, fifo, "--memory", "64m", "--memory-reservation", str(32 << 20), "--pids", "32",
              "--cpus", "0.2", "--cpu-shares", "512", *cpuset, "--", "/bin/sh", "-c", "sleep 300 & while :; do :; done")
    init = int(cp.stdout)

    # made in every hierarchy nslaunch uses, with the limits
    expected = [f"{CG}/{c}{path}" for c in V1] + ([f"{CG}/unified{path}"] if HYBRID else []) if V1 else [CG + path]
    assert sorted(dirs_of(path)) == sorted(expected)
    assert read(limit_file(path, "memory", "memory.limit_in_bytes", "memory.max")) == str(64 << 20)
    assert read(limit_file(path, "memory", "memory.soft_limit_in_bytes", "memory.low")) == str(32 << 20)
    assert read(limit_file(path, "pids", "pids.max", "pids.max")) == "32"
    if V1:
        assert read(f"{CG}/cpu{path}/cpu.cfs_quota_us") == "20000"
        assert read(f"{CG}/cpu{path}/cpu.shares") == "512"
    else:
        assert read(f"{CG}{path}/cpu.max") == "20000 100000"
        weight = math.ceil(10 ** ((9 * 9 + 125 * 9) / 612 - 7 / 34))   # log2(512) = 9
        assert read(f"{CG}{path}/cpu.weight") == str(weight) == "59"
    if cpuset:
        assert read(limit_file(path, "cpuset", "cpuset.cpus", "cpuset.cpus")) == "0"

    # detached: init waits for start in the cgroup, alone
    assert tool("pids", path).stdout.split() == [str(init)]
    tool("start", fifo)
    deadline = time.monotonic() + 5
    while len(pids := [int(p) for p in tool("pids", path).stdout.split()]) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert init in pids and len(pids) == 3, pids     # init, the shell's loop, sleep
    for pid in pids:
        assert any(line.endswith(":" + path) for line in read(f"/proc/{pid}/cgroup").splitlines()), pid

    # frozen: no process runs; thawed: the loop runs again
    tool("freeze", path)
    assert frozen_state(path) == "FROZEN"
    before = cpu_ticks(pids)
    time.sleep(1)
    assert cpu_ticks(pids) == before
    tool("thaw", path)
    assert frozen_state(path) == "THAWED"
    time.sleep(1)
    assert cpu_ticks(pids) > before

    # raised live
    tool("update", path, "--memory", "128m", "--pids", "64", "--cpus", "0.1", "--memory-reservation", str(48 << 20))
    assert read(limit_file(path, "memory", "memory.limit_in_bytes", "memory.max")) == str(128 << 20)
    assert read(limit_file(path, "memory", "memory.soft_limit_in_bytes", "memory.low")) == str(48 << 20)
    assert read(limit_file(path, "pids", "pids.max", "pids.max")) == "64"
    assert read(limit_file(path, "cpu", "cpu.cfs_quota_us", "cpu.max")).split()[0] == "10000"

    # removed: everything in it killed, no directory in any hierarchy
    tool("remove", path)
    assert dirs_of(path) == []
    status = wait_exit(init)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9, status
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[0] == "Z"
    # removing what is gone already is done
    tool("remove", path)


@pytest.mark.skipif(not IS_ROOT, reason="root makes cgroups at any path")
def test_removing_a_sandbox_held_to_a_sliver_of_cpu_lifts_its_quota(cgpath, fifo):
    """Killed processes need CPU time to end: at 1 ms of CPU a second, the
    200 here took longer than remove waits for them, and remove failed with
    the cgroup left. Once they are killed, the cgroup's quota is lifted."""
    path = cgpath()
    init = int(tool("create", path, fifo, "--", "/bin/sh", "-c",
                    "for i in $(seq 200); do sleep 1000 & done; exec sleep 1000").stdout)
    tool("start", fifo)
    deadline = time.monotonic() + 60
    while len(tool("pids", path).stdout.split()) < 201:
        assert time.monotonic() < deadline, "the 200 processes did not start"
        time.sleep(0.05)
    tool("update", path, "--cpu-quota", "1000", "1000000")
    tool("remove", path)
    assert dirs_of(path) == []
    wait_exit(init)


@pytest.mark.skipif(not IS_ROOT or not V1, reason="v1 refuses a memory limit below what is used (v2 reclaims, "
                    "then its OOM killer acts, as the kernel defines memory.max)")
def test_a_limit_that_cannot_be_applied_live_is_refused_naming_the_cgroup(cgpath, fifo):
    path = cgpath()
    init = int(tool("create", path, fifo, "--memory", "64m", "--", "/usr/bin/python3", "-c",
                    "import time; x = bytearray(40 << 20); x[::4096] = b'x' * len(x[::4096]); time.sleep(300)").stdout)
    tool("start", fifo)
    usage = f"{CG}/memory{path}/memory.usage_in_bytes"
    deadline = time.monotonic() + 10
    while int(read(usage)) < 40 << 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert int(read(usage)) >= 40 << 20
    cp = tool("update", path, "--memory", "8m", check=False)
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert f"{CG}/memory{path}/memory.limit_in_bytes" in line and "busy" in line, line
    assert read(f"{CG}/memory{path}/memory.limit_in_bytes") == str(64 << 20)
    tool("remove", path)
    assert dirs_of(path) == []
    wait_exit(init)


@pytest.mark.skipif(not IS_ROOT, reason="root makes cgroups at any path")
def test_relative_path_is_under_nslaunch_and_a_busy_cgroup_is_refused(cgpath, fifo, tmp_path):
    rel = cgpath(relative=True)
    init = int(tool("create", rel, fifo, "--memory", "32m", "--", "/bin/true").stdout)
    assert f"{hierarchies()[0]}/nslaunch/{rel}" in dirs_of(f"/nslaunch/{rel}")

    other = str(tmp_path / "other")
    os.mkfifo(other)
    cp = tool("create", rel, other, "--", "/bin/true", check=False)
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert f"/nslaunch/{rel}" in line and "already holds processes" in line, line
    assert tool("pids", rel).stdout.split() == [str(init)]

    tool("remove", rel)
    assert dirs_of(f"/nslaunch/{rel}") == []
    wait_exit(init)


def run_in(path, fifo):
    """A sandbox in cgroup path running /bin/true to its end, removed."""
    init = int(tool("create", path, fifo, "--pids", "8", "--", "/bin/true").stdout)
    tool("start", fifo)
    status = wait_exit(init)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    tool("remove", path)


@pytest.mark.skipif(not IS_ROOT or "cpuset" not in V1, reason="v1's cpuset hierarchy; root makes cgroups at any path")
def test_a_cpuset_parent_nslaunch_makes_fills_its_children_and_one_it_finds_is_only_filled(cgpath, fifo, tmp_path):
    """v1: a new cpuset cgroup has no CPUs and no memory nodes, and no task
    may join it so. A parent nslaunch makes takes its own parent's and fills
    its children itself from then on (cgroup.clone_children, which the
    kernel passes on to them). A parent someone else made keeps its flag
    and is filled only where it was empty."""
    root_cpus, root_mems = read(f"{CG}/cpuset/cpuset.cpus"), read(f"{CG}/cpuset/cpuset.mems")
    made = cgpath()
    init = int(tool("create", made + "/sandbox", fifo, "--pids", "8", "--", "/bin/true").stdout)
    assert read(f"{CG}/cpuset{made}/cgroup.clone_children") == "1"
    for cgroup in (made, made + "/sandbox"):
        assert (read(f"{CG}/cpuset{cgroup}/cpuset.cpus"), read(f"{CG}/cpuset{cgroup}/cpuset.mems")) == \
            (root_cpus, root_mems), cgroup
    tool("start", fifo)
    status = wait_exit(init)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    tool("remove", made + "/sandbox")

    found = cgpath()
    os.mkdir(f"{CG}/cpuset{found}")
    with open(f"{CG}/cpuset{found}/cpuset.mems", "w") as f:
        f.write(root_mems)
    other = str(tmp_path / "other")
    os.mkfifo(other)
    run_in(found + "/sandbox", other)
    assert read(f"{CG}/cpuset{found}/cgroup.clone_children") == "0"
    assert (read(f"{CG}/cpuset{found}/cpuset.cpus"), read(f"{CG}/cpuset{found}/cpuset.mems")) == \
        (root_cpus, root_mems)


IN_NONBLOCK, IN_MODIFY = 0o4000, 0x2


def freezer_writes(path, remove):
    """How many times remove() writes the cgroup's freezer file, as inotify
    sees it (v1 freezer.state, v2 cgroup.freeze)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(IN_NONBLOCK)
    assert fd >= 0, os.strerror(ctypes.get_errno())
    try:
        freezer = f"{CG}/freezer{path}/freezer.state" if V1 else f"{CG}{path}/cgroup.freeze"
        assert libc.inotify_add_watch(fd, freezer.encode(), IN_MODIFY) >= 0, os.strerror(ctypes.get_errno())
        remove()
        try:
            events = os.read(fd, 65536)
        except BlockingIOError:
            return 0
        writes, at = 0, 0
        while at < len(events):     # struct inotify_event: wd, mask, cookie, len, name
            _, mask, _, name_len = struct.unpack_from("iIII", events, at)
            writes += bool(mask & IN_MODIFY)
            at += 16 + name_len
        return writes
    finally:
        os.close(fd)


@pytest.mark.skipif(not IS_ROOT or (V1 and "freezer" not in V1), reason="root makes cgroups at any path; a freezer")
def test_removing_an_ended_sandbox_freezes_nothing_and_a_running_one_is_frozen(cgpath, fifo, tmp_path):
    """A cgroup that holds no process any more (the container has ended: an
    engine's usual delete) is removed as it is; one that still runs is
    frozen while its processes are killed, then thawed."""
    ended = cgpath()
    init = int(tool("create", ended, fifo, "--", "/bin/true").stdout)
    tool("start", fifo)
    wait_exit(init)
    assert freezer_writes(ended, lambda: tool("remove", ended)) == 0
    assert dirs_of(ended) == []

    running = cgpath()
    other = str(tmp_path / "other")
    os.mkfifo(other)
    init = int(tool("create", running, other, "--", "/bin/sleep", "300").stdout)
    tool("start", other)
    assert freezer_writes(running, lambda: tool("remove", running)) >= 1     # inotify merges the thaw into it
    assert dirs_of(running) == []
    status = wait_exit(init)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9, status


@pytest.mark.skipif(not IS_ROOT, reason="root has cgroups for limits here")
def test_a_cgroup_without_an_exact_path_cannot_be_detached_and_is_removed(fifo):
    def ours():
        found = set()
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrls, own = line.rstrip("\n").split(":", 2)
                for c in ctrls.split(","):
                    d = f"{CG}/{c}{own.rstrip('/')}"
                    if c in V1 and os.path.isdir(d):
                        found |= {f"{d}/{n}" for n in os.listdir(d) if n.startswith("nslaunch-")}
        for v2 in (f"{CG}/nslaunch", f"{CG}/unified/nslaunch"):
            if os.path.isdir(v2):
                found |= {f"{v2}/{n}" for n in os.listdir(v2) if n.startswith("nslaunch-")}
        return found

    before = ours()
    cp = tool("create", "-", fifo, "--memory", "64m", "--", "/bin/true", check=False)
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert "detach" in line and "give it an exact cgroup path" in line, line
    assert ours() <= before


def test_systemd_form_and_dotdot_are_refused_naming_the_path(fifo):
    cp = tool("create", "system.slice:nslaunch:abc", fifo, "--", "/bin/true", check=False)
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert "cgroupsPath" in line and "system.slice:nslaunch:abc" in line and "systemd" in line, line
    cp = tool("freeze", "/a/../b", check=False)
    assert cp.returncode == 125 and "'..'" in assert_one_error_line(cp)


def test_a_missing_cgroup_is_named(cgpath):
    path = cgpath()
    for args in (("freeze", path), ("pids", path), ("update", path, "--memory", "64m")):
        cp = tool(*args, check=False)
        assert cp.returncode == 125, args
        line = assert_one_error_line(cp)
        assert path in line and "no such cgroup" in line, line


@pytest.mark.skipif(IS_ROOT, reason="rootless: no delegated cgroup at the hierarchies' root")
def test_rootless_create_is_refused_with_a_clear_line(cgpath, fifo):
    path = cgpath()
    cp = tool("create", path, fifo, "--memory", "64m", "--", "/bin/true", check=False)
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert path in line and "no cgroup this user may write" in line, line
    assert dirs_of(path) == []


def nsltest_exists():
    try:
        import pwd
        pwd.getpwnam("nsltest")
        return True
    except KeyError:
        return False


@pytest.mark.skipif(not IS_ROOT or not nsltest_exists(), reason="root makes the cgroup, nsltest is refused")
def test_a_user_without_delegation_is_refused_before_anything_changes(cgpath, fifo):
    path = cgpath()
    init = int(tool("create", path, fifo, "--memory", "64m", "--pids", "16", "--", "/bin/true").stdout)
    os.chmod(os.path.dirname(fifo), 0o755)
    for args in (("freeze", path), ("update", path, "--memory", "128m"), ("remove", path)):
        cp = tool(*args, check=False, user="nsltest")
        assert cp.returncode == 125, (args, cp.stderr)
        line = assert_one_error_line(cp)
        assert path in line and "not this user's to change" in line, line
    assert read(limit_file(path, "memory", "memory.limit_in_bytes", "memory.max")) == str(64 << 20)
    if V1:
        assert read(f"{CG}/freezer{path}/freezer.state") == "THAWED"
    assert tool("pids", path).stdout.split() == [str(init)]
    tool("remove", path)
    assert dirs_of(path) == []
    wait_exit(init)


DEVICE_CHECKS = "(: < /dev/zero) && ! (: <> /dev/zero) && (: <> /dev/null) && ! (: < /dev/full)"


@pytest.mark.skipif(not IS_ROOT or not ("devices" in V1 or UNIFIED),
                    reason="root writes the v1 devices hierarchy's rules or loads v2's device program")
def test_device_rules_are_in_force_before_init_joins(cgpath, fifo):
    """v1: the rules in devices.list, in order; v2: a program attached to
    the cgroup. Either way the command opens a node as the rules say."""
    path = cgpath()
    init = int(tool("create", path, fifo, "--device-rule", "deny,a,-1,-1,rwm", "--device-rule", "allow,c,1,3,rwm",
                    "--device-rule", "allow,c,1,5,r", "--", "/bin/sh", "-c", DEVICE_CHECKS).stdout)
    if V1:
        assert read(f"{CG}/devices{path}/devices.list").splitlines() == ["c 1:3 rwm", "c 1:5 r"]
    tool("start", fifo)
    status = wait_exit(init)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    tool("remove", path)
    assert dirs_of(path) == []


@pytest.mark.skipif(not IS_ROOT or not nsltest_exists() or "devices" not in V1,
                    reason="root delegates a cgroup to nsltest in every v1 hierarchy")
def test_a_delegated_user_gets_no_devices_cgroup(cgpath):
    """Writing device rules takes CAP_SYS_ADMIN of the host, whatever was
    delegated: a rootless sandbox is made in the other hierarchies only."""
    import pwd
    user = pwd.getpwnam("nsltest")
    parent = cgpath()
    for h in hierarchies():
        os.mkdir(h + parent)
        os.chown(h + parent, user.pw_uid, user.pw_gid)
        for name in ("cgroup.procs", "tasks", "cpuset.cpus", "cpuset.mems"):
            if os.path.exists(f"{h}{parent}/{name}"):
                os.chown(f"{h}{parent}/{name}", user.pw_uid, user.pw_gid)
    if "cpuset" in V1:
        for name in ("cpuset.cpus", "cpuset.mems"):
            with open(f"{CG}/cpuset{parent}/{name}", "w") as f:
                f.write(read(f"{CG}/cpuset/{name}"))
    fifo_dir = tempfile.mkdtemp(prefix="nsl-cgfifo-", dir="/tmp")
    try:
        os.chown(fifo_dir, user.pw_uid, user.pw_gid)
        fifo = os.path.join(fifo_dir, "start")
        os.mkfifo(fifo)
        os.chown(fifo, user.pw_uid, user.pw_gid)
        path = parent + "/sandbox"
        init = int(tool("create", path, fifo, "--memory", "64m", "--device-rule", "deny,a,-1,-1,rwm", "--",
                        "/bin/true", user="nsltest").stdout)
        assert os.path.isdir(f"{CG}/memory{path}") and not os.path.exists(f"{CG}/devices{path}")
        tool("start", fifo, user="nsltest")
        status = wait_exit(init)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
        tool("remove", path, user="nsltest")
        assert dirs_of(path) == []
    finally:
        shutil.rmtree(fifo_dir, ignore_errors=True)
