"""Findings of a red-team pass against the landed binary (issue 20), each
with its precondition shown first:

- AF_VSOCK is not network-namespaced: with --network none a payload could
  still listen on the VM's vsock ports or reach the hypervisor's side (in
  Colima, the Mac; moby#44562). AF_ALG is the kernel's crypto API
  (CVE-2026-31431, moby#52494). The built-in profile allows sockets only for
  the families plugins use.
- The seccomp report could be flooded: 64 decoy refusals under other
  program names hid every later one.
- Output paths others control: a FIFO planted at --status-json blocked
  nslaunch and handed the result to its reader; `seccomp compile -o`
  followed a planted symlink; a failed compile deleted what was there.
- --proc full showed nslaunch's own command line as /proc/1/cmdline.
- A FIFO given as an input (--env-file, --seccomp, --seccomp-bpf) hung
  nslaunch in open(), with the forwarded signals already blocked.
- The payload's program name reached nslaunch's stderr raw (ESC, BEL, CR);
  x32 calls were reported as '#1073741863'."""

import json
import os
import platform
import subprocess
import tempfile
import time

import pytest

from conftest import IS_ROOT, NSLAUNCH, PY, py_guard

AF_VSOCK, AF_ALG = 40, 38
SOCKET_PROBE = py_guard() + r"""
import errno, os, socket, sys
for family, kind, proto in [(int(a), int(b), int(c)) for a, b, c in (x.split(':') for x in sys.argv[1:])]:
    try:
        s = socket.socket(family, kind, proto)
        if family == 40:                       # listen on the VM's vsock port space
            s.bind((0xffffffff, 40000 + os.getpid() % 20000))
            s.listen()
        print(family, proto, 'ok')
        s.close()
    except OSError as e:
        print(family, proto, errno.errorcode.get(e.errno, e.errno))
"""


def socket_probe(nsl, *cases, opts=()):
    cp = nsl.run("--network", "none", *opts, cmd=[PY, "-c", SOCKET_PROBE, *cases])
    assert cp.returncode == 0, cp.stderr
    return dict(((int(f), int(p)), what) for f, p, what in (line.split() for line in cp.stdout.splitlines()))


def test_vsock_is_refused_where_no_namespace_closes_it(nsl):
    # precondition: without a filter, the sandbox (--network none) can
    # listen on the machine's vsock port space
    open_door = socket_probe(nsl, f"{AF_VSOCK}:1:0", opts=("--seccomp", "unconfined"))
    if open_door[(AF_VSOCK, 0)] != "ok":
        pytest.skip(f"this kernel has no vsock ({open_door[(AF_VSOCK, 0)]})")
    got = socket_probe(nsl, f"{AF_VSOCK}:1:0", f"{AF_ALG}:5:0")
    assert got[(AF_VSOCK, 0)] == "EAFNOSUPPORT"
    assert got[(AF_ALG, 0)] == "EAFNOSUPPORT"


def test_only_the_families_plugins_use(nsl):
    got = socket_probe(nsl, "1:1:0", "2:1:0", "10:2:0", "16:3:0", "16:3:9", "17:3:0", "15:3:2", "30:5:0")
    # AF_UNIX, AF_INET, AF_INET6 and netlink's route protocol work
    assert got[(1, 0)] == got[(2, 0)] == got[(10, 0)] == got[(16, 0)] == "ok", got
    # netlink audit, AF_PACKET, AF_KEY, AF_TIPC: refused by the filter
    assert got[(16, 9)] == got[(17, 0)] == got[(15, 2)] == got[(30, 0)] == "EPERM", got


def test_socket_family_with_high_bits_is_still_refused(nsl):
    code = py_guard() + ("import ctypes, errno\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                         "libc.syscall.restype = ctypes.c_long\n"
                         "r = libc.syscall(41, ctypes.c_ulong((1 << 32) | 40), 1, 0)\n"
                         "print(r, errno.errorcode[ctypes.get_errno()])\n")
    if platform.machine() != "x86_64":
        pytest.skip("x86_64 syscall number")
    cp = nsl.py(code)
    assert cp.returncode == 0 and cp.stdout.split()[0] == "-1", (cp.stdout, cp.stderr)


