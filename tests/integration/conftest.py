"""Shared fixtures for the nslaunch integration tests.

The binary under test comes from $NSLAUNCH (default: the meson build tree).
Every test runs twice in CI: once as root (run-root.sh) and once as an
unprivileged user (run-rootless.sh).  Tests that only make sense for one of
the two carry a skipif mark.

Autouse guards, applied to every test:
  * host_mounts_unchanged: the set of mount points in /proc/self/mountinfo
    must not grow during the test (a sandbox must never leak a mount to the
    host);
  * no_leftover_processes: pytest is made a child subreaper, so anything a
    test started (nslaunch, its sandbox, anything that escaped it) is
    reparented to us instead of to init; after the test none of it may still
    be alive.
"""

import collections
import ctypes
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import pytest

# The default is the build tree of the repository this file is in.
_TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NSLAUNCH = os.environ.get("NSLAUNCH", os.path.join(_TOP, "build", "launcher", "nslaunch"))
IS_ROOT = os.geteuid() == 0

# Binaries used inside the default sandbox (host /usr is bound read-only).
SH = "/bin/sh"
PY = "/usr/bin/python3"

DEFAULT_TIMEOUT = 15


def sandbox_host_ids(path="/etc/subuid"):
    """The host ids root's sandboxes take theirs from, as nslaunch reads
    them: the first 'nslaunch:START:COUNT' line, or the default range."""
    try:
        with open(path) as f:
            for line in f:
                name, _, rest = line.strip().partition(":")
                if name == "nslaunch":
                    start, count = map(int, rest.split(":"))
                    return range(start, start + count)
    except FileNotFoundError:
        pass
    return range(1879048192, 1879048192 + 65536)


HOST_IDS_LOCK = "/run/nslaunch/host-ids.lock"


def built_tool(name, env_var):
    """A test program of tests/meson.build: $env_var, else beside the binary
    (run-rootless.sh copies it there), else in the build tree."""
    for path in (os.environ.get(env_var), os.path.join(os.path.dirname(NSLAUNCH), name),
                 os.path.join(os.path.dirname(os.path.dirname(NSLAUNCH)), "tests", name),
                 os.path.join(_TOP, "build", "tests", name)):
        if path and os.access(path, os.X_OK):
            return path
    pytest.fail(f"{name} not found (build it with ninja, or set ${env_var})")


def host_ids_locked():
    """The bytes of the host-ids lock file that are locked now (uids, and
    2^32 + gid for gids), from /proc/locks."""
    try:
        ino = os.stat(HOST_IDS_LOCK).st_ino
    except FileNotFoundError:
        return set()
    held = set()
    with open("/proc/locks") as f:
        for line in f:
            fields = line.split()
            if "OFDLCK" in fields and fields[-3].split(":")[-1] == str(ino):
                held.update(range(int(fields[-2]), int(fields[-1]) + 1))
    return held


def host_ids_given_back(ids, within=2.0):
    """Whether none of ids (bytes of the lock file) is locked, waiting up to
    within seconds: nslaunch exits before its init is gone, and init holds
    the lock until then."""
    deadline = time.monotonic() + within
    while set(ids) & host_ids_locked():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True

# Prologues for payloads that write to places which would matter on the host:
# they refuse to go on unless the hostname is the sandbox's, so that a
# launcher that failed to isolate cannot make the suite damage the host.
def sh_guard(hostname="sandbox"):
    return (f'[ "$(uname -n)" = {hostname} ] || '
            '{ echo "nslaunch-test: not in a sandbox, refusing" >&2; exit 99; }; ')


def py_guard(hostname="sandbox"):
    return ("import os as _os, sys as _sys\n"
            f"if _os.uname().nodename != {hostname!r}:\n"
            "    _sys.stderr.write('nslaunch-test: not in a sandbox, refusing\\n'); _sys.exit(99)\n")


# A file at the top of every test rootfs: a payload can check it runs there.
ROOTFS_MARKER = "/.nsl-test-rootfs"


# --------------------------------------------------------------------------
# helpers


def mount_points():
    """Counter of mount points currently in our mount namespace."""
    points = collections.Counter()
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 4:
                points[fields[4]] += 1
    return points


