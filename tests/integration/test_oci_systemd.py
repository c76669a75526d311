"""nslaunch-runc --systemd-cgroup: the container's cgroup is a transient
scope that systemd makes, delegated to nslaunch: the system's systemd for
root, a user's own systemd --user for that user (rootless podman's case).
Run against the real systemd in tests/vm's systemd guest (NSL_VM_SYSTEMD=1:
systemd is pid 1, cgroup v2); where systemd does not run (this host, the
busybox guests) the driver is refused with one line and nothing is left."""

import contextlib
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import IS_ROOT, NSLAUNCH
from host_facts import systemd_is_init, unprivileged_user
from test_oci_cli import bundle, one_error_line, run_to_files, runc, state  # noqa: F401 (fixtures)

# root's own tests, and the rootless ones' user's systemd, which root starts
pytestmark = pytest.mark.skipif(not IS_ROOT, reason="run as root")


def show(unit, *props):
    cp = subprocess.run(["systemctl", "show", unit, *(f"--property={p}" for p in props)],
                        capture_output=True, text=True, timeout=20)
    assert cp.returncode == 0, cp.stderr
    return dict(line.split("=", 1) for line in cp.stdout.splitlines() if "=" in line)


def test_a_cgroupfs_path_is_refused_with_the_systemd_driver(runc, bundle):
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = "/nsl-systemd-test/c1"
    bundle.write(linux=linux)
    runc.ids.append("c1")
    line = one_error_line(runc("--systemd-cgroup", "create", "--bundle", bundle.path, "c1"))
    assert line.endswith("cgroupsPath: /nsl-systemd-test/c1: expected slice:prefix:name (systemd's driver), "
                         "e.g. system.slice:docker:ID"), line
    assert runc("list", "-q").stdout == ""


@pytest.mark.skipif(systemd_is_init(), reason="systemd runs here: test_a_scope_is_the_containers_cgroup")
def test_refused_where_systemd_is_not_init(runc, bundle):
    """One line that names the unit and says to use the cgroupfs driver;
    no container, cgroup or process left."""
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = "system.slice:nsltest:c2"
    bundle.write(linux=linux)
    runc.ids.append("c2")
    line = one_error_line(runc("--systemd-cgroup", "create", "--bundle", bundle.path, "c2"))
    assert "cgroup: nsltest-c2.scope: " in line and line.endswith("use the cgroupfs driver"), line
    assert runc("list", "-q").stdout == ""
    assert not glob.glob("/sys/fs/cgroup/**/nsltest-c2.scope", recursive=True)


