"""nslaunch.Pool against the real binary: sandboxes made ahead of their
commands (nslaunch run --command-from), one sandbox per command, the
command's environment and stdio given at start, failures raised as
LaunchError, many threads, and nothing left once the pool is closed."""

import concurrent.futures
import os
import struct
import time

import pytest

import nslaunch
from conftest import PY


def test_the_message_is_the_documented_one():
    m = nslaunch.pool.command_message(["sh", "-c", "x"], {"A": "1"}, 0b101)
    assert m == struct.pack("<4sIII", b"NSLC", 3, 1, 5) + b"sh\0-c\0x\0A=1\0"
    with pytest.raises(ValueError):
        nslaunch.pool.command_message(["a\0b"], None, 0)
    with pytest.raises(ValueError):
        nslaunch.pool.command_message(["true"], {"A=B": "1"}, 0)
    with pytest.raises(ValueError):
        nslaunch.pool.command_message(["x" * 70000], None, 0)


def test_a_pooled_run_is_a_run():
    with nslaunch.Pool(size=2) as pool:
        r = pool.run(["/bin/sh", "-c", "echo out $GREETING; cat; echo err >&2; exit 3"],
                     env={"GREETING": "hi"}, input=b"from stdin\n", capture_output=True)
        assert r.exit_code == 3
        assert r.stdout == b"out hi\nfrom stdin\n"
        assert r.stderr == b"err\n"
        assert r.setup_ms is not None and r.wall_ms is not None
        r = pool.run([PY, "-c", "print('text')"], capture_output=True, text=True)
        assert r.stdout == "text\n" and r.exit_code == 0
        with pytest.raises(nslaunch.PluginError):
            pool.run(["/bin/false"], check=True)


def test_every_command_gets_a_fresh_sandbox():
    with nslaunch.Pool(size=2) as pool:
        for _ in range(4):
            r = pool.run(["/bin/sh", "-c", "test ! -e /tmp/used && touch /tmp/used"])
            assert r.exit_code == 0


def test_environment_replaces_and_path_is_searched():
    with nslaunch.Pool(nslaunch.Sandbox(env={"KEPT": "k", "HOME": "/nowhere"}), size=1) as pool:
        r = pool.run(["/bin/sh", "-c", 'echo "$KEPT $HOME"'], env={"HOME": "/tmp"}, capture_output=True)
        assert r.stdout == b"k /tmp\n"
        with pytest.raises(nslaunch.LaunchError) as info:     # searched in the given PATH only
            pool.run(["true"], env={"PATH": "/nonexistent"})
        assert info.value.stage == "exec" and info.value.exit_code == 127


def test_the_timeout_counts_from_the_command_start():
    with nslaunch.Pool(nslaunch.Sandbox(timeout=1), size=1) as pool:
        pool.run(["/bin/true"])          # the next sandbox is made after this
        time.sleep(1.5)
        r = pool.run(["/bin/sleep", "0.2"])
        assert not r.timed_out and r.exit_code == 0
        r = pool.run(["/bin/sleep", "5"])
        assert r.timed_out


def test_a_sandbox_that_cannot_be_made_raises_at_run(shared_dir):
    missing = os.path.join(shared_dir, "missing")
    with nslaunch.Pool(nslaunch.Sandbox(ro_binds=[(missing, "/data")]), size=2) as pool:
        for _ in range(2):
            with pytest.raises(nslaunch.LaunchError) as info:
                pool.run(["/bin/true"])
            assert info.value.stage == "plan"
            assert missing in str(info.value)


def test_commands_from_many_threads():
    with nslaunch.Pool(size=3) as pool:
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            results = list(ex.map(lambda i: pool.run(["/bin/sh", "-c", f"echo {i}"], capture_output=True),
                                  range(16)))
    assert sorted(int(r.stdout) for r in results) == list(range(16))


def test_a_closed_pool_refuses_and_leaves_nothing():
    # the autouse guard checks that every nslaunch the pool started is gone
    pool = nslaunch.Pool(size=3)
    pool.run(["/bin/true"])
    pool.close()
    with pytest.raises(nslaunch.NslaunchError):
        pool.run(["/bin/true"])
