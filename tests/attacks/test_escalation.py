"""Privilege escalation from inside: every way up or out that a payload
has without a kernel bug must be refused, by more than one layer where
nslaunch has more than one (no capabilities, no_new_privs, nosuid mounts,
the pid namespace, seccomp)."""

import os
import shutil
import stat
import struct
import subprocess
import tempfile

import pytest

from conftest import IS_ROOT, mount_points

HERE = os.path.dirname(os.path.abspath(__file__))


def lines(stdout):
    return {n: (int(r), int(e)) for n, r, e in (l.split() for l in stdout.splitlines())}


# What escalate tries (see progs/escalate.c):
#  ptrace_pid1      attach to the sandbox's init (runc CVE-2019-5736 variants,
#                   CVE-2016-9962: a runtime process in the container, ptraced)
#  pidfd_getfd_init take one of init's fds (its socket to nslaunch) with
#                   pidfd_getfd, same class
#  unshare_user     a new user namespace, the door to most kernel LPEs
#                   (e.g. CVE-2022-0185, CVE-2023-32233)
#  mount_tmpfs      mount without CAP_SYS_ADMIN
#  int80            the 32-bit syscall entry, past a filter written for
#                   x86_64 numbers (CVE-2009-0835 class, seccomp arch checks)
#  io_uring_setup   io_uring, a large kernel attack surface (e.g. CVE-2022-29582)
#  add_key/keyctl   kernel keyrings, not namespaced (CVE-2016-0728)
#  perf_event_open  perf (CVE-2013-2094, CVE-2023-5717)
#  kill_PID         SIGKILL to a process of the host, by its host pid
ALWAYS_REFUSED = ("ptrace_pid1", "pidfd_getfd_init", "mount_tmpfs")
FILTERED = ("unshare_user", "int80", "io_uring_setup", "add_key", "keyctl_join", "perf_event_open")


@pytest.mark.parametrize("opts", [[], ["--seccomp", "unconfined"]], ids=["filtered", "unconfined"])
def test_escalation_refused(nsl, progs, opts):
    victim = subprocess.Popen(["sleep", "30"])
    try:
        cp = nsl.run("--ro-bind", f"{progs['dir']}:/attack", *opts,
                     cmd=["/attack/escalate", str(victim.pid), str(os.getpid())])
        assert cp.returncode == 0, cp.stderr
        r = lines(cp.stdout)
        assert set(ALWAYS_REFUSED + FILTERED) <= set(r), cp.stdout
        for name in ALWAYS_REFUSED:
            assert r[name][0] == -1, (name, r[name])
        if not opts:
            for name in FILTERED:
                assert r[name][0] < 0, (name, r[name])
        else:
            # the probe has teeth: without the filter some of these work
            assert any(r[name][0] >= 0 for name in FILTERED), r
        # host pids do not exist in the sandbox's pid namespace (or are
        # other processes of the sandbox: refused to signal ours either way)
        for pid in (victim.pid, os.getpid()):
            res, err = r[f"kill_{pid}"]
            assert res == -1 or pid <= 3, (pid, res, err)
        assert victim.poll() is None, "a host process was killed from inside the sandbox"
    finally:
        victim.kill()
        victim.wait()


def test_pid1_cannot_be_killed(nsl):
    # (moved from tests/integration/test_escape.py) init ignores SIGKILL from
    # inside its namespace, with or without the filter; with Landlock's
    # signal scope (ABI 6) the kill is refused outright (EPERM)
    code = ("import os, signal, time\ntry:\n    os.kill(1, signal.SIGKILL)\nexcept PermissionError:\n    pass\n"
            "time.sleep(0.2)\nprint('alive')\n")
    for opts in ([], ["--seccomp", "unconfined"], ["--seccomp", "unconfined", "--landlock", "off"]):
        cp = nsl.py(code, *opts)
        assert cp.returncode == 0, (opts, cp.stderr)
        assert cp.stdout == "alive\n"