def test_check_warns_about_a_profile_that_allows_vsock(nsl, hostdir):
    d = hostdir()
    allow_all = os.path.join(d, "allow-all.json")
    with open(allow_all, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW"}, f)
    cp = nsl("seccomp", "check", allow_all)
    assert cp.returncode == 0, cp.stderr
    assert f"nslaunch: warning: {allow_all}: allows AF_VSOCK sockets" in cp.stderr
    builtin = os.path.join(d, "builtin.json")
    with open(builtin, "w") as f:
        f.write(nsl("seccomp", "default").stdout)
    cp = nsl("seccomp", "check", builtin)
    assert cp.returncode == 0 and "AF_VSOCK" not in cp.stderr, cp.stderr


def test_learning_and_learned_profiles_refuse_vsock(nsl, hostdir):
    d = hostdir()
    os.chmod(d, 0o777)
    out = os.path.join(d, "learned.json")
    code = SOCKET_PROBE.replace("sys.argv[1:]", "['2:1:0', '40:1:0']")
    cp = nsl("seccomp", "learn", "-o", out, "--", PY, "-c", code, timeout=60)
    assert cp.returncode == 0, cp.stderr
    assert "40 0 EAFNOSUPPORT" in cp.stdout and "2 0 ok" in cp.stdout, cp.stdout
    check = nsl("seccomp", "check", out)
    assert check.returncode == 0 and "AF_VSOCK" not in check.stderr, check.stderr
    rerun = nsl.run("--seccomp", out, cmd=[PY, "-c", code])
    assert "40 0 EAFNOSUPPORT" in rerun.stdout and "2 0 ok" in rerun.stdout, (rerun.stdout, rerun.stderr)


FLOOD = py_guard() + r"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def call_me(name):
    libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0)     # PR_SET_NAME
for i in range(64):                   # decoys: 64 refusals under 64 names
    call_me(b'decoy%d' % i)
    libc.unshare(0x10000000)
call_me(b'worker')
for i in range(500):                  # what the decoys were to hide
    libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)
    libc.setns(-1, 0)
