"""error.stage in --status-json: every failure a test can force names its
step, and every name is one of the closed list in docs/cli.md."""

import json
import os
import re

import pytest

from conftest import IS_ROOT

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "cli.md")


def documented_stages():
    with open(DOCS) as f:
        text = f.read()
    section = text.split("## The status JSON's error", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z-]+)` \|", section, re.M)


def status_of(nsl, tmp_path, *opts, cmd=("/bin/true",)):
    path = tmp_path / "status.json"
    cp = nsl.run("--status-json", path, *opts, cmd=list(cmd))
    with open(path) as f:
        return cp, json.load(f)


def test_the_list_is_documented():
    stages = documented_stages()
    assert len(stages) == len(set(stages)) > 30, stages
    for name in ("plan", "mounts", "wait-for-start", "seccomp", "exec", "supervise"):
        assert name in stages


@pytest.fixture
def read_only_image(tmp_path):
    """An image whose root the sandbox's user cannot write to (as root)."""
    img = tmp_path / "image"
    for d in ("usr", "tmp", "dev", "proc", "opt"):
        (img / d).mkdir(parents=True)
    os.chmod(img / "opt", 0o111)    # nobody may list it: a missing mountpoint there cannot be spliced
    os.chmod(img, 0o555)    # no mountpoint can be made in it, by the sandbox's user or its owner
    os.chmod(tmp_path, 0o755)
    yield str(img)
    os.chmod(img, 0o755)
    os.chmod(img / "opt", 0o755)    # else pytest, rootless, cannot remove it (it cannot list it)


CASES = {
    "plan": (lambda img: ["--rootfs", "/nonexistent/image"], ["/bin/true"], "--rootfs"),
    "mounts": (lambda img: ["--tmpfs", "/etc/passwd/x"], ["/bin/true"], "mount"),   # a file on the way
    "mounts-image": (lambda img: ["--rootfs", img, "--ro-bind", "/usr:/usr", "--tmpfs", "/opt/cache"],
                     ["/usr/bin/true"],
                     "mount"),
    "cwd": (lambda img: ["--cwd", "/nonexistent"], ["/bin/true"], "--cwd"),
    "rlimits": (lambda img: ["--rlimit", "nofile=999999999"], ["/bin/true"], "--rlimit"),
    "exec": (lambda img: [], ["/nonexistent-command"], "exec"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_forced_failure_names_its_stage(nsl, tmp_path, read_only_image, case):
    if case == "mounts-image" and not IS_ROOT:
        pytest.skip("rootless, the image's owner is the sandbox's root and may list its own directory")
    stage = case.split("-")[0]
    opts, cmd, subject = CASES[case]
    cp, st = status_of(nsl, tmp_path, *opts(read_only_image), cmd=cmd)
    assert cp.returncode in (125, 127), (cp.returncode, cp.stderr)
    err = st["error"]
    assert err["stage"] == stage, err
    assert err["stage"] in documented_stages()
    assert err["subject"] == subject, err
    assert err["message"] == cp.stderr.strip()


def test_a_refused_filter_fails_in_the_seccomp_stage(nsl, tmp_path):
    bad = tmp_path / "bad.bpf"
    bad.write_bytes(b"\xff\xff\x00\x00\x00\x00\x00\x00")     # no such BPF instruction
    os.chmod(tmp_path, 0o755)
    cp, st = status_of(nsl, tmp_path, "--seccomp-bpf", bad)
    assert cp.returncode == 125, cp.stderr
    assert st["error"]["stage"] == "seccomp", st


@pytest.mark.skipif(not IS_ROOT, reason="a cgroup parent only root can be refused under")
def test_a_missing_cgroup_parent_fails_in_the_cgroup_stage(nsl, tmp_path):
    cp, st = status_of(nsl, tmp_path, "--memory", "64m", "--cgroup-parent", "/nslaunch-no-such-parent")
    assert cp.returncode == 125, cp.stderr
    assert st["error"]["stage"] == "cgroup", st


SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")


@pytest.mark.skipif(not os.path.isdir(SRC), reason="the sources are not beside the tests (the rootless copy)")
def test_every_step_of_the_tables_is_documented():
    with open(os.path.join(SRC, "sandbox", "stages.c")) as f:
        names = re.findall(r'\{ "([a-z-]+)", nsl_stage_', f.read())
    with open(os.path.join(SRC, "launch.c")) as f:
        names += re.findall(r'\{ "([a-z-]+)", step_', f.read())
    assert len(names) > 25, names
    assert set(names) <= set(documented_stages()), set(names) - set(documented_stages())