def descendants_of(pid, pids):
    """Whether every pid is pid or a process below it."""
    def parent(p):
        with open(f"/proc/{p}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    for p in pids:
        while p not in (pid, 0, 1):
            p = parent(p)
        if p != pid:
            return False
    return True


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_a_scope_is_the_containers_cgroup(runc, bundle):
    """create makes the scope Docker would ask for, delegated, with the
    limits both written and known to systemd; init alone is in it (the
    first process that held it open is gone) and sees it as its cgroup
    namespace's root; update changes the limits; delete leaves no unit and
    no cgroup."""
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = "system.slice:nsltest:c3"
    linux.setdefault("resources", {}).update(memory={"limit": 64 << 20}, pids={"limit": 30},
                                             cpu={"quota": 25000, "period": 100000})
    bundle.write(linux=linux)
    unit, cgroup = "nsltest-c3.scope", "/sys/fs/cgroup/system.slice/nsltest-c3.scope"
    runc.ids.append("c3")
    cp = runc("--systemd-cgroup", "create", "--bundle", bundle.path, "c3")
    assert cp.returncode == 0, cp.stderr
    init = state(runc, "c3")["pid"]
    with open(f"{cgroup}/cgroup.procs") as f:
        procs = [int(p) for p in f.read().split()]
    assert init in procs and descendants_of(init, procs), procs
    with open(f"/proc/{init}/cgroup") as f:
        assert f.read() == "0::/system.slice/nsltest-c3.scope\n"
    read = lambda name: open(f"{cgroup}/{name}").read().strip()
    assert read("memory.max") == str(64 << 20)
    assert read("pids.max") == "30"
    assert read("cpu.max") == "25000 100000"
    props = show(unit, "Delegate", "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec", "Slice", "ActiveState")
    assert props == {"Delegate": "yes", "MemoryMax": str(64 << 20), "TasksMax": "30",
                     "CPUQuotaPerSecUSec": "250ms", "Slice": "system.slice", "ActiveState": "active"}, props
    cp = runc("--systemd-cgroup", "start", "c3")
    assert cp.returncode == 0, cp.stderr
    cp = runc("--systemd-cgroup", "exec", "c3", "/bin/cat", "/proc/self/cgroup")
    assert cp.returncode == 0 and cp.stdout == "0::/\n", (cp.stdout, cp.stderr)

    # which container has a scope is in its state, as runc keeps it: no flag
    cp = runc("update", "--memory", "128m", "--pids-limit", "40", "c3")
    assert cp.returncode == 0, cp.stderr
    assert read("memory.max") == str(128 << 20)
    assert read("pids.max") == "40"
    props = show(unit, "MemoryMax", "TasksMax")
    assert props == {"MemoryMax": str(128 << 20), "TasksMax": "40"}, props

    cp = runc("delete", "--force", "c3")
    assert cp.returncode == 0, cp.stderr
    assert not os.path.exists(cgroup)
    assert show(unit, "LoadState")["LoadState"] == "not-found"


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_a_foreground_runs_scope_ends_with_it(runc, bundle):
    """run in the foreground: the sandbox removes the scope's cgroup as the
    command ends and tells systemd the scope has ended, so that no unit is
    left behind it."""
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = "system.slice:nsltest:fg"
    bundle.write(["/bin/sh", "-c", "cat /proc/self/cgroup; exit 3"], linux=linux)
    runc.ids.append("fg")
    cp = runc("--systemd-cgroup", "run", "--bundle", bundle.path, "fg")
    assert cp.returncode == 3 and cp.stdout == "0::/\n", (cp.returncode, cp.stdout, cp.stderr)
    assert not os.path.exists("/sys/fs/cgroup/system.slice/nsltest-fg.scope")
    left = show("nsltest-fg.scope", "LoadState", "ActiveState")
    assert left["LoadState"] == "not-found", left


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_a_scope_systemd_let_go_first_is_deleted_quietly(runc, bundle):
    """A container whose command has ended: systemd may find its scope
    empty and drop it before delete comes; delete then has nothing of it to
    stop and says nothing."""
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = "system.slice:nsltest:gone"
    bundle.write(["/bin/true"], linux=linux)
    runc.ids.append("gone")
    assert runc("--systemd-cgroup", "create", "--bundle", bundle.path, "gone").returncode == 0
    assert runc("--systemd-cgroup", "start", "gone").returncode == 0
    deadline = time.monotonic() + 10
    while show("nsltest-gone.scope", "LoadState")["LoadState"] != "not-found":
        assert time.monotonic() < deadline, "systemd kept the empty scope"
        time.sleep(0.05)
    assert state(runc, "gone")["status"] == "stopped"
    cp = runc("--systemd-cgroup", "delete", "gone")
    assert cp.returncode == 0 and cp.stderr == "", cp.stderr
    assert runc("list", "-q").stdout == ""


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_a_unit_that_exists_already_is_named(runc, bundle):
    """A second container asking for the same scope is refused with
    systemd's own words, and the first is left as it was."""
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = "system.slice:nsltest:same"
    bundle.write(linux=linux)
    runc.ids += ["first", "second"]
    cp = runc("--systemd-cgroup", "create", "--bundle", bundle.path, "first")
    assert cp.returncode == 0, cp.stderr
    line = one_error_line(runc("--systemd-cgroup", "create", "--bundle", bundle.path, "second"))
    assert "systemd: nsltest-same.scope: org.freedesktop.systemd1.UnitExists" in line, line
    assert state(runc, "first")["status"] == "created"
    assert show("nsltest-same.scope", "ActiveState")["ActiveState"] == "active"
    assert runc("--systemd-cgroup", "delete", "--force", "first").returncode == 0


class UserManager:
    """A user's systemd --user (user@UID.service), and nslaunch-runc run as
    that user with a state directory of the user's own."""

    def __init__(self, entry, top):
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        self.runtime_dir = f"/run/user/{self.uid}"
        self.root = os.path.join(top, "state")
        # the binary under test by its second name, as the runc fixture has it
        self.nslaunch_runc = os.path.join(top, "nslaunch-runc")
        if not os.path.exists(self.nslaunch_runc):
            os.symlink(os.path.abspath(NSLAUNCH), self.nslaunch_runc)
        self.cgroup = f"/sys/fs/cgroup/user.slice/user-{self.uid}.slice/user@{self.uid}.service"

    def run(self, *argv, in_scope=True, timeout=60):
        """argv as the user; in_scope: in a scope of the user's systemd, as
        podman runs its runtime (systemd-run --user --scope). The user
        manager moves a process into a scope only from its own cgroup: a
        login's process (in session-N.scope) it has the system's systemd
        move (AttachProcessesToUnit, over the system bus, which tests/vm's
        guest does not run), so here root moves it into the manager's
        init.scope first."""
        user = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--",
                "env", f"XDG_RUNTIME_DIR={self.runtime_dir}"]
        if in_scope:
            user = ["sh", "-c", f'echo $$ >{self.cgroup}/init.scope/cgroup.procs && exec "$@"', "sh", *user,
                    "systemd-run", "--user", "--scope", "--quiet", "--"]
        return run_to_files([*user, *argv], timeout=timeout)

    def runc(self, *args, **kw):
        return self.run(self.nslaunch_runc, "--root", self.root, "--systemd-cgroup", *args, **kw)

    def show(self, unit, *props):
        cp = self.run("systemctl", "--user", "show", unit, *(f"--property={p}" for p in props), in_scope=False)
        assert cp.returncode == 0, cp.stderr
        return dict(line.split("=", 1) for line in cp.stdout.splitlines() if "=" in line)