def read_stat(pid):
    """(state, ppid, comm) of a pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    lpar, rpar = data.find(b"("), data.rfind(b")")
    comm = data[lpar + 1 : rpar].decode(errors="replace")
    rest = data[rpar + 2 :].split()
    return rest[0].decode(), int(rest[1]), comm


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def descendants(root=None):
    """{pid: (state, comm)} of every live descendant of `root` (us)."""
    root = os.getpid() if root is None else root
    children = collections.defaultdict(list)
    info = {}
    for pid in all_pids():
        st = read_stat(pid)
        if st is None:
            continue
        state, ppid, comm = st
        children[ppid].append(pid)
        info[pid] = (state, comm)
    found = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid in found or pid == root:
            continue
        found[pid] = info[pid]
        todo.extend(children.get(pid, []))
    return found


def pids_in_pid_ns(link):
    """The pids whose pid namespace is link (a readlink of one)."""
    found = []
    for pid in all_pids():
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") == link:
                found.append(pid)
        except OSError:
            pass
    return found


def _pid_for_children(path):
    """The readlink of a pid_for_children link, or None while the kernel
    hides it: between unshare(CLONE_NEWPID) and the fork of the
    namespace's pid 1 the namespace has no reaper, and the link is ENOENT."""
    try:
        return os.readlink(path)
    except FileNotFoundError:
        return None


@pytest.fixture
def pid_ns_holder():
    """A process of our own holding a new pid namespace, whose pid 1 is its
    child sleep (a pod's infra container holds one so). Yields the
    namespace's path and its readlink."""
    holder = subprocess.Popen(["unshare", "--pid", "--fork", "--kill-child", "sleep", "60"])
    try:
        path = f"/proc/{holder.pid}/ns/pid_for_children"
        own, deadline = os.readlink("/proc/self/ns/pid"), time.monotonic() + 5
        while time.monotonic() < deadline:
            link = _pid_for_children(path)
            if link not in (None, own) and pids_in_pid_ns(link):
                break
            time.sleep(0.02)
        assert link not in (None, own), f"{path}: no pid namespace of its own in 5 s"
        yield path, link
    finally:
        holder.kill()
        holder.wait()


def reap_zombies():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def pids_with_cmdline(argv):
    want = b"\0".join(a.encode() for a in argv) + b"\0"
    return {pid for pid in all_pids() if cmdline(pid) == want}


def stderr_lines(cp):
    err = cp.stderr
    if isinstance(err, bytes):
        err = err.decode(errors="replace")
    return [line for line in err.splitlines() if line.strip()]


def assert_one_error_line(cp):
    """The contract: every failure prints exactly one 'nslaunch: ' line."""
    lines = stderr_lines(cp)
    assert len(lines) == 1, f"expected one stderr line, got {lines!r}"
    assert lines[0].startswith("nslaunch: "), lines[0]
    return lines[0]


def mounts_under(path):
    path = os.path.realpath(path)
    return [m for m in mount_points() if m == path or m.startswith(path + "/")]


