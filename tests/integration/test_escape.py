"""Escape attempts from inside the sandbox, each asserting on the host that
nothing happened. (More of these belong to the attack suite of issue 8.)"""

import fcntl
import hashlib
import os
import pty
import select
import shutil
import subprocess
import termios

import pytest

from conftest import NSLAUNCH, PY


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# runc CVE-2019-5736: a payload that opens the runtime's binary through
# /proc/PID/exe for writing, and every other /proc/*/exe and /proc/*/fd/*.
OVERWRITE = r"""
import errno, os
tried = opened = 0
for pid in [p for p in os.listdir('/proc') if p.isdigit()] + ['1', 'self']:
    for path in [f'/proc/{pid}/exe'] + [f'/proc/{pid}/fd/{fd}' for fd in (os.listdir(f'/proc/{pid}/fd') if os.path.isdir(f'/proc/{pid}/fd') and os.access(f'/proc/{pid}/fd', os.R_OK) else [])]:
        tried += 1
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except OSError:
            continue
        target = os.readlink(f'/proc/self/fd/{fd}')
        os.close(fd)
        if not target.startswith(('pipe:', 'socket:', '/dev/')):
            opened += 1
            print('OPENED', path, target)
print('tried', tried, 'opened', opened)
"""


def test_launcher_binary_cannot_be_opened_for_writing(nsl):
    before = digest(NSLAUNCH)
    for opts in ([], ["--proc", "full"]):
        cp = nsl.py(OVERWRITE, *opts)
        assert cp.returncode == 0, cp.stderr
        assert "OPENED" not in cp.stdout, cp.stdout
        assert cp.stdout.split()[-1] == "0"
    assert digest(NSLAUNCH) == before


def test_pid1_cannot_be_traced_or_killed(nsl):
    code = ("import ctypes, os, signal\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "print(libc.ptrace(16, 1, None, None), ctypes.get_errno())\n"      # PTRACE_ATTACH
            "os.kill(1, signal.SIGKILL)\n"
            "import time; time.sleep(0.2)\n"
            "print('alive')\n")
    for opts in ([], ["--seccomp", "unconfined"]):
        cp = nsl.py(code, *opts)
        assert cp.returncode == 0, (opts, cp.stderr)
        first, second = cp.stdout.splitlines()
        assert first.split()[0] == "-1", (opts, first)      # refused by the filter, or by the kernel
        assert second == "alive"                           # init ignores SIGKILL from inside


def test_host_processes_cannot_be_signalled(nsl):
    victim = subprocess.Popen(["sleep", "30"])
    try:
        code = f"import os\ntry:\n    os.kill({victim.pid}, 9); print('sent')\nexcept OSError as e:\n    print(e.errno)\n"
        cp = nsl.py(code)
        assert cp.returncode == 0, cp.stderr
        # pid numbers of the host do not exist in the sandbox's pid namespace
        assert cp.stdout.strip() in ("3",) or victim.pid <= 3, cp.stdout
        assert victim.poll() is None, "a host process was killed from inside the sandbox"
    finally:
        victim.kill()
        victim.wait()


# bubblewrap CVE-2017-5226: TIOCSTI pushes input into the caller's terminal.
TIOCSTI = ("import errno, fcntl, termios\n"
           "for req in (termios.TIOCSTI, termios.TIOCSTI | (1 << 32)):\n"
           "    try:\n"
           "        fcntl.ioctl(0, req, b'X'); print('pushed')\n"
           "    except OSError as e:\n"
           "        print(errno.errorcode[e.errno])\n")


def with_controlling_tty(argv, slave):
    """Runs argv with the pty as its controlling terminal and stdin, as a
    plugin runner started from a terminal would."""
    def become_session_leader():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    return subprocess.run(argv, stdin=slave, capture_output=True, text=True, timeout=30,
                          preexec_fn=become_session_leader)


def test_terminal_injection_probe_works_without_a_sandbox():
    master, slave = pty.openpty()
    try:
        p = with_controlling_tty([PY, "-c", TIOCSTI], slave)
        if "pushed" not in p.stdout:
            pytest.skip(f"TIOCSTI is refused on this kernel anyway: {p.stdout.split()}")
        readable, _, _ = select.select([master], [], [], 0.5)
        assert b"X" in os.read(master, 1024)
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("opts", [[], ["--seccomp", "unconfined"]], ids=["filtered", "unconfined"])
def test_terminal_injection_fails(opts):
    # unconfined, only nslaunch's setsid stands between the payload and the
    # caller's terminal: the probe above shows the same payload succeeds
    # when it shares the terminal as its controlling tty
    master, slave = pty.openpty()
    try:
        p = with_controlling_tty([NSLAUNCH, "run", *opts, "--", PY, "-c", TIOCSTI], slave)
        assert p.returncode == 0, p.stderr
        assert "pushed" not in p.stdout, p.stdout
        # nothing arrived as input on the caller's terminal
        readable, _, _ = select.select([master], [], [], 0.2)
        pending = os.read(master, 1024) if readable else b""
        assert b"X" not in pending, pending
    finally:
        os.close(master)
        os.close(slave)
