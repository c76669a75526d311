"""Fixtures for the Python client's tests: the binary under test ($NSLAUNCH,
default the meson build tree), the client from this source tree, and a guard
that no process a test started outlives it.

They run as root and as an unprivileged user (python/tests/run.sh)."""

import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
TOP = os.path.dirname(PYTHON_DIR)
EXAMPLES = os.path.join(TOP, "examples")
PROFILE = os.path.join(TOP, "profiles", "plugin.json")
sys.path.insert(0, PYTHON_DIR)

NSLAUNCH = os.path.abspath(os.environ.get("NSLAUNCH", os.path.join(TOP, "build", "launcher", "nslaunch")))
os.environ["NSLAUNCH"] = NSLAUNCH
IS_ROOT = os.geteuid() == 0
PY = "/usr/bin/python3"

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _limits_work():
    """Whether this caller gets a cgroup for --memory (root on cgroup v1, a
    delegated cgroup on v2); asked of nslaunch itself."""
    cp = subprocess.run([NSLAUNCH, "run", "--memory", "64m", "--", "/bin/true"], capture_output=True)
    return cp.returncode == 0


LIMITS = _limits_work()
needs_limits = pytest.mark.skipif(not LIMITS, reason="no cgroup this user may limit (nothing delegated)")


def _children():
    kids = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as f:
                kids += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return kids


@pytest.fixture(autouse=True)
def no_leftover_processes():
    yield
    deadline = time.monotonic() + 5
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        left = _children()
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"processes left behind: {left}"


@pytest.fixture
def shared_dir():
    """A fresh directory that the sandbox's user can read: as root that user
    is a host uid of its own, and pytest's own tmp_path sits under a 0700 directory."""
    d = tempfile.mkdtemp(prefix="nsl-client-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)
