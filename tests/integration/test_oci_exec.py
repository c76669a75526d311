"""The library's OCI runtime pieces, driven as a runtime and its engine
would drive them, through tests/oci/oci-probe.c (linked with libnslaunch):

  * the console socket: the engine (the probe, listening as conmon does)
    receives the master of a pty made in the sandbox's own devpts, one fd in
    one message, and talks to the command through it; the command has the
    slave on 0, 1 and 2 as its controlling terminal;
  * nsl_exec: a new process in a running sandbox (OCI exec) is in the
    sandbox's namespaces and cgroups, with the ids, capabilities, seccomp
    mode and no_new_privs asked for, sees no host fd, and its exit status
    reaches the caller.

The probe is $NSL_OCI_PROBE, or next to $NSLAUNCH (run-rootless.sh copies
it there), or build/tests/oci-probe."""

import os
import subprocess

import pytest

from conftest import IS_ROOT, NSLAUNCH, PY, _TOP


def probe_path():
    for candidate in (os.environ.get("NSL_OCI_PROBE"), os.path.join(os.path.dirname(NSLAUNCH), "oci-probe"),
                      os.path.join(_TOP, "build", "tests", "oci-probe")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("no oci-probe built (tests/oci/oci-probe.c)")


def probe(*args, env=None):
    p = subprocess.run([probe_path(), *args], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **(env or {})))
    lines = {}
    for line in p.stdout.splitlines():
        if line.startswith("console-output: "):
            lines["console-output"] = line[len("console-output: "):]
            continue
        words = line.split(" ", 2)
        if words[0] in ("init-ns", "ns", "status") and len(words) == 3:
            lines[f"{words[0]} {words[1]}"] = words[2].strip()
        elif len(words) >= 2:
            lines[words[0]] = line[len(words[0]) + 1:]
    return p, lines


# ---------------------------------------------------------------- console

CTTY_CHECK = (
    "import fcntl, os, struct, sys\n"
    "sys.stdin.readline()\n"
    "print('isatty', os.isatty(0), os.isatty(1), os.isatty(2))\n"
    "print('same', os.path.samestat(os.fstat(0), os.fstat(1)) and os.path.samestat(os.fstat(0), os.fstat(2)))\n"
    "print('ttyname', os.ttyname(0))\n"
    # TIOCGSID: the session the terminal controls
    "sid = struct.unpack('i', fcntl.ioctl(0, 0x5429, b'0000'))[0]\n"
    "print('ctty', sid == os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpgrp())\n"
    "size = os.get_terminal_size(0)\n"
    "print('size', size.lines, size.columns)\n"
    "try:\n"
    "    os.close(os.open('/dev/tty', os.O_RDWR)); print('devtty', 'open')\n"
    "except OSError as e:\n"
    "    print('devtty', e.errno)\n"
    "sys.exit(5)\n")


def check_console_handover(lines):
    assert lines.get("console-fds") == "1", lines            # one fd in one message
    assert lines.get("console-eof") == "yes", lines          # and the sandbox's end closed
    assert lines.get("console-master-isatty") == "1", lines
    assert lines.get("console-name", "").startswith("/dev/pts/"), lines


def test_console_socket_receives_the_master_and_a_shell_answers():
    p, lines = probe("console", "24", "80", "echo hi; exit 3\n", "--", "/bin/sh")
    assert p.returncode == 0, p.stdout + p.stderr
    check_console_handover(lines)
    assert "|hi|" in lines["console-output"] or lines["console-output"].endswith(" hi|"), lines
    assert lines["exit"] == "3", lines


def console_checks(output):
    return dict(line.split(" ", 1) for line in output.split("|") if " " in line and not line.startswith("x"))


