"""Terminal injection (bubblewrap CVE-2017-5226): a sandboxed process that
shares the caller's terminal pushes characters into its input queue with
TIOCSTI (or pastes with TIOCLINUX); the caller's shell then runs them once
the sandbox exits.  The high bits of the request number must not slip the
request past a filter that compares only 32 bits."""

import fcntl
import os
import pty
import select
import subprocess
import termios

import pytest

from conftest import NSLAUNCH, PY

TIOCLINUX = 0x541C
# Each line: "NAME pushed" or "NAME ERRNAME".
PROBE = ("import errno, fcntl, termios\n"
         f"TIOCLINUX = {TIOCLINUX}\n"
         "reqs = [('sti', termios.TIOCSTI, b'X'), ('sti_hi', termios.TIOCSTI | (1 << 32), b'X'),\n"
         "        ('linux_paste', TIOCLINUX, bytes([3])), ('linux_paste_hi', TIOCLINUX | (1 << 32), bytes([3])),\n"
         "        ('linux_sel', TIOCLINUX, bytes([2]) + bytes(12))]\n"
         "for name, req, arg in reqs:\n"
         "    try:\n"
         "        fcntl.ioctl(0, req, arg); print(name, 'pushed')\n"
         "    except OSError as e:\n"
         "        print(name, errno.errorcode[e.errno])\n")


def with_controlling_tty(argv, slave):
    """Runs argv with the pty as its controlling terminal and stdin, as a
    plugin runner started from a terminal would."""
    def become_session_leader():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    return subprocess.run(argv, stdin=slave, capture_output=True, text=True, timeout=30,
                          preexec_fn=become_session_leader)


def pending_input(master):
    readable, _, _ = select.select([master], [], [], 0.3)
    return os.read(master, 1024) if readable else b""


def results(stdout):
    return dict(line.split() for line in stdout.splitlines())


def test_terminal_injection_probe_works_without_a_sandbox():
    # The precondition: the same probe outside nslaunch does push input.
    master, slave = pty.openpty()
    try:
        p = with_controlling_tty([PY, "-c", PROBE], slave)
        r = results(p.stdout)
        if r["sti"] != "pushed":
            pytest.skip(f"TIOCSTI is refused on this kernel anyway: {r}")
        assert b"X" in pending_input(master)
    finally:
        os.close(master)
        os.close(slave)


# bubblewrap CVE-2017-5226 (and the TIOCLINUX variant, CVE-2023-28100 in
# flatpak): unconfined, only nslaunch's new session stands between the
# payload and the caller's terminal.
@pytest.mark.parametrize("opts", [[], ["--seccomp", "unconfined"]], ids=["filtered", "unconfined"])
def test_terminal_injection_fails(opts):
    master, slave = pty.openpty()
    try:
        p = with_controlling_tty([NSLAUNCH, "run", *opts, "--", PY, "-c", PROBE], slave)
        assert p.returncode == 0, p.stderr
        r = results(p.stdout)
        assert set(r) == {"sti", "sti_hi", "linux_paste", "linux_paste_hi", "linux_sel"}, p.stdout
        assert "pushed" not in r.values(), r
        pending = pending_input(master)
        assert b"X" not in pending, pending
    finally:
        os.close(master)
        os.close(slave)


# A terminal that is nobody's controlling terminal (a pty a daemon or CI
# runner hands over as stdin, or one whose session leader is gone): after
# setsid the payload is a session leader without a terminal, so it could
# make that one its own with TIOCSCTTY and then TIOCSTI into it.  nslaunch's
# init claims such a terminal for its own session first.
STEAL = ("import errno, fcntl, termios\n"
         "try:\n"
         "    fcntl.ioctl(0, termios.TIOCSCTTY, 0); print('sctty stolen')\n"
         "except OSError as e:\n"
         "    print('sctty', errno.errorcode[e.errno])\n"
         "for name, req in (('sti', termios.TIOCSTI), ('sti_hi', termios.TIOCSTI | (1 << 32))):\n"
         "    try:\n"
         "        fcntl.ioctl(0, req, b'X'); print(name, 'pushed')\n"
         "    except OSError as e:\n"
         "        print(name, errno.errorcode[e.errno])\n")


def without_controlling_tty(argv, slave):
    return subprocess.run(argv, stdin=slave, capture_output=True, text=True, timeout=30, start_new_session=True)


def test_free_terminal_probe_works_without_a_sandbox():
    master, slave = pty.openpty()
    try:
        p = without_controlling_tty([PY, "-c", STEAL], slave)
        r = results(p.stdout)
        if r["sti"] != "pushed":
            pytest.skip(f"TIOCSTI is refused on this kernel anyway: {r}")
        assert r["sctty"] == "stolen", r
        assert b"X" in pending_input(master)
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("opts", [[], ["--seccomp", "unconfined"]], ids=["filtered", "unconfined"])
def test_free_terminal_cannot_be_stolen(opts):
    master, slave = pty.openpty()
    try:
        p = without_controlling_tty([NSLAUNCH, "run", *opts, "--", PY, "-c", STEAL], slave)
        assert p.returncode == 0, p.stderr
        r = results(p.stdout)
        assert set(r) == {"sctty", "sti", "sti_hi"}, p.stdout
        assert "pushed" not in r.values(), r
        assert b"X" not in pending_input(master)
    finally:
        os.close(master)
        os.close(slave)