def vfs_cap(*caps):
    """security.capability xattr (VFS_CAP_REVISION_2, effective) with the
    permitted set `caps`."""
    lo = sum(1 << c for c in caps if c < 32)
    hi = sum(1 << (c - 32) for c in caps if c >= 32)
    return struct.pack("<IIIII", 0x02000000 | 1, lo, 0, hi, 0)


CAP_DAC_OVERRIDE, CAP_SYS_ADMIN = 1, 21


def mount_point(path):
    """The mount path is on (from mountinfo: os.path.ismount misses a bind
    mount within one file system)."""
    path = os.path.realpath(path)
    return max((m for m in mount_points() if path == m or path.startswith(m.rstrip("/") + "/")), key=len)


def unfit_for_suid(base):
    """Why a setuid or file-capability binary in a new directory under base
    would not elevate the unprivileged user who runs it, or None if it would."""
    if not os.path.isdir(base):
        return "no such directory"
    flags = os.statvfs(base).f_flag
    for bit, name in ((os.ST_NOSUID, "nosuid"), (os.ST_NOEXEC, "noexec"), (os.ST_RDONLY, "ro")):
        if flags & bit:
            return f"on the {name} mount {mount_point(base)}"
    # the probe is run by uid 65534, outside and as the sandbox's uid
    p = os.path.realpath(base)
    while True:
        if not os.stat(p).st_mode & stat.S_IXOTH:
            return f"{p} is not world-traversable"
        if p == "/":
            return None
        p = os.path.dirname(p)


# /tmp can be nosuid (a tmpfs /tmp, Debian 13's default), and a probe there
# does not elevate: the precondition below would fail.  So the first of these
# that allows setuid and file capabilities.
SUID_BASES = tuple(dict.fromkeys((tempfile.gettempdir(), "/var/tmp", HERE)))


@pytest.fixture
def suid_dir(hostdir):
    """A new 0755 directory (removed afterwards) on a mount that honours
    setuid bits and file capabilities."""
    unfit = []
    for base in SUID_BASES:
        why = unfit_for_suid(base)
        if why is None:
            return hostdir(0o755, prefix="nsl-suid-", base=base)
        unfit.append(f"{base} ({why})")
    pytest.skip("nowhere to put a setuid probe that works: " + ", ".join(unfit))


# Setuid-root binaries and file capabilities reached through a bind mount
# (the classic way up inside a container whose runtime forgot nosuid or
# no_new_privs; no single advisory).
@pytest.mark.skipif(not IS_ROOT, reason="making a setuid-root or file-capability binary needs root")
@pytest.mark.parametrize("kind", ["setuid", "filecaps"])
def test_setuid_and_file_caps_give_nothing(nsl, progs, suid_dir, kind):
    d = suid_dir
    exe = os.path.join(d, "whoami")
    shutil.copy(progs["whoami"], exe)
    if kind == "setuid":
        os.chown(exe, 0, 0)
        os.chmod(exe, 0o4755)
    else:
        os.chmod(exe, 0o755)
        os.setxattr(exe, "security.capability", vfs_cap(CAP_DAC_OVERRIDE, CAP_SYS_ADMIN))
    # the precondition: outside, as an unprivileged user, it does elevate
    outside = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe],
                             capture_output=True, text=True)
    want = "euid 0" if kind == "setuid" else "capeff 0000000000200002"
    assert want in outside.stdout, outside
    for opts in ([], ["--uid", "1000", "--gid", "1000"]):
        # Landlock refuses execution under a writable bind by default: let
        # it, so that nosuid and no_new_privs are what is tested
        cp = nsl.run("--bind", f"{d}:/suid", "--allow-exec-writable", *opts, cmd=["/suid/whoami"])
        assert cp.returncode == 0, cp.stderr
        euid = int(cp.stdout.split()[1])
        assert euid == (0 if not opts else 1000), cp.stdout   # unchanged from the sandbox's own uid
        assert cp.stdout.split()[3] == "0000000000000000", cp.stdout
