"""containerd 1.6 started by the session (own root, state, socket), driven by ctr."""

import itertools
import os

import pytest

from conftest import IMAGE, RUNTIME, describe, root_only

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


# nslaunch's own init is the container's pid 1 and the command its child
# (docs/oci.md, "Where nslaunch-runc differs from runc"): strict, so that the
# day the command becomes pid 1 this marker has to go.
@pytest.mark.xfail(os.path.basename(RUNTIME) == "nslaunch-runc", strict=True,
                   reason="nslaunch-runc: the command runs under nslaunch's init, not as pid 1")
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
