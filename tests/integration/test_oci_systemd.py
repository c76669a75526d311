"""nslaunch-runc --systemd-cgroup: the container's cgroup is a transient
scope that systemd makes, delegated to nslaunch. Run against the real
systemd in tests/vm's systemd guest (NSL_VM_SYSTEMD=1: systemd is pid 1,
cgroup v2); where systemd does not run (this host, the busybox guests) the
driver is refused with one line and nothing is left."""

import glob
import json
import os
import subprocess

import pytest

from conftest import IS_ROOT
from host_facts import systemd_is_init
from test_oci_cli import bundle, one_error_line, runc, state  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="systemd's driver is root's")


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

    cp = runc("--systemd-cgroup", "update", "--memory", "128m", "--pids-limit", "40", "c3")
    assert cp.returncode == 0, cp.stderr
    assert read("memory.max") == str(128 << 20)
    assert read("pids.max") == "40"
    props = show(unit, "MemoryMax", "TasksMax")
    assert props == {"MemoryMax": str(128 << 20), "TasksMax": "40"}, props

    cp = runc("--systemd-cgroup", "delete", "--force", "c3")
    assert cp.returncode == 0, cp.stderr
    assert not os.path.exists(cgroup)
    assert show(unit, "LoadState")["LoadState"] == "not-found"


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