def test_console_is_the_commands_stdio_and_controlling_terminal():
    p, lines = probe("console", "31", "97", "x\n", "--", PY, "-c", CTTY_CHECK)
    assert p.returncode == 0, p.stdout + p.stderr
    check_console_handover(lines)
    seen = console_checks(lines["console-output"])
    assert seen.get("isatty") == "True True True", lines
    assert seen.get("same") == "True", lines
    assert seen.get("ttyname") == lines["console-name"], lines      # the pty of the sandbox's own devpts
    assert seen.get("ctty") == "True True", lines                    # its session's terminal, foreground
    assert seen.get("size") == "31 97", lines                        # consoleSize
    assert lines["exit"] == "5", lines


def test_console_dev_tty_is_the_console_without_landlock():
    # /dev/tty opens only for a process that has a controlling terminal
    # (ENXIO otherwise). With Landlock on, nslaunch's /dev rule grants no
    # device ioctls outside /dev/pts, and the open of /dev/tty is refused.
    p, lines = probe("console", "24", "80", "x\n", "--", PY, "-c", CTTY_CHECK, env={"PROBE_LANDLOCK": "off"})
    assert p.returncode == 0, p.stdout + p.stderr
    assert console_checks(lines["console-output"]).get("devtty") == "open", lines


def test_console_in_an_oci_bundle_layout():
    # the OCI runtime's sandbox: no default /tmp, nslaunch's /dev (its
    # devpts) and /proc asked for
    p, lines = probe("console", "24", "80", "x\n", "--", PY, "-c", CTTY_CHECK, env={"PROBE_BUNDLE": "dev"})
    assert p.returncode == 0, p.stdout + p.stderr
    check_console_handover(lines)
    seen = console_checks(lines["console-output"])
    assert seen.get("ctty") == "True True", lines
    assert lines["exit"] == "5", lines


def test_console_without_a_devpts_is_an_error_naming_it():
    p, lines = probe("console", "24", "80", "x\n", "--", "/bin/true", env={"PROBE_BUNDLE": "bare"})
    assert p.returncode == 2, p.stdout
    # create returns once the sandbox is built: the console stage's failure is create's
    assert "console-fds" not in lines, lines
    assert lines["probe:"].startswith("create: nslaunch: console: /dev/ptmx: the sandbox has no devpts to open a "
                                      "pty in"), lines


# ---------------------------------------------------------------- exec

STATUS = (
    "import os, sys\n"
    "st = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
    "for k in ('Uid', 'Gid', 'Groups', 'CapEff', 'CapBnd', 'NoNewPrivs', 'Seccomp', 'NSpid'):\n"
    "    print('status', k, st.get(k, '').strip())\n"
    "for n in ('mnt', 'pid', 'user', 'ipc', 'uts', 'net', 'cgroup'):\n"
    "    print('ns', n, os.readlink('/proc/self/ns/' + n))\n"
    "try:\n"
    "    os.kill(1, 0); print('init seen')\n"
    "except OSError as e:\n"
    "    print('init', 'seen' if e.errno == 1 else e.errno)\n"   # EPERM: there, but not ours to signal
    "print('cwd', os.getcwd())\n"
    "print('fds', sorted(int(f) for f in os.listdir('/proc/self/fd')))\n"   # the listing's own fd is 3
    "print('env', os.environ.get('PROBE_X'))\n"
    "sys.stdin.read()\n"
    "sys.exit(7)\n")

NAMESPACES = ("mnt", "pid", "user", "ipc", "uts", "net", "cgroup")

root_only = pytest.mark.skipif(not IS_ROOT, reason="entering a sandbox takes ptrace access to its non-dumpable init")


@root_only
def test_exec_joins_every_namespace_and_cgroup_of_the_sandbox():
    p, lines = probe("exec", "--memory", "64m", "--cwd", "/tmp", "--env", "PROBE_X=y", "--", PY, "-c", STATUS)
    assert p.returncode == 0, p.stdout + p.stderr
    for ns in NAMESPACES:
        assert lines[f"ns {ns}"] == lines[f"init-ns {ns}"], (ns, lines)
    assert lines["init"] == "seen", lines
    # the sandbox has a cgroup of its own (its --memory), and the process is in it
    assert lines["init-cgroup-is-mine"] == "no", lines
    assert lines["cgroup-same"] == "yes", lines
    # its pid in the sandbox's namespace is not its host pid
    assert lines["status NSpid"] != lines["exec-pid"], lines
    assert lines["cwd"] == "/tmp", lines
    assert lines["env"] == "y", lines
    assert lines["fds"] == "[0, 1, 2, 3]", lines                    # no host fd (the probe held one open)
    assert lines["status NoNewPrivs"] == "1", lines
    assert lines["status Seccomp"] == "2", lines                    # the default filter
    assert lines["status CapEff"] == "0000000000000000", lines
    assert lines["exit"] == "7", lines


