"""Command line, exit statuses and stdio pass-through (docs/cli.md)."""

import json
import os
import random
import time

import pytest

from conftest import PY, SH, assert_one_error_line


def test_version(nsl):
    cp = nsl("--version")
    assert cp.returncode == 0, cp.stderr
    assert "0.1.0" in cp.stdout


def test_help(nsl):
    cp = nsl("--help")
    assert cp.returncode == 0, cp.stderr
    assert "run" in cp.stdout + cp.stderr


def test_run_help(nsl):
    cp = nsl("run", "--help")
    assert cp.returncode == 0, cp.stderr
    out = cp.stdout + cp.stderr
    for opt in ("--rootfs", "--bind", "--tmpfs", "--timeout", "--seccomp"):
        assert opt in out, opt


# --------------------------------------------------------------- exit status


def test_exit_status_is_commands_own(nsl):
    cp = nsl.sh("exit 3")
    assert cp.returncode == 3, cp.stderr


def test_exit_status_true_is_zero(nsl):
    cp = nsl.run(cmd=["/bin/true"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stderr == ""


def test_exit_status_false_is_one(nsl):
    cp = nsl.run(cmd=["/bin/false"])
    assert cp.returncode == 1, cp.stderr


def test_command_found_via_path(nsl):
    cp = nsl.run(cmd=["sh", "-c", "echo found"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "found\n"


def test_timeout_gives_124_quickly(nsl):
    t0 = time.monotonic()
    cp = nsl.run("--timeout", "0.5", cmd=["sleep", "10"])
    elapsed = time.monotonic() - t0
    assert cp.returncode == 124, cp.stderr
    assert elapsed < 4, f"took {elapsed:.2f}s"
    assert elapsed >= 0.4, f"timed out too early: {elapsed:.2f}s"


def test_timeout_not_hit_keeps_status(nsl):
    cp = nsl.run("--timeout", "5", cmd=[SH, "-c", "exit 7"])
    assert cp.returncode == 7, cp.stderr


def test_timeout_kill_after_when_term_ignored(nsl):
    # The payload ignores SIGTERM (SIG_IGN is inherited over exec by sleep):
    # only the SIGKILL after --kill-after ends it. The timeout leaves the
    # shell time to set its trap even on a loaded machine under ASan (0.3 s
    # did not: SIGTERM came first and ended it at 0.58 s).
    t0 = time.monotonic()
    cp = nsl.run("--timeout", "1.5", "--kill-after", "0.5",
                 cmd=[SH, "-c", "trap '' TERM; sleep 100; exit 0"])
    elapsed = time.monotonic() - t0
    assert cp.returncode == 124, cp.stderr
    assert 1.9 <= elapsed < 6, f"took {elapsed:.2f}s"


@pytest.mark.parametrize("argv", [
    ["run", "--no-such-option", "--", "/bin/true"],
    ["--no-such-option"],
    ["frobnicate"],
    ["run", "--network", "bogus", "--", "/bin/true"],
    ["run", "--tmpfs", "relative/path", "--", "/bin/true"],
    ["run", "--tmpfs", "/tmp:size=lots", "--", "/bin/true"],
    ["run", "--bind", "/etc", "--", "/bin/true"],
    ["run", "--bind", "relative:/x", "--", "/bin/true"],
    ["run", "--bind", "/etc:/x/../y", "--", "/bin/true"],
    ["run", "--tmpfs", "/", "--", "/bin/true"],
    ["run", "--hostname", "h" * 65, "--", "/bin/true"],
    ["run", "--timeout", "soon", "--", "/bin/true"],
    ["run", "--uid", "-1", "--", "/bin/true"],
    ["run", "--proc", "some", "--", "/bin/true"],
    ["run", "--seccomp", "off", "--", "/bin/true"],
    ["run", "--cap-add", "CAP_NOT_A_CAP", "--", "/bin/true"],
    ["run", "--keep-fd", "x", "--", "/bin/true"],
    ["run", "--env", "1BAD", "--", "/bin/true"],     # (--env NAME takes NAME from the caller, as docker)
    ["run", "--net", "none", "--", "/bin/true"],     # no prefix matching
    ["run", "-x", "--", "/bin/true"],
    ["run", "-v", "/etc", "--", "/bin/true"],
    ["run", "--mount", "type=bind", "--", "/bin/true"],
    ["run", "--env-file", "/nonexistent/env-file", "--", "/bin/true"],
    ["run", "--rootfs", "/nonexistent/rootfs", "--", "/bin/true"],
    ["run"],
    ["run", "--"],
], ids=lambda a: " ".join(a) or "empty")
def test_bad_usage_is_125_with_one_line(nsl, argv):
    cp = nsl(*argv)
    assert cp.returncode == 125, (cp.returncode, cp.stdout, cp.stderr)
    assert_one_error_line(cp)


def test_not_executable_is_126(nsl):
    cp = nsl.run(cmd=["/etc/passwd"])
    assert cp.returncode == 126, (cp.returncode, cp.stderr)
    assert_one_error_line(cp)


def test_missing_command_is_127(nsl):
    cp = nsl.run(cmd=["no-such-command-nslaunch-test"])
    assert cp.returncode == 127, (cp.returncode, cp.stderr)
    line = assert_one_error_line(cp)
    assert "no-such-command-nslaunch-test" in line


def test_missing_absolute_command_is_127(nsl):
    cp = nsl.run(cmd=["/nonexistent/bin/cmd"])
    assert cp.returncode == 127, (cp.returncode, cp.stderr)
    assert_one_error_line(cp)


def test_killed_by_signal_is_128_plus_n(nsl):
    cp = nsl.sh("kill -9 $$")
    assert cp.returncode == 137, (cp.returncode, cp.stderr)


def test_killed_by_sigterm_is_143(nsl):
    cp = nsl.sh("kill -TERM $$")
    assert cp.returncode == 143, (cp.returncode, cp.stderr)


# --------------------------------------------------------------------- stdio


def test_stdin_to_stdout_byte_exact(nsl):
    rnd = random.Random(1234)
    doc = {"items": [{"id": i, "name": "x" * rnd.randrange(50), "v": rnd.random()}
                     for i in range(3000)],
           "unicode": "h\u00e9llo \u2603 \U0001f600", "nested": {"a": [1, 2, {"b": None}]}}
    data = json.dumps(doc).encode() + b"\n\x00\xff\xfe binary tail\r\n"
    assert len(data) > 65536  # more than a pipe buffer
    cp = nsl.run(cmd=["cat"], input=data, text=False)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == data


def test_stdout_and_stderr_are_separate_and_untouched(nsl):
    cp = nsl.sh("echo out; echo err >&2")
    assert cp.returncode == 0
    assert cp.stdout == "out\n"
    assert cp.stderr == "err\n"


def test_stdin_eof_passes_through(nsl):
    cp = nsl.run(cmd=[PY, "-c", "import sys; d=sys.stdin.buffer.read(); print(len(d))"],
                 input=b"", text=False)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == b"0\n"
