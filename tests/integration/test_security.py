"""Capabilities, no_new_privs, seccomp and file descriptors."""

import os

import pytest

CAP_NET_BIND_SERVICE = 10
CAP_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


def status(nsl, *opts):
    cp = nsl.run(*opts, cmd=["cat", "/proc/self/status"])
    assert cp.returncode == 0, cp.stderr
    fields = {}
    for line in cp.stdout.splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return fields, cp


def test_all_capabilities_dropped(nsl):
    st, _ = status(nsl)
    for f in CAP_FIELDS:
        assert st[f] == "0000000000000000", (f, st[f])


def test_all_capabilities_dropped_with_uid_0_inside(nsl):
    st, _ = status(nsl, "--uid", "0", "--gid", "0")
    for f in CAP_FIELDS:
        assert st[f] == "0000000000000000", (f, st[f])


def test_no_new_privs(nsl):
    st, _ = status(nsl)
    assert st["NoNewPrivs"] == "1"


def test_seccomp_filter_by_default(nsl):
    st, cp = status(nsl)
    assert st["Seccomp"] == "2"
    assert cp.stderr == ""


def test_seccomp_unconfined(nsl):
    st, cp = status(nsl, "--seccomp", "unconfined")
    assert st["Seccomp"] == "0"
    lines = [l for l in cp.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, cp.stderr
    assert "seccomp" in lines[0].lower() or "unconfined" in lines[0].lower(), lines[0]


# Syscalls a default container filter typically refuses, called with
# harmless arguments; prints "name result errno" for each.
PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
# x86_64's numbers, and aarch64's (the generic table)
nr = {'x86_64': dict(perf_event_open=298, bpf=321, keyctl=250, add_key=248, userfaultfd=323, unshare=272, kcmp=312),
      'aarch64': dict(perf_event_open=241, bpf=280, keyctl=219, add_key=217, userfaultfd=282, unshare=97, kcmp=272),
      }[os.uname().machine]
calls = {
    'perf_event_open': (nr['perf_event_open'], 0, 0, -1, -1, 0),
    'bpf': (nr['bpf'], -1, 0, 0),
    'keyctl': (nr['keyctl'], -1, 0, 0, 0, 0),
    'add_key': (nr['add_key'], 0, 0, 0, 0, -1),
    'userfaultfd': (nr['userfaultfd'], -1),
    'unshare_newuser': (nr['unshare'], 0x10000000),
    'kcmp': (nr['kcmp'], -1, -1, 0, 0, 0),
}
for name, args in calls.items():
    ctypes.set_errno(0)
    r = libc.syscall(*args)
    print(name, r, ctypes.get_errno())
"""


def probe(nsl, *opts):
    cp = nsl.py(PROBE, *opts)
    assert cp.returncode == 0, cp.stderr  # refused with an errno, not killed
    return {n: (int(r), int(e)) for n, r, e in (l.split() for l in cp.stdout.splitlines())}


def test_seccomp_default_filter_has_teeth(nsl):
    default = probe(nsl)
    unconfined = probe(nsl, "--seccomp", "unconfined")
    differ = [n for n in default if default[n] != unconfined[n]]
    assert differ, f"default filter refuses nothing unconfined allows: {default}"
    for n in differ:
        assert default[n][0] == -1 and default[n][1] in (1, 38), (n, default[n])  # EPERM/ENOSYS


def test_capset_cannot_raise_anything(nsl):
    # capset is allowed, as in Docker's default (libcap-using programs drop
    # capabilities with it): with empty sets it can only keep them empty,
    # and the kernel refuses to raise one (EPERM), as nslaunch gives none.
    code = ("import ctypes\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)\n"
            "data = (ctypes.c_uint32 * 6)()\n"
            "print('capget', libc.capget(hdr, data), ctypes.get_errno())\n"
            "print('capset', libc.capset(hdr, data), ctypes.get_errno())\n"
            "data[0] = data[1] = 1 << 21   # CAP_SYS_ADMIN, effective and permitted\n"
            "print('raise', libc.capset(hdr, data), ctypes.get_errno())\n"
            "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n")
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "capget 0 0\ncapset 0 0\nraise -1 1\n0000000000000000\n", cp.stdout


def test_cap_add_net_bind_service(nsl):
    st, _ = status(nsl, "--cap-add", "CAP_NET_BIND_SERVICE")
    eff = int(st["CapEff"], 16)
    assert eff & (1 << CAP_NET_BIND_SERVICE), st["CapEff"]
    assert eff == 1 << CAP_NET_BIND_SERVICE, f"more than one capability: {st['CapEff']}"


def test_cap_add_lowercase_name(nsl):
    st, _ = status(nsl, "--cap-add", "net_bind_service")
    assert int(st["CapEff"], 16) == 1 << CAP_NET_BIND_SERVICE, st["CapEff"]


BIND_80 = ("import socket\n"
           "s = socket.socket()\n"
           "try:\n"
           "    s.bind(('127.0.0.1', 80)); print('bound')\n"
           "except OSError as e:\n"
           "    print('errno', e.errno)\n")


def test_low_port_refused_without_cap(nsl):
    cp = nsl.py(BIND_80)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "errno 13\n"  # EACCES


def test_low_port_allowed_with_cap(nsl):
    cp = nsl.py(BIND_80, "--cap-add", "CAP_NET_BIND_SERVICE")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "bound\n"


# ------------------------------------------------------------------------ fds

LIST_FDS = ("import os\n"
            "print(' '.join(sorted(os.listdir('/proc/self/fd'), key=int)))\n")


@pytest.fixture
def leaky_fds(hostdir):
    """Two inheritable fds at high numbers: O_PATH on host '/', and a file."""
    d = hostdir()
    path = os.path.join(d, "secret")
    with open(path, "w") as f:
        f.write("secret-content\n")
    a = os.open("/", os.O_PATH)
    b = os.open(path, os.O_RDONLY)
    os.dup2(a, 50)
    os.dup2(b, 51)
    os.close(a)
    os.close(b)
    yield 50, 51
    os.close(50)
    os.close(51)


def test_only_stdio_fds_inside(nsl, leaky_fds):
    cp = nsl.py(LIST_FDS, pass_fds=leaky_fds)
    assert cp.returncode == 0, cp.stderr
    # 3 is the directory fd listdir itself opened.
    assert cp.stdout.split() == ["0", "1", "2", "3"], cp.stdout


# (Leaked low fds, a cgroup fd and a host cwd: tests/attacks/test_leaked_fds.py.)


def test_keep_fd_passes_one_fd(nsl, leaky_fds):
    code = LIST_FDS + "print(os.pread(51, 100, 0).decode(), end='')\n"
    cp = nsl.py(code, "--keep-fd", "51", pass_fds=leaky_fds)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0].split() == ["0", "1", "2", "3", "51"], lines
    assert lines[1] == "secret-content"


def test_keep_fd_not_open_is_125(nsl):
    cp = nsl.run("--keep-fd", "77", cmd=["/bin/true"])
    assert cp.returncode == 125, (cp.returncode, cp.stderr)