print('done')
"""


def test_report_cannot_be_flooded(nsl, hostdir):
    out = os.path.join(hostdir(), "status.json")
    cp = nsl.py(FLOOD, "--seccomp-report", "--status-json", out, timeout=60)
    assert cp.returncode == 0 and cp.stdout == "done\n", cp.stderr
    with open(out) as f:
        status = json.load(f)
    kinds = {d["syscall"]: d for d in status["seccomp_denials"]}
    # precondition: the decoys were refused, under 64 distinct names
    assert kinds["unshare"]["count"] == 64
    assert [c["comm"] for c in kinds["unshare"]["callers"]] == ["decoy0", "decoy1", "decoy2", "decoy3"]
    assert kinds["unshare"]["calls_by_others"] == 60
    # every hidden call is there, counted exactly, and nothing was dropped
    assert kinds["mount"]["count"] == kinds["setns"]["count"] == 500
    assert kinds["mount"]["callers"] == [{"comm": "worker", "pid": kinds["mount"]["pid"]}]
    assert status["seccomp_denials_dropped"] == 0
    assert "nslaunch: seccomp: worker denied mount (EPERM) x500" in cp.stderr
    assert "nslaunch: seccomp: decoy0, decoy1, decoy2, decoy3 and others denied unshare (EPERM) x64" in cp.stderr
    assert "more" not in cp.stderr


def test_payload_chosen_names_reach_stderr_escaped(nsl):
    code = py_guard() + ("import ctypes\n"
                         "libc = ctypes.CDLL(None)\n"
                         "libc.prctl(15, ctypes.c_char_p(b'x\\x1b[2J\\r\\x07'), 0, 0, 0)   # PR_SET_NAME\n"
                         "libc.unshare(0x10000000)\n")
    cp = nsl("run", "--seccomp-report", "--", PY, "-c", code, text=False)
    assert cp.returncode == 0, cp.stderr
    # precondition: the name really is the payload's, with the control bytes
    assert b"denied unshare" in cp.stderr
    assert b"nslaunch: seccomp: x\\x1b[2J\\x0d\\x07 denied unshare (EPERM) x1" in cp.stderr
    assert not any(c in cp.stderr for c in (b"\x1b", b"\r", b"\x07"))


def test_x32_calls_are_named_with_their_architecture(nsl):
    if platform.machine() != "x86_64":
        pytest.skip("x32 is an x86_64 entry point")
    code = py_guard() + ("import ctypes\nprint('before', flush=True)\n"
                         "ctypes.CDLL(None).syscall(0x40000000 | 165, 0, 0, 0, 0, 0)\n")
    cp = nsl.py(code, "--seccomp-report")
    assert cp.stdout == "before\n", cp.stderr
    assert "denied mount on x32 (killed) x1" in cp.stderr, cp.stderr
    assert "#1073741" not in cp.stderr


@pytest.fixture
def shared_dir():
    """A directory as a shared drop box: another user may plant things."""
    d = tempfile.mkdtemp(prefix="nsl-shared-", dir="/tmp")
    os.chmod(d, 0o1777)
    yield d
    subprocess.run(["rm", "-rf", d], check=False)


def planted_fifo(directory, name):
    path = os.path.join(directory, name)
    os.mkfifo(path, 0o666)
    # precondition: opening it for writing would block (nobody reads it)
    with pytest.raises(OSError) as e:
        os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    assert e.value.errno == 6       # ENXIO: no reader
    return path


def test_status_json_on_a_planted_fifo_is_refused_at_once(nsl, shared_dir):
    fifo = planted_fifo(shared_dir, "status.json")
    start = time.monotonic()
    cp = nsl.run("--status-json", fifo, cmd=["/bin/true"], timeout=10)
    assert cp.returncode == 125 and time.monotonic() - start < 5
    assert cp.stderr == (f"nslaunch: --status-json: {fifo}: not a regular file "
                         "(use fd:N to write to a pipe or a terminal)\n")


def test_status_json_never_follows_a_symlink(nsl, shared_dir, hostdir):
    victim = os.path.join(hostdir(), "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    link = os.path.join(shared_dir, "status.json")
    os.symlink(victim, link)
    # precondition: the link leads to the victim
    assert open(link).read() == "precious\n"
    cp = nsl.run("--status-json", link, cmd=["/bin/true"])
    assert cp.returncode == 125 and "not a regular file" in cp.stderr, cp.stderr
    os.unlink(link)
    # planted while the sandbox runs: replaced by the result, not followed
    proc = nsl.popen("run", "--status-json", link, "--", "/bin/sleep", "1")
    time.sleep(0.3)
    os.symlink(victim, link)
    assert proc.wait(timeout=10) == 0, proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    with open(victim) as f:
        assert f.read() == "precious\n"
    assert not os.path.islink(link)
    with open(link) as f:
        assert json.load(f)["exit_code"] == 0
    assert sorted(os.listdir(shared_dir)) == ["status.json"]     # no temporary left


def test_compile_output_never_follows_a_symlink_nor_deletes_on_failure(nsl, shared_dir, hostdir):
    d = hostdir()
    victim = os.path.join(d, "victim")
    with open(victim, "w") as f:
        f.write("precious\n")
    profile = os.path.join(d, "p.json")
    with open(profile, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}, f)
    link = os.path.join(shared_dir, "out.bpf")
    os.symlink(victim, link)
    cp = nsl("seccomp", "compile", "-o", link, profile)
    assert cp.returncode == 0, cp.stderr
    with open(victim) as f:
        assert f.read() == "precious\n"
    assert not os.path.islink(link) and os.path.getsize(link) % 8 == 0 and os.path.getsize(link) > 0
    # a failed compile leaves what was there
    broken = os.path.join(d, "broken.json")
    with open(broken, "w") as f:
        f.write("{ not json")
    before = open(link, "rb").read()
    cp = nsl("seccomp", "compile", "-o", link, broken)
    assert cp.returncode == 125
    assert open(link, "rb").read() == before
    assert sorted(os.listdir(shared_dir)) == ["out.bpf"]


@pytest.mark.parametrize("option", ["--env-file", "--seccomp", "--seccomp-bpf"])
def test_a_fifo_as_input_fails_at_once(nsl, shared_dir, option):
    fifo = planted_fifo(shared_dir, "input")
    # precondition, the other way: a reader's plain open blocks
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(["cat", fifo], timeout=0.5)
    start = time.monotonic()
    cp = nsl.run(option, fifo, cmd=["/bin/true"], timeout=10)
    assert time.monotonic() - start < 5
    assert cp.returncode == 125 and cp.stderr == f"nslaunch: {option}: {fifo}: not a regular file\n"


def test_proc_full_does_not_show_nslaunch_command_line(nsl, hostdir):
    d = hostdir()
    secret = "s3cr3t-env-value"
    code = py_guard() + ("import os\nprint(sorted(p for p in os.listdir('/proc') if p.isdigit())[:1])\n"
                         "print(open('/proc/1/cmdline', 'rb').read())\n")
    cp = nsl.py(code, "--proc", "full", "--env", f"TOKEN={secret}", "--ro-bind", f"{d}:/data")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    # precondition: the payload sees init's entry in the whole /proc
    assert lines[0] == "['1']"
    assert lines[1] == "b'nslaunch\\x00'"
    assert secret not in cp.stdout and d not in cp.stdout


def test_proc_full_init_environment_stays_unreadable(nsl):
    code = py_guard() + ("try:\n    open('/proc/1/environ', 'rb').read(); print('read')\n"
                         "except OSError as e:\n    print(e.errno)\n")
    cp = nsl.py(code, "--proc", "full", env=dict(os.environ, NSL_TEST_SECRET="x"))
    assert cp.returncode == 0 and cp.stdout == "13\n", (cp.stdout, cp.stderr)
