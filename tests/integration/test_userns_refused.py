"""A host setting that refuses user namespaces is named in the one error
line (src/userns.c). Made real with a user namespace of the test's own,
whose user.max_user_namespaces the test sets: nslaunch then runs in it as
an unprivileged user, the way it runs on a host with that setting."""
import ctypes
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import IS_ROOT, NSLAUNCH, assert_one_error_line

CLONE_NEWUSER = 0x10000000
NOBODY = 65534


def run_under_limit(limit, *args, kind="user"):
    """nslaunch ARGS as nobody in a user namespace (ids 0-65535 as the
    host's) whose user.max_KIND_namespaces is LIMIT."""
    copy_dir = tempfile.mkdtemp(prefix="nsl-userns-")
    try:
        os.chmod(copy_dir, 0o755)
        binary = shutil.copy(NSLAUNCH, os.path.join(copy_dir, "nslaunch"))
        return run_copy_under_limit(binary, limit, *args, kind=kind)
    finally:
        shutil.rmtree(copy_dir)


def run_copy_under_limit(binary, limit, *args, kind="user"):
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(err_w, 2)
            if libc.unshare(CLONE_NEWUSER) != 0:
                os._exit(90)
            os.write(ready_w, b"u")
            os.read(mapped_r, 1)
            with open(f"/proc/sys/user/max_{kind}_namespaces", "w") as f:
                f.write(str(limit))
            os.setgroups([])
            os.setresgid(NOBODY, NOBODY, NOBODY)
            os.setresuid(NOBODY, NOBODY, NOBODY)
            os.execv(binary, [binary, *args])
        finally:
            os._exit(91)
    os.close(err_w)
    try:
        assert os.read(ready_r, 1) == b"u"
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write("0 0 65536\n")
        os.write(mapped_w, b"m")
        stderr = b""
        while chunk := os.read(err_r, 4096):
            stderr += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        for fd in (ready_r, ready_w, mapped_r, mapped_w, err_r):
            os.close(fd)
    return subprocess.CompletedProcess(args, os.waitstatus_to_exitcode(status), b"", stderr)


@pytest.mark.skipif(not IS_ROOT, reason="the test maps a user namespace of its own for another user")
def test_user_namespaces_turned_off_are_named():
    cp = run_under_limit(0, "run", "--", "/bin/true")
    assert cp.returncode == 125, cp.stderr
    line = assert_one_error_line(cp)
    assert "cannot create namespaces" in line
    assert "user.max_user_namespaces is 0" in line, line


@pytest.mark.skipif(not IS_ROOT, reason="the test maps a user namespace of its own for another user")
def test_the_same_user_runs_where_the_setting_allows_it():
    cp = run_under_limit(16, "run", "--", "/bin/true")
    assert cp.returncode == 0, cp.stderr


@pytest.mark.skipif(not IS_ROOT, reason="the test maps a user namespace of its own for another user")
def test_network_namespaces_turned_off_are_named():
    """The sandbox's network namespace comes with the clone, which makes
    several kinds at once: the limit that is 0 is the one named."""
    cp = run_under_limit(0, "run", "--", "/bin/true", kind="net")
    assert cp.returncode == 125, cp.stderr
    line = assert_one_error_line(cp)
    assert "cannot create namespaces" in line
    assert "user.max_net_namespaces is 0: network namespaces are turned off" in line, line
    cp = run_under_limit(0, "run", "--network", "host", "--", "/bin/true", kind="net")
    assert cp.returncode == 0, cp.stderr