def systemctl(*args):
    """systemctl as root; a failure says what `systemctl status` says of
    the unit (tests/vm's systemd guest has no journal)."""
    cp = subprocess.run(["systemctl", *args], capture_output=True, text=True, timeout=120)
    if cp.returncode:
        status = subprocess.run(["systemctl", "status", "--no-pager", *args[1:]], capture_output=True, text=True)
        pytest.fail(f"systemctl {' '.join(args)}: {cp.stderr.strip()}\n{status.stdout}")


@contextlib.contextmanager
def drop_ins(units):
    """Runtime drop-ins ({unit: text}), for as long as the test runs."""
    dirs = [f"/run/systemd/system/{unit}.d" for unit in units]
    for d, text in zip(dirs, units.values()):
        os.makedirs(d, exist_ok=True)
        with open(f"{d}/nsl-test.conf", "w") as f:
            f.write(text)
    systemctl("daemon-reload")
    try:
        yield
    finally:
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        systemctl("daemon-reload")


def user_manager_drop_ins(uid, gid):
    """What user@UID.service needs in tests/vm's systemd guest: no
    sysinit.target nor basic.target (the guest runs its one unit without
    them: their units are the host's, and what they mount would be left);
    no PAM session (the host's /etc has no systemd-user stack, and its
    `other` refuses the guest's user), so the XDG_RUNTIME_DIR pam_systemd
    would set is given; and its runtime directory made
    without systemd-logind, which the guest does not run
    (systemd-user-runtime-dir asks it over the system bus for the tmpfs's
    size)."""
    no_defaults = "[Unit]\nDefaultDependencies=no\n"
    runtime_dir = f"/run/user/{uid}"
    return {
        f"user@{uid}.service": no_defaults + f"[Service]\nPAMName=\nEnvironment=XDG_RUNTIME_DIR={runtime_dir}\n",
        f"user-runtime-dir@{uid}.service": no_defaults + "[Service]\nExecStart=\n"
        f"ExecStart=/usr/bin/install -d -m 0700 -o {uid} -g {gid} {runtime_dir}\n"
        f"ExecStop=\nExecStop=/bin/rm -rf {runtime_dir}\n",
    }