def tree_snapshot(path):
    """Everything below path (names, types, sizes, modes), symlinks not followed."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            snap[os.path.relpath(p, path)] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mode & 0o7777)
    return snap


# --------------------------------------------------------------------------
# the runner


class Nslaunch:
    """Runs the binary; returns subprocess.CompletedProcess.

    nsl(*argv)                   raw: nsl("run", "--", "/bin/true")
    nsl.run(*opts, cmd=[...])    nsl("run", *opts, "--", *cmd)
    nsl.sh(script, *opts)        /bin/sh -c script
    nsl.py(code, *opts)          /usr/bin/python3 -c code
    """

    def __init__(self, path):
        self.path = path

    def __call__(self, *args, input=None, timeout=DEFAULT_TIMEOUT, env=None,
                 pass_fds=(), text=True, stdin=None, cwd=None):
        argv = [self.path] + [str(a) for a in args]
        if input is None and stdin is None:
            stdin = subprocess.DEVNULL
        kw = {}
        if text:
            kw = dict(text=True, errors="replace")
            if isinstance(input, bytes):
                raise TypeError("bytes input needs text=False")
        return subprocess.run(
            argv, input=input, stdin=stdin, capture_output=True,
            timeout=timeout, env=os.environ.copy() if env is None else env,
            pass_fds=tuple(pass_fds), cwd=cwd, **kw)

    def run(self, *opts, cmd, **kw):
        return self("run", *opts, "--", *cmd, **kw)

    def sh(self, script, *opts, **kw):
        return self.run(*opts, cmd=[SH, "-c", script], **kw)

    def py(self, code, *opts, **kw):
        return self.run(*opts, cmd=[PY, "-c", code], **kw)

    def popen(self, *args, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen([self.path] + [str(a) for a in args], **kw)


@pytest.fixture
def nsl():
    if not (os.path.isfile(NSLAUNCH) and os.access(NSLAUNCH, os.X_OK)):
        pytest.fail(f"nslaunch binary not found or not executable: {NSLAUNCH} (set $NSLAUNCH)")
    return Nslaunch(NSLAUNCH)


# --------------------------------------------------------------------------
# autouse guards


def _set_child_subreaper():
    PR_SET_CHILD_SUBREAPER = 36
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


@pytest.fixture(scope="session", autouse=True)
def _session_guard():
    subreaper = _set_child_subreaper()
    before = mount_points()
    yield subreaper
    gained = mount_points() - before
    assert not gained, f"host gained mounts during the session: {sorted(gained)}"


@pytest.fixture(autouse=True)
def host_mounts_unchanged():
    before = mount_points()
    yield
    gained = mount_points() - before
    if gained:
        pytest.fail(f"host mount namespace gained mounts: {sorted(gained)}")


@pytest.fixture(autouse=True)
def no_leftover_processes(_session_guard):
    if not _session_guard:
        yield
        return
    before = set(descendants())
    yield
    deadline = time.monotonic() + 2.0
    while True:
        reap_zombies()
        alive = {p: v for p, v in descendants().items()
                 if p not in before and v[0] != "Z"}
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if alive:
        desc = [(p, c, cmdline(p).replace(b"\0", b" ").decode(errors="replace").strip())
                for p, (_, c) in sorted(alive.items())]
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
        reap_zombies()
        pytest.fail(f"processes left behind by the test: {desc}")


# --------------------------------------------------------------------------
# directories on the host


def _safe_rmtree(path):
    if mounts_under(path):
        # Never recurse into something mounted there (it could be a bind of
        # a host directory); the mount guard reports the leak.
        sys.stderr.write(f"not removing {path}: mounts below it\n")
        return
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def hostdir():
    """Factory for host directories every uid can use (the sandbox's uid is
    65534 on the host when the caller is root).  mode is applied last; base
    is the directory they are made in (it must be world-traversable)."""
    made = []

    def make(mode=0o755, prefix="nsl-it-", base="/tmp"):
        d = tempfile.mkdtemp(prefix=prefix, dir=base)
        os.chmod(d, mode)
        made.append(d)
        return d

    yield make
    for d in made:
        _safe_rmtree(d)


@pytest.fixture
def rootfs(hostdir):
    """Factory for a minimal root file system directory.

    Returns (path, opts): opts are the run options to use it, i.e.
    --rootfs path --ro-bind /usr:/usr (the rootfs holds an empty usr and the
    usual merged-/usr symlinks, an etc with ld.so.cache, empty dev proc tmp).
    """

    def make(mode=0o755, extra_dirs=(), skip=()):
        top = hostdir(0o755, prefix="nsl-rootfs-")
        r = os.path.join(top, "root")
        os.mkdir(r)
        for d in ("usr", "etc", "dev", "proc", "tmp") + tuple(extra_dirs):
            if d not in skip:
                os.makedirs(os.path.join(r, d), exist_ok=True)
        for link in ("bin", "sbin", "lib", "lib64", "lib32"):
            if link not in skip and os.path.lexists("/" + link):
                os.symlink("usr/" + link, os.path.join(r, link))
        with open(os.path.join(r, ROOTFS_MARKER.lstrip("/")), "w") as f:
            f.write("this is the test rootfs\n")
        if "etc" not in skip:
            for f in ("ld.so.cache", "passwd", "group"):
                if os.path.exists("/etc/" + f):
                    shutil.copy("/etc/" + f, os.path.join(r, "etc", f))
        os.chmod(r, mode)
        return r, ["--rootfs", r, "--ro-bind", "/usr:/usr"]

    return make
