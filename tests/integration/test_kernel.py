"""The kernel interfaces nslaunch needs are checked before anything starts:
a kernel older than 5.12, or a seccomp filter around nslaunch that refuses
one of them, is one clear error and the command never runs."""

import errno
import os
import subprocess

import pytest

from conftest import NSLAUNCH, assert_one_error_line

REFUSE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "refuse_syscall.py")


def kernel_older_than(major, minor):
    release = os.uname().release.split(".")
    return (int(release[0]), int(release[1])) < (major, minor)


def run_refused(name, errnum):
    return subprocess.run(["/usr/bin/python3", REFUSE, name, str(errnum), NSLAUNCH, "run", "--", "/bin/echo", "ran"],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not kernel_older_than(5, 12), reason="this kernel has every interface nslaunch needs")
def test_too_old_kernel_is_named_with_the_minimum():
    cp = subprocess.run([NSLAUNCH, "run", "--", "/bin/echo", "ran"], capture_output=True, text=True, timeout=30)
    assert cp.returncode == 125, cp
    assert cp.stdout == ""
    line = assert_one_error_line(cp)
    assert line == (f"nslaunch: kernel: {os.uname().release}: has no mount_setattr(2), which came in "
                    "Linux 5.12: nslaunch needs Linux 5.12 or newer"), line


@pytest.mark.skipif(kernel_older_than(5, 12), reason="the kernel itself is too old")
@pytest.mark.parametrize("name", ["mount_setattr", "clone3", "openat2", "close_range", "open_tree"])
def test_filter_around_nslaunch_returning_enosys_is_named(name):
    # Docker's newer profiles answer ENOSYS for what they do not know: on a
    # new kernel that is the filter, not the kernel.
    cp = run_refused(name, errno.ENOSYS)
    assert cp.returncode == 125, cp
    assert cp.stdout == "", "the command ran"
    line = assert_one_error_line(cp)
    assert line.startswith(f"nslaunch: kernel: {os.uname().release}: {name}(2) is refused (ENOSYS) "
                           "by the seccomp filter nslaunch itself runs under"), line
    assert line.endswith("allow it there (see README, Requirements); the command never gets it"), line


@pytest.mark.skipif(kernel_older_than(5, 12), reason="the kernel itself is too old")
def test_filter_around_nslaunch_returning_eperm_is_named():
    # older Docker profiles answer EPERM for clone3
    cp = run_refused("clone3", errno.EPERM)
    assert cp.returncode == 125, cp
    assert cp.stdout == ""
    line = assert_one_error_line(cp)
    assert "clone3(2) is refused (EPERM) by the seccomp filter" in line, line


@pytest.mark.skipif(kernel_older_than(5, 12), reason="the kernel itself is too old")
def test_filter_that_refuses_only_what_the_command_uses_is_fine():
    # The check must not stand in the way of a filter that leaves nslaunch's
    # interfaces alone: mincore is nothing nslaunch needs.
    cp = run_refused("mincore", errno.EPERM)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "ran\n"