def rootless_bundle(manager, top):
    """A bundle made by the user: `spec --rootless`, a root with the host's
    /usr, the scope user.slice:nsltest:u1 with memory and pids limits."""
    bundle_dir = os.path.join(top, "bundle")
    dirs = [f"{bundle_dir}/root/{d}" for d in ("usr", "etc", "proc", "dev", "sys", "tmp")]
    cp = manager.run("mkdir", "-p", *dirs, in_scope=False)
    assert cp.returncode == 0, cp.stderr
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            os.symlink(os.readlink(f"/{link}"), f"{bundle_dir}/root/{link}")
    cp = manager.run(manager.nslaunch_runc, "spec", "--rootless", "--bundle", bundle_dir, in_scope=False)
    assert cp.returncode == 0, cp.stderr
    with open(f"{bundle_dir}/config.json") as f:
        config = json.load(f)
    config["root"] = {"path": "root", "readonly": True}
    config["process"]["args"] = ["/bin/sleep", "60"]
    config["process"]["terminal"] = False
    config["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                             "options": ["rbind", "ro", "nosuid", "nodev"]})
    config["linux"]["cgroupsPath"] = "user.slice:nsltest:u1"
    config["linux"]["resources"] = {"memory": {"limit": 64 << 20}, "pids": {"limit": 30}}
    with open(f"{bundle_dir}/config.json", "w") as f:
        json.dump(config, f)
    return bundle_dir


@pytest.fixture
def user_manager():
    """The test user's systemd --user (user@UID.service), started for the
    test and stopped after it, and a rootless bundle of the user's."""
    with unprivileged_user() as entry:
        top = tempfile.mkdtemp(prefix="nsl-user-manager-", dir="/tmp")
        os.chmod(top, 0o755)
        os.chown(top, entry.pw_uid, entry.pw_gid)
        manager = UserManager(entry, top)
        unit = f"user@{entry.pw_uid}.service"
        try:
            with drop_ins(user_manager_drop_ins(entry.pw_uid, entry.pw_gid)):
                systemctl("start", unit)
                try:
                    assert os.path.exists(f"{manager.runtime_dir}/systemd/private")
                    manager.bundle = rootless_bundle(manager, top)
                    yield manager
                finally:
                    if os.path.isdir(manager.root):
                        manager.runc("delete", "--force", "u1", in_scope=False)
                    systemctl("stop", unit)
        finally:
            shutil.rmtree(top, ignore_errors=True)


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_a_users_own_systemd_makes_a_rootless_containers_scope(user_manager):
    """Run by a user from a scope of the user's systemd, as rootless podman
    runs its runtime: the container's scope is the user manager's, in its
    cgroup, with the limits written and known to it; exec (which joins
    init's cgroup from the same place) finds it its cgroup namespace's
    root; update tells the manager too; delete leaves no unit and no
    cgroup."""
    m = user_manager
    unit, cgroup = "nsltest-u1.scope", f"{m.cgroup}/user.slice/nsltest-u1.scope"
    cp = m.runc("create", "--bundle", m.bundle, "u1")
    assert cp.returncode == 0, cp.stderr
    cp = m.runc("state", "u1", in_scope=False)
    assert cp.returncode == 0, cp.stderr
    init = json.loads(cp.stdout)["pid"]
    with open(f"/proc/{init}/cgroup") as f:
        assert f.read() == f"0::{cgroup[len('/sys/fs/cgroup'):]}\n"
    with open(f"{cgroup}/cgroup.procs") as f:
        assert init in [int(p) for p in f.read().split()]
    assert open(f"{cgroup}/memory.max").read().strip() == str(64 << 20)
    assert open(f"{cgroup}/pids.max").read().strip() == "30"
    props = m.show(unit, "Delegate", "MemoryMax", "TasksMax", "Slice", "ActiveState")
    assert props == {"Delegate": "yes", "MemoryMax": str(64 << 20), "TasksMax": "30", "Slice": "user.slice",
                     "ActiveState": "active"}, props
    assert m.runc("start", "u1", in_scope=False).returncode == 0
    cp = m.runc("exec", "u1", "/bin/cat", "/proc/self/cgroup")
    assert cp.returncode == 0 and cp.stdout == "0::/\n", (cp.stdout, cp.stderr)    # its cgroup namespace's root
    cp = m.runc("update", "--memory", "128m", "u1", in_scope=False)
    assert cp.returncode == 0, cp.stderr
    assert open(f"{cgroup}/memory.max").read().strip() == str(128 << 20)
    assert m.show(unit, "MemoryMax") == {"MemoryMax": str(128 << 20)}
    cp = m.runc("delete", "--force", "u1", in_scope=False)
    assert cp.returncode == 0, cp.stderr
    assert not os.path.exists(cgroup)
    left = m.show(unit, "LoadState", "ActiveState", "SubState", "Result")
    assert left["LoadState"] == "not-found", left


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_a_rootless_create_outside_the_users_systemd_is_refused_in_one_line(user_manager):
    """Outside the user manager's cgroup, cgroup v2 would not let the
    runtime move init into the scope: one line says where it runs and what
    to do, before any scope is asked for; nothing is left."""
    m = user_manager
    cp = m.runc("create", "--bundle", m.bundle, "u1", in_scope=False)
    line = one_error_line(cp)
    own = open("/proc/self/cgroup").read().split(":", 2)[2].strip()
    assert line == (f"nslaunch-runc: cgroup: nsltest-u1.scope: runs in {own}, outside user@{m.uid}.service: a "
                    "rootless runtime moves the container into a scope only from inside it (run it with systemd-run "
                    "--user --scope, as podman does), or use the cgroupfs driver"), line
    assert m.runc("list", "-q", in_scope=False).stdout == ""
    assert not os.path.exists(f"{m.cgroup}/user.slice/nsltest-u1.scope")
    assert m.show("nsltest-u1.scope", "LoadState")["LoadState"] == "not-found"
