"""examples/plugin_sandbox.py, the platform's ported runner, running the
Python plugin (examples/plugin.py) and a Rust plugin built here with
Debian's rustc (examples/rust_plugin.rs), as root and rootless."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import EXAMPLES, LIMITS, NSLAUNCH, needs_limits

sys.path.insert(0, EXAMPLES)
import plugin_sandbox  # noqa: E402

RECORDS = [{"name": "a", "value": 1.5}, {"name": "b \"quoted\"", "value": 2}, {"name": "c", "value": -0.25}]
SUMMARY = {"count": 3, "total": 3.25}
# Without a cgroup of its own (rootless, nothing delegated) the runner falls
# back to rlimits, as the platform would configure it there.
LIMITS_MODE = "strict" if LIMITS else "best-effort"


@pytest.fixture(scope="module")
def plugin_dir():
    """A plugin directory as the platform lays them out: the Python plugin,
    the Rust plugin and a few misbehaving ones, readable by the sandbox's
    user."""
    d = tempfile.mkdtemp(prefix="nsl-plugins-", dir="/tmp")
    os.chmod(d, 0o755)
    shutil.copy(os.path.join(EXAMPLES, "plugin.py"), d)
    rustc = shutil.which("rustc")
    if rustc is None:
        pytest.fail("rustc is missing (tests/run-all installs Debian's rustc)")
    built = subprocess.run([rustc, "-O", "-o", os.path.join(d, "rust_plugin"),
                            os.path.join(EXAMPLES, "rust_plugin.rs")], capture_output=True, text=True,
                           env=dict(os.environ, TMPDIR=d))
    assert built.returncode == 0, built.stderr
    with open(os.path.join(d, "sleeper.py"), "w") as f:
        f.write("import time\ntime.sleep(60)\n")
    with open(os.path.join(d, "chatty.py"), "w") as f:
        f.write("print('not json')\n")
    with open(os.path.join(d, "hog.py"), "w") as f:
        f.write("import sys\nsys.stdin.read()\ns = b'x' * (512 << 20)\nprint(len(s))\n")
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o755)
    yield d
    shutil.rmtree(d)


def box(plugin_dir, **kw):
    kw.setdefault("limits", LIMITS_MODE)
    kw.setdefault("binary", NSLAUNCH)
    return plugin_sandbox.PluginSandbox(plugin_dir, **kw)


def test_python_plugin(plugin_dir):
    outcome = box(plugin_dir).run(["python3", "/usr/local/plugins/plugin.py"], RECORDS)
    assert outcome["status"] == "ok", outcome
    out = outcome["output"]
    assert out["status"] == "ok" and out["summary"] == SUMMARY
    assert out["spooled_bytes"] == len(json.dumps({"records": RECORDS}))
    facts = out["sandbox"]
    assert facts["hostname"] == "sandbox" and facts["root"] == "Read-only file system"
    assert facts["cap_eff"] == "0000000000000000" and facts["no_new_privs"] == "1"
    assert facts["seccomp"] == "2" and facts["open_fds"] == [0, 1, 2, 3]   # 3: the listing's own fd
    assert outcome["wall_ms"] > 0
    if LIMITS:
        assert outcome["peak_memory_bytes"] > 0


def test_rust_plugin(plugin_dir):
    outcome = box(plugin_dir).run(["/usr/local/plugins/rust_plugin"], RECORDS)
    assert outcome["status"] == "ok", outcome
    assert outcome["output"] == {"status": "ok", "summary": SUMMARY, "language": "rust",
                                 "spooled_bytes": len(json.dumps({"records": RECORDS}))}


def test_plugins_cannot_write_the_plugin_dir_or_the_root(plugin_dir):
    for cmd in (["/bin/sh", "-c", "touch /usr/local/plugins/x"], ["/bin/sh", "-c", "touch /x"]):
        outcome = box(plugin_dir).run(cmd, [])
        assert outcome["status"] == "error" and "Read-only file system" in outcome["stderr"]
    assert not os.path.exists(os.path.join(plugin_dir, "x"))


def test_timeout(plugin_dir):
    outcome = box(plugin_dir, timeout=0.5).run(["python3", "/usr/local/plugins/sleeper.py"], RECORDS)
    assert outcome["status"] == "timeout" and outcome["exit_code"] == 124


def test_output_that_is_not_json(plugin_dir):
    outcome = box(plugin_dir).run(["python3", "/usr/local/plugins/chatty.py"], RECORDS)
    assert outcome["status"] == "bad_output" and "not JSON" in outcome["message"]


@needs_limits
def test_memory_limit(plugin_dir):
    outcome = box(plugin_dir, memory="64m").run(["python3", "/usr/local/plugins/hog.py"], RECORDS)
    assert outcome["status"] == "oom" and outcome["exit_code"] == 137


def test_launch_error(plugin_dir):
    outcome = box(plugin_dir).run(["/usr/local/plugins/missing"], RECORDS)
    assert outcome["status"] == "launch_error" and outcome["stage"] == "exec"
    outcome = box(os.path.join(plugin_dir, "nonexistent")).run(["/usr/local/plugins/plugin.py"], RECORDS)
    assert (outcome["status"], outcome["stage"], outcome["subject"]) == ("launch_error", "plan", "--ro-bind")


def test_as_a_command(plugin_dir):
    cp = subprocess.run([sys.executable, os.path.join(EXAMPLES, "plugin_sandbox.py"), "--limits", LIMITS_MODE,
                         plugin_dir, "--", "/usr/local/plugins/rust_plugin"],
                        input=json.dumps(RECORDS), capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout)["output"]["summary"] == SUMMARY
