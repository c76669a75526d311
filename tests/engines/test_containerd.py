"""containerd 1.6 started by the session (own root, state, socket), driven by ctr."""

import itertools
import os
import subprocess
import time

import pytest

from conftest import IMAGE, RUNTIME, describe, root_only
from host_facts import systemd_is_init

pytestmark = root_only

_ids = itertools.count()


def container_id(name):
    return f"{name}-{next(_ids)}"


def test_ctr_run_with_runc_binary(containerd):
    result = containerd.run("--rm", "--runc-binary", RUNTIME, IMAGE, container_id("exit"),
                            "sh", "-c", "echo hello from ctr; id -u; exit 3")
    assert result.returncode == 3, describe(result)
    assert result.stdout.split("\n")[:2] == ["hello from ctr", "0"], describe(result)
    assert containerd.ctr("container", "ls", "-q", check=True).stdout.strip() == ""


def test_ctr_run_exit_zero_and_environment(containerd):
    result = containerd.run("--rm", "--runc-binary", RUNTIME, "--env", "NSL_GREETING=hi there", IMAGE,
                            container_id("env"), "sh", "-c", 'echo "$NSL_GREETING"')
    assert result.returncode == 0, describe(result)
    assert result.stdout == "hi there\n", describe(result)


def test_ctr_command_is_pid_1(containerd):
    """The config's process is the container's pid 1, as with runc and crun (images rely on it)."""
    result = containerd.run("--rm", "--runc-binary", RUNTIME, IMAGE, container_id("pid1"),
                            "sh", "-c", 'echo "pid $$"; echo "ppid $PPID"')
    assert result.returncode == 0, describe(result)
    assert result.stdout == "pid 1\nppid 0\n", describe(result)


def test_ctr_runc_binary_is_the_one_used(containerd):
    """A runtime that fails makes `ctr run` fail: the flag reaches the shim."""
    result = containerd.run("--rm", "--runc-binary", "/bin/false", IMAGE, container_id("false"), "true")
    assert result.returncode != 0, describe(result)
    for cid in containerd.ctr("container", "ls", "-q").stdout.split():
        if cid.startswith("false-"):
            containerd.ctr("container", "delete", cid)


def test_ctr_runtime_binary_from_the_daemon_config(containerd):
    """containerd's config names the runtime (io.containerd.runtime.v1.linux's `runtime`)."""
    result = containerd.run("--rm", "--runtime", "io.containerd.runtime.v1.linux", IMAGE,
                            container_id("config"), "sh", "-c", "echo configured runtime; exit 4")
    assert result.returncode == 4, describe(result)
    assert result.stdout == "configured runtime\n", describe(result)


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_ctr_run_with_the_systemd_cgroup_driver(containerd):
    """`ctr run --runc-systemd-cgroup`: the shim gives the runtime
    --systemd-cgroup on every command and the cgroupsPath slice:prefix:name;
    the container runs in systemd's scope, delegated, with its memory limit
    written and known to systemd, as its cgroup namespace's root; the scope
    is gone with the container."""
    cid = container_id("systemd")
    unit = f"nsltest-{cid}.scope"
    cgroup = f"/sys/fs/cgroup/system.slice/{unit}"
    result = containerd.run("-d", "--runc-binary", RUNTIME, "--runc-systemd-cgroup",
                            "--cgroup", f"system.slice:nsltest:{cid}", "--memory-limit", str(64 << 20), IMAGE, cid,
                            "sleep", "60")
    assert result.returncode == 0, describe(result)
    try:
        with open(f"{cgroup}/memory.max") as f:
            assert f.read() == f"{64 << 20}\n"
        shown = subprocess.run(["systemctl", "show", unit, "--property=Delegate", "--property=MemoryMax"],
                               capture_output=True, text=True)
        assert shown.stdout.split() == ["Delegate=yes", f"MemoryMax={64 << 20}"], shown.stdout
        result = containerd.ctr("task", "exec", "--fifo-dir", containerd.fifo_dir, "--exec-id", "look", cid,
                                "cat", "/proc/self/cgroup")
        assert result.returncode == 0 and result.stdout == "0::/\n", describe(result)
    finally:
        containerd.ctr("task", "delete", "--force", cid)
        containerd.ctr("container", "delete", cid)
    deadline = time.monotonic() + 5
    while os.path.exists(cgroup) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(cgroup)
    shown = subprocess.run(["systemctl", "show", unit, "--property=LoadState"], capture_output=True, text=True)
    assert shown.stdout.strip() == "LoadState=not-found", shown.stdout