@root_only
def test_exec_takes_the_ids_capabilities_and_seccomp_asked_for():
    p, lines = probe("exec", "--sandbox-uid", "1000", "--sandbox-gid", "1000", "--uid", "1000", "--gid", "1000",
                     "--cap", "CAP_NET_BIND_SERVICE", "--seccomp", "unconfined", "--", PY, "-c", STATUS)
    assert p.returncode == 0, p.stdout + p.stderr
    assert lines["status Uid"].split() == ["1000"] * 4, lines
    assert lines["status Gid"].split() == ["1000"] * 4, lines
    assert lines["status Groups"] == "", lines
    assert lines["status CapEff"] == "0000000000000400", lines      # CAP_NET_BIND_SERVICE, ambient
    assert lines["status CapBnd"] == "0000000000000400", lines
    assert lines["status Seccomp"] == "0", lines
    assert lines["status NoNewPrivs"] == "1", lines
    assert lines["exit"] == "7", lines


@root_only
def test_exec_in_an_identity_mapped_sandbox_takes_uid_gid_and_groups():
    # what the OCI runtime makes as root: the identity map; the process's
    # user.uid, user.gid and additionalGids
    p, lines = probe("exec", "--sandbox-identity-map", "65536", "--uid", "1000", "--gid", "1000",
                     "--group", "20", "--group", "1001", "--", PY, "-c", STATUS)
    check_identity_mapped(p, lines)
    # the sandbox's own command as uid 1000 too (podman --user 1000): init,
    # the sandbox's root until then, keeps what it needs to build the root
    p, lines = probe("exec", "--sandbox-identity-map", "65536", "--sandbox-uid", "1000", "--sandbox-gid", "1000",
                     "--uid", "1000", "--gid", "1000", "--group", "20", "--group", "1001", "--", PY, "-c", STATUS)
    check_identity_mapped(p, lines)


def check_identity_mapped(p, lines):
    assert p.returncode == 0, p.stdout + p.stderr
    assert lines["status Uid"].split() == ["1000"] * 4, lines
    assert lines["status Gid"].split() == ["1000"] * 4, lines
    assert lines["status Groups"].split() == ["20", "1001"], lines
    assert lines["status CapEff"] == "0000000000000000", lines
    assert lines["exit"] == "7", lines


@root_only
def test_exec_exit_status_reaches_the_caller():
    p, lines = probe("exec", "--", "/bin/sh", "-c", "exit 9")
    assert p.returncode == 0, p.stdout + p.stderr
    assert lines["exit"] == "9", lines
    p, lines = probe("exec", "--", "/bin/sh", "-c", "kill -TERM $$")
    assert lines["exit"] == str(128 + 15), lines


@root_only
def test_exec_failures_are_errors_naming_the_cause():
    p, lines = probe("exec", "--", "/no/such/command")
    assert p.returncode == 2, p.stdout
    assert "/no/such/command" in lines["probe:"] and "not found" in lines["probe:"], lines
    # the default sandbox maps its own uid only
    p, lines = probe("exec", "--uid", "4242", "--", "/bin/true")
    assert p.returncode == 2, p.stdout
    assert "4242 is not mapped in the sandbox" in lines["probe:"], lines
    p, lines = probe("exec", "--cwd", "/no/such/dir", "--", "/bin/true")
    assert p.returncode == 2, p.stdout
    assert "/no/such/dir" in lines["probe:"], lines


