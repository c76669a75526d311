"""The library's pool of sandboxes made ahead of their command (nsl_pool_*,
nsl_sandbox_start_command), driven through tests/embed/nsl_pool_tool.c with
the real namespaces, mounts, filter and cgroups: a fresh sandbox for every
command, the command, its environment and its standard output given at
start, the timeout counted from start, failures named once, and nothing
left behind, also when the caller is killed with sandboxes waiting."""

import os
import re
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import (IS_ROOT, assert_one_error_line, built_tool, descendants, host_ids_given_back, host_ids_locked,
                      reap_zombies)
from test_limits import leftovers, needs_root

RUN = re.compile(r"^run (\d+): exit (-?\d+) signal (\d+) timed_out (\d) to_exec_ms (-?[\d.]+)$")


def tool_path():
    return built_tool("nsl-pool", "NSL_POOL_TOOL")


def pool(*args, timeout=60, **kw):
    return subprocess.run([tool_path(), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)


def runs(cp):
    """The tool's run lines as (index, exit, signal, timed_out, to_exec_ms)."""
    found = []
    for line in cp.stdout.splitlines():
        m = RUN.match(line)
        if m:
            found.append((int(m[1]), int(m[2]), int(m[3]), m[4] == "1", float(m[5])))
    return found


def test_every_command_gets_a_sandbox_of_its_own():
    # each run would see the file of the one before if a sandbox were reused
    script = 'test ! -e /tmp/used && touch /tmp/used && echo "fresh $(hostname) $$"'
    cp = pool("--size", 2, "--runs", 5, "--", "/bin/sh", "-c", script)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.count("fresh sandbox ") == 5, cp.stdout
    got = runs(cp)
    assert [r[0] for r in got] == [0, 1, 2, 3, 4]
    assert all(r[1] == 0 and r[2] == 0 and not r[3] and r[4] > 0 for r in got), got


def test_the_command_is_confined_like_any_other():
    # the built-in filter, no capabilities, read-only root: the command's
    # hand-over at start changes none of it
    script = ("grep -E '^(Seccomp|CapEff|NoNewPrivs):' /proc/self/status; "
              "touch /usr/x 2>/dev/null && echo root-writable; echo done")
    cp = pool("--", "/bin/sh", "-c", script)
    assert cp.returncode == 0, cp.stderr
    assert "Seccomp:\t2" in cp.stdout
    assert "CapEff:\t0000000000000000" in cp.stdout
    assert "NoNewPrivs:\t1" in cp.stdout
    assert "root-writable" not in cp.stdout and "done" in cp.stdout


def test_environment_given_at_start_adds_and_replaces_and_path_is_searched(hostdir):
    d = hostdir(0o755)
    os.makedirs(f"{d}/bin")
    with open(f"{d}/bin/hello", "w") as f:
        f.write("#!/bin/sh\necho hello from $GREETING in $HOME\n")
    os.chmod(f"{d}/bin/hello", 0o755)
    cp = pool("--bind", f"{d}/bin:/opt/tools", "--env", "GREETING=pool", "--env", "HOME=/opt",
              "--env", "PATH=/opt/tools:/usr/bin:/bin", "--", "hello")
    assert cp.returncode == 0, cp.stderr
    assert "hello from pool in /opt" in cp.stdout
    # the spec's environment is kept where nothing replaces it
    cp = pool("--env", "EXTRA=1", "--", "/bin/sh", "-c", 'echo "$EXTRA $HOME $PATH"')
    assert "1 /tmp /usr/local/sbin:/usr/local/bin:" in cp.stdout, cp.stdout


def test_standard_output_given_at_start(hostdir):
    out = os.path.join(hostdir(0o777), "out.txt")
    cp = pool("--runs", 3, "--out", out, "--", "/bin/sh", "-c", "echo to-the-file; echo to-stderr >&2")
    assert cp.returncode == 0, cp.stderr
    assert open(out).read() == "to-the-file\n" * 3
    assert "to-the-file" not in cp.stdout
    assert cp.stderr.count("to-stderr") == 3


def test_exit_statuses_and_a_missing_command_come_back():
    cp = pool("--runs", 2, "--", "/bin/sh", "-c", "kill -TERM $$")
    assert [(r[1], r[2]) for r in runs(cp)] == [(-1, signal.SIGTERM)] * 2, cp.stdout
    cp = pool("--", "/bin/sh", "-c", "exit 7")
    assert [r[1] for r in runs(cp)] == [7]
    cp = pool("--", "no-such-command")
    assert cp.returncode == 125
    assert "command not found" in assert_one_error_line(cp)


def test_the_timeout_counts_from_start_not_from_creation():
    # made 1.5 s before it is started, with a 1 s timeout: not timed out
    cp = pool("--timeout", 1, "--delay-ms", 1500, "--", "/bin/sleep", "0.2")
    assert [(r[1], r[3]) for r in runs(cp)] == [(0, False)], (cp.stdout, cp.stderr)
    cp = pool("--timeout", 1, "--", "/bin/sleep", 5)
    assert [r[3] for r in runs(cp)] == [True], (cp.stdout, cp.stderr)


def test_a_directory_never_becomes_the_commands_stdio(hostdir):
    # openat(1, "..") from a directory fd would walk the host's tree
    d = hostdir(0o755)
    cp = pool("--out-dir", d, "--", "/bin/ls", "/proc/self/fd/1/")
    assert cp.returncode == 125
    assert "is a directory" in assert_one_error_line(cp)
    # written to the start handle by another process: the sandbox itself refuses
    cp = pool("--via-handle", "--out-dir", d, "--", "/bin/ls", "/proc/self/fd/1/")
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert "wait-for-command" in line and "directory" in line
    # the same path with a file works
    out = os.path.join(d, "out")
    cp = pool("--via-handle", "--out", out, "--", "/bin/echo", "through the handle")
    assert cp.returncode == 0, cp.stderr
    assert open(out).read() == "through the handle\n"


def test_a_spec_no_sandbox_can_be_made_of_fails_at_once_in_one_line(hostdir):
    missing = os.path.join(hostdir(0o755), "missing")
    started = time.monotonic()
    cp = pool("--bind", f"{missing}:/data", "--", "/bin/true")
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert missing in line, line
    assert time.monotonic() - started < 10


def test_many_commands_from_two_threads():
    cp = pool("--size", 3, "--loops", 2, "--runs", 10, "--", "/bin/sh", "-c", "exit 0")
    assert cp.returncode == 0, cp.stderr
    got = runs(cp)
    assert len(got) == 20 and all(r[1] == 0 for r in got), cp.stdout


def test_a_taken_sandbox_outlives_the_pool_freed_before_it_ends():
    cp = pool("--size", 3, "--free-early", "--", "/bin/sh", "-c", "sleep 0.3; echo survived")
    assert cp.returncode == 0, cp.stderr
    assert "survived" in cp.stdout
    assert [r[1] for r in runs(cp)] == [0]


@pytest.mark.skipif(not IS_ROOT, reason="host ids are reserved by root's sandboxes")
def test_waiting_sandboxes_hold_host_ids_of_their_own_and_give_them_back():
    before = host_ids_locked()
    p = subprocess.Popen([tool_path(), "--size", "3", "--delay-ms", "3000", "--", "/bin/true"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while len(host_ids_locked() - before) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    held = host_ids_locked() - before
    assert len(held) >= 6, held         # three sandboxes: a uid and a gid each
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert host_ids_given_back(held)


@needs_root
def test_limits_hold_and_no_cgroup_is_left_behind():
    before = set(leftovers())
    cp = pool("--memory", "32m", "--runs", 3, "--", "/usr/bin/python3", "-c", "b = bytearray(200 << 20)")
    assert cp.returncode == 0, cp.stderr
    assert [r[2] for r in runs(cp)] == [signal.SIGKILL] * 3, cp.stdout
    assert not set(leftovers()) - before


def test_killing_the_caller_ends_every_waiting_sandbox():
    before = set(descendants())
    p = subprocess.Popen([tool_path(), "--size", "3", "--delay-ms", "60000", "--", "/bin/true"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # three sandboxes are made: the tool's descendants include their inits
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        mine = {pid for pid in descendants() if pid not in before and pid != p.pid}
        if len(mine) >= 6:              # each: init and its waiting payload
            break
        time.sleep(0.05)
    assert len(mine) >= 6, mine
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        reap_zombies()
        alive = {pid for pid, (state, _) in descendants().items() if pid in mine and state != "Z"}
        if not alive:
            break
        time.sleep(0.05)
    assert not alive


# nslaunch run --command-from fd:N: the same from the command line (what the
# Python client's Pool drives)

def command_message(argv, env=(), mask=0):
    words = [w.encode() for w in argv] + [e.encode() for e in env]
    return struct.pack("<4sIII", b"NSLC", len(argv), len(env), mask) + b"".join(w + b"\0" for w in words)


def start_from(nsl, *opts):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    p = subprocess.Popen([nsl.path, "run", *opts, "--command-from", f"fd:{theirs.fileno()}"],
                         pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    theirs.close()
    return p, ours


def test_command_from_a_socket(nsl):
    p, sock = start_from(nsl, "--env", "KEPT=k")
    assert sock.recv(16) == b"ready"
    r, w = os.pipe()
    script = 'echo "$KEPT $ADDED"; ls /proc/self/fd; exit 5'
    socket.send_fds(sock, [command_message(["/bin/sh", "-c", script], ["ADDED=a"], 0b010)], [w])
    os.close(w)
    sock.close()
    with os.fdopen(r) as f:
        lines = f.read().splitlines()
    assert lines[0] == "k a"
    assert lines[1:] == ["0", "1", "2", "3"], lines     # 3: ls's own; no socket, no other fd
    out, err = p.communicate(timeout=30)
    assert p.returncode == 5, err
    assert out == ""            # the command's stdout was the pipe


def test_command_from_a_socket_that_closes_or_lies(nsl):
    p, sock = start_from(nsl)
    assert sock.recv(16) == b"ready"
    sock.close()
    _, err = p.communicate(timeout=30)
    assert p.returncode == 125
    assert "closed before a command came" in err and len(err.strip().splitlines()) == 1, err

    p, sock = start_from(nsl)
    assert sock.recv(16) == b"ready"
    sock.send(command_message(["/bin/true"])[:-1])          # its last word unterminated
    _, err = p.communicate(timeout=30)
    assert p.returncode == 125
    assert "not a command message" in err, err


def test_command_from_usage_errors(nsl):
    cp = nsl("run", "--command-from", "fd:1")
    assert cp.returncode == 125 and "not fd:N with N above 2" in assert_one_error_line(cp)
    cp = nsl("run", "--command-from", "stdin")
    assert cp.returncode == 125 and "not fd:N" in assert_one_error_line(cp)
    r, w = os.pipe()
    try:
        cp = nsl("run", "--command-from", f"fd:{r}", pass_fds=[r])
        assert cp.returncode == 125 and "not an open socket" in assert_one_error_line(cp)
    finally:
        os.close(r)
        os.close(w)
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with a, b:
        cp = nsl("run", "--command-from", f"fd:{b.fileno()}", "--", "/bin/true", pass_fds=[b.fileno()])
        assert cp.returncode == 125 and "either from it or after --" in assert_one_error_line(cp)
