"""Leaked file descriptors and working directory (runc CVE-2024-21626,
GHSA-xr7r-f8xq-vfvv, "Leaky Vessels"): an fd to the host's cgroupfs leaked
into the container, and a cwd of /proc/self/fd/N put the container's
process in the host's file system.

nslaunch is started with inheritable (non-CLOEXEC) fds to the host's /, to
the cgroup hierarchy's root and to a host file, at low and high numbers,
and with its cwd in a host directory holding a secret.  The payload must
see only 0-2 and reach none of it: not through /proc/self/fd, not through
its cwd (or "..", or /proc/self/cwd, or /proc/1/cwd)."""

import os
import subprocess

import pytest

from conftest import NSLAUNCH, PY, tree_snapshot

SECRET = "host-secret-4b1d\n"

PAYLOAD = r"""
import os
found = []
fds = sorted(int(x) for x in os.listdir('/proc/self/fd'))
print('fds', ' '.join(map(str, fds)))
# any fd number at all that is open besides 0-2 (fstat walks them all)
for fd in range(3, 1100):
    try:
        os.fstat(fd)
        if fd not in fds:          # listdir's own fd is gone by now
            found.append(f'fd{fd}')
    except OSError:
        pass
print('cwd', os.getcwd())
FDNUMS = list(range(3, 64)) + list(range(200, 210))
# pid 1 is nslaunch's init only in the sandbox: outside, it is never touched
PID1 = ['/proc/1/cwd'] if IN_SANDBOX else []
tries = ['secret', '../secret', '/proc/self/cwd/secret', '/proc/self/root/' + HOSTDIR + '/secret',
         HOSTDIR + '/secret'] + [p + '/secret' for p in PID1]
tries += [f'/proc/self/fd/{n}/' + HOSTDIR.lstrip('/') + '/secret' for n in FDNUMS]
tries += [f'/proc/self/fd/{n}' for n in FDNUMS]
tries += [f'/proc/1/fd/{n}' for n in range(0, 64) if IN_SANDBOX]
for p in tries:
    try:
        with open(p) as f:
            if 'host-secret' in f.read(100):
                found.append(p)
    except OSError:
        pass
for p in ['.', '..', '/proc/self/cwd'] + PID1 + [f'/proc/self/fd/{n}' for n in FDNUMS]:
    try:
        names = os.listdir(p)
        if 'secret' in names or 'cgroup.procs' in names:
            found.append('ls ' + p)
    except OSError:
        pass
for p in ['secret-w', '../secret-w', '/proc/self/cwd/secret-w'] + [p + '/secret-w' for p in PID1]:
    try:
        open(p, 'w').write('pwned'); found.append('wrote ' + p)
    except OSError:
        pass
print('found', ' '.join(found) or '-')
"""


@pytest.mark.parametrize("numbers", ["low", "high"])
@pytest.mark.parametrize("seccomp", [[], ["--seccomp", "unconfined"]], ids=["filtered", "unconfined"])
def test_leaked_fds_and_cwd(nsl, hostdir, numbers, seccomp):
    d = hostdir(0o777, prefix="nsl-cwd-")
    with open(os.path.join(d, "secret"), "w") as f:
        f.write(SECRET)
    os.chmod(os.path.join(d, "secret"), 0o644)
    # bash opens them in the child only (redirections are not CLOEXEC):
    # the host's / (read-only dir fd), the cgroup hierarchy, a host file
    fds = (3, 4, 5, 6) if numbers == "low" else (200, 201, 202, 203)
    setup = (f"exec {fds[0]}</ {fds[1]}</sys/fs/cgroup {fds[2]}<secret {fds[3]}<. && "
             f"ls -l /proc/self/fd/{fds[0]} /proc/self/fd/{fds[1]} >/dev/null && exec \"$@\"")
    code = f"HOSTDIR = {d!r}\n" + PAYLOAD
    # the precondition: without nslaunch the same payload finds them all
    # (and writes secret-w beside it and, through '..', in /tmp: both go).
    # It leaves the host's pid 1 alone: in a container or a CI job that is
    # a shell whose pipes a read would block on, and steal from.
    outside_code = "IN_SANDBOX = False\n" + code
    code = "IN_SANDBOX = True\n" + code
    outside = os.path.join(os.path.dirname(d), "secret-w")
    outside_existed = os.path.lexists(outside)
    pre = subprocess.run(["/bin/bash", "-c", setup, "bash", PY, "-c", outside_code], cwd=d,
                         capture_output=True, text=True, timeout=30)
    if not outside_existed and os.path.lexists(outside):
        os.unlink(outside)
    assert pre.returncode == 0, pre.stderr
    assert f"/proc/self/fd/{fds[2]}" in pre.stdout, pre.stdout
    assert "found -" not in pre.stdout and "wrote secret-w" in pre.stdout, pre.stdout
    os.unlink(os.path.join(d, "secret-w"))
    before = tree_snapshot(d)
    cp = subprocess.run(["/bin/bash", "-c", setup, "bash", NSLAUNCH, "run", *seccomp, "--", PY, "-c", code],
                        cwd=d, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, cp.stderr
    lines = dict(l.split(" ", 1) for l in cp.stdout.splitlines())
    assert lines["fds"] in ("0 1 2", "0 1 2 3"), lines        # 3: listdir's own
    assert lines["cwd"] == "/", lines
    assert lines["found"] == "-", lines["found"]
    assert tree_snapshot(d) == before