@root_only
def test_exec_with_a_console():
    p, lines = probe("exec", "--console", "33", "101", "x\n", "--", PY, "-c", CTTY_CHECK)
    assert p.returncode == 0, p.stdout + p.stderr
    check_console_handover(lines)
    seen = console_checks(lines["console-output"])
    assert seen.get("isatty") == "True True True", lines
    assert seen.get("ttyname") == lines["console-name"], lines
    assert seen.get("ctty") == "True True", lines
    assert seen.get("size") == "33 101", lines
    assert lines["exit"] == "5", lines


@pytest.mark.skipif(IS_ROOT, reason="the rootless refusal")
def test_exec_rootless_is_refused_with_the_reason():
    p, lines = probe("exec", "--", "/bin/true")
    assert p.returncode == 2, p.stdout
    assert "its init is not dumpable" in lines["probe:"], lines


@root_only
def test_exec_never_joins_a_sandbox_still_being_built():
    # nsl_sandbox_create returns while init still builds the root and the
    # network namespace; an exec right after start must either be refused
    # or land in the finished namespaces, never in the host's.
    for _ in range(5):
        p, lines = probe("exec", "--", PY, "-c", STATUS, env={"PROBE_EXEC_AT_ONCE": "1"})
        if p.returncode == 2:
            assert "the sandbox's command is not running" in lines["probe:"], lines
            continue
        assert p.returncode == 0, p.stdout + p.stderr
        for ns in NAMESPACES:
            assert lines[f"ns {ns}"] == lines[f"init-ns {ns}"], (ns, lines)


# The terminal class (tests/attacks/test_terminal.py) for a process exec'd
# into a sandbox: nothing of init's claim-tty stands behind it.
STEAL = ("import errno, fcntl, termios\n"
         "for name, req, arg in (('sctty', termios.TIOCSCTTY, 0), ('sti', termios.TIOCSTI, b'X'),\n"
         "                       ('sti_hi', termios.TIOCSTI | (1 << 32), b'X')):\n"
         "    try:\n"
         "        fcntl.ioctl(0, req, arg); print(name, 'done')\n"
         "    except OSError as e:\n"
         "        print(name, errno.errorcode[e.errno])\n")


def pending_input(master):
    import select
    readable, _, _ = select.select([master], [], [], 0.3)
    return os.read(master, 1024) if readable else b""


@root_only
@pytest.mark.parametrize("seccomp", ["default", "unconfined"])
def test_exec_refuses_a_terminal_that_is_nobodys(seccomp):
    import pty
    master, slave = pty.openpty()
    try:
        p = subprocess.run([probe_path(), "exec", "--stdin", "own", "--seccomp", seccomp, "--", PY, "-c", STEAL],
                           stdin=slave, capture_output=True, text=True, timeout=60, start_new_session=True)
        assert p.returncode == 2, p.stdout
        assert "fd 0 is a terminal that is nobody's controlling terminal" in p.stdout, p.stdout
        assert b"X" not in pending_input(master)
    finally:
        os.close(master)
        os.close(slave)


@root_only
@pytest.mark.parametrize("seccomp", ["default", "unconfined"])
def test_exec_cannot_take_or_push_into_the_callers_terminal(seccomp):
    import fcntl
    import pty
    import termios
    master, slave = pty.openpty()

    def become_session_leader():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    try:
        p = subprocess.run([probe_path(), "exec", "--stdin", "own", "--seccomp", seccomp, "--", PY, "-c", STEAL],
                           stdin=slave, capture_output=True, text=True, timeout=60, preexec_fn=become_session_leader)
        assert p.returncode == 0, p.stdout + p.stderr
        r = dict(line.split() for line in p.stdout.splitlines() if line.split()[0] in ("sctty", "sti", "sti_hi"))
        assert set(r) == {"sctty", "sti", "sti_hi"}, p.stdout
        assert "done" not in r.values(), r
        assert b"X" not in pending_input(master)
    finally:
        os.close(master)
        os.close(slave)
