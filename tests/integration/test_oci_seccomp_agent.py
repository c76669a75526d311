"""linux.seccomp.listenerPath (docs/oci.md): the calls a config's filter
hands out with SCMP_ACT_NOTIFY go to a seccomp agent, here one of the
test's own (seccomp_agent.py) on a real unix socket. create connects to
it; the process loads its filter as its last stage, then sends the listener
with the container process state, for the container's command and for
every exec."""

import errno
import json
import os
import subprocess

import pytest

from conftest import IS_ROOT, NSLAUNCH
from seccomp_agent import Agent
from test_oci_cli import bundle, create, one_error_line, runc, state  # noqa: F401 (fixtures)

TIMEOUT = 20


@pytest.fixture
def agent(hostdir):
    """Agent(**options) listening in a directory of the test's; closed after."""
    made = []

    def start(**options):
        a = Agent(os.path.join(hostdir(0o755, prefix="nsl-agent-"), "agent.sock"), **options)
        made.append(a)
        return a

    yield start
    for a in made:
        a.close()


def notifying(bundle, listener, names, **extra):
    linux = bundle.config["linux"]
    linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": listener, "listenerMetadata": "meta-data",
                        "syscalls": [{"names": names, "action": "SCMP_ACT_NOTIFY"}], **extra}
    bundle.write(linux=linux)


@pytest.mark.parametrize("no_new_privs, own_pid_ns", [
    (True, True), (False, True),
    pytest.param(True, False, marks=pytest.mark.skipif(not IS_ROOT, reason="the host's pid namespace is root's")),
])
def test_the_agent_answers_the_notified_calls_of_the_command(runc, bundle, agent, no_new_privs, own_pid_ns):
    """run: the agent's errno is what mkdir gets; it was sent the container
    process state once, with a seccomp listener, and the command holds no fd
    of the hand-off. With and without no_new_privs (the filter then loads
    on CAP_SYS_ADMIN, kept until execve), and with the command as the
    container's init or, without a pid namespace of its own, as init's
    child."""
    a = agent(answer_errno=errno.ENOMEDIUM)
    bundle.config["process"]["noNewPrivileges"] = no_new_privs
    if not own_pid_ns:
        bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    notifying(bundle, a.path, ["mkdir", "mkdirat"])
    bundle.write(["/bin/sh", "-c", "mkdir /tmp/made; echo mkdir=$?; ls /proc/self/fd | wc -l"])
    runc.ids.append("notify")
    cp = runc("run", "--bundle", bundle.path, "notify")
    assert cp.returncode == 0, cp.stderr
    assert "No medium found" in cp.stderr and "mkdir=1" in cp.stdout, (cp.stdout, cp.stderr)
    assert cp.stdout.split()[-1] == "4", cp.stdout          # 0, 1, 2 and ls's own directory
    assert len(a.states) == 1 and a.listener_kinds == ["anon_inode:seccomp notify"], a.states
    msg = a.states[0]
    assert msg["fds"] == ["seccompFd"] and msg["metadata"] == "meta-data", msg
    assert msg["state"]["id"] == "notify" and msg["state"]["status"] == "creating", msg
    assert msg["state"]["bundle"] == os.path.realpath(bundle.path), msg
    assert msg["pid"] == msg["state"]["pid"] and msg["pid"] > 1, msg      # init's, as the host numbers it
    assert len(a.notified) == 1, a.notified                                 # mkdir's, in the shell's child


def test_exec_hands_its_process_over_too(runc, bundle, agent):
    """exec: its own filter, its own connection; the state is the running
    container's, the pid the process's."""
    a = agent(answer_errno=errno.ENOMEDIUM)
    notifying(bundle, a.path, ["mkdir", "mkdirat"])
    create(runc, bundle, "notexec")
    assert runc("start", "notexec").returncode == 0
    init_pid = state(runc, "notexec")["pid"]
    cp = runc("exec", "notexec", "/bin/sh", "-c", "mkdir /tmp/made; echo mkdir=$?")
    assert cp.returncode == 0, cp.stderr
    assert "No medium found" in cp.stderr and "mkdir=1" in cp.stdout, (cp.stdout, cp.stderr)
    assert runc("delete", "--force", "notexec").returncode == 0
    assert len(a.states) == 2, a.states
    first, second = a.states
    assert first["state"]["status"] == "creating" and first["pid"] == init_pid, first
    assert second["state"]["status"] == "running" and second["state"]["pid"] == init_pid, second
    assert second["pid"] not in (init_pid, 0), second


def test_the_agent_may_let_the_calls_through(runc, bundle, agent):
    """execve, openat, read and close handed over, and let through: the
    command runs as it would without the filter (runc's suite does this)."""
    a = agent()
    notifying(bundle, a.path, ["execve", "openat", "open", "read", "close"])
    bundle.write(["/bin/cat", "/proc/self/comm"])
    runc.ids.append("through")
    cp = runc("run", "--bundle", bundle.path, "through")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "cat\n", cp.stdout
    assert len(a.notified) > 3, a.notified


def test_a_listener_path_without_notify_is_left_alone(runc, bundle, agent):
    a = agent()
    linux = bundle.config["linux"]
    linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": a.path,
                        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.write(["/bin/true"], linux=linux)
    runc.ids.append("quiet")
    cp = runc("run", "--bundle", bundle.path, "quiet")
    assert cp.returncode == 0, cp.stderr
    assert a.states == [], a.states


@pytest.mark.parametrize("listener, names, default, cause", [
    (None, ["mkdir"], "SCMP_ACT_ALLOW",
     "config.json: linux.seccomp.listenerPath: SCMP_ACT_NOTIFY hands calls to a seccomp agent, whose socket this "
     "names: missing"),
    ("", ["mkdir"], "SCMP_ACT_ALLOW",
     "config.json: linux.seccomp.listenerPath: SCMP_ACT_NOTIFY hands calls to a seccomp agent, whose socket this "
     "names: missing"),
    ("agent.sock", ["mkdir"], "SCMP_ACT_ALLOW", "config.json: linux.seccomp.listenerPath: expected an absolute path"),
    ("/nonexistent/agent.sock", ["mkdir"], "SCMP_ACT_ALLOW",
     "linux.seccomp.listenerPath: /nonexistent/agent.sock: No such file or directory"),
    ("AGENT", ["write"], "SCMP_ACT_ALLOW",
     "syscalls[0].action: SCMP_ACT_NOTIFY on write: the process makes that call itself before the seccomp agent "
     "holds its listener"),
    ("AGENT", ["sendmsg"], "SCMP_ACT_ALLOW",
     "syscalls[0].action: SCMP_ACT_NOTIFY on sendmsg: the process makes that call itself before the seccomp agent "
     "holds its listener"),
    ("AGENT", ["mkdir"], "SCMP_ACT_NOTIFY",
     "defaultAction: SCMP_ACT_NOTIFY hands every call to the seccomp agent, also those the process makes before "
     "the agent holds its listener"),
])
def test_a_notify_the_runtime_cannot_honour_is_refused(runc, bundle, agent, listener, names, default, cause):
    a = agent()
    seccomp = {"defaultAction": default, "syscalls": [{"names": names, "action": "SCMP_ACT_NOTIFY"}]}
    if listener is not None:
        seccomp["listenerPath"] = a.path if listener == "AGENT" else listener
    linux = bundle.config["linux"]
    linux["seccomp"] = seccomp
    bundle.write(["/bin/true"], linux=linux)
    runc.ids.append("refused")
    line = one_error_line(runc("create", "--bundle", bundle.path, "refused"))
    assert line.endswith(cause), line
    assert runc("state", "refused").returncode != 0, "a refused create left its container"
    assert a.states == [], a.states


def test_an_agent_that_hangs_up_fails_the_start(runc, bundle, agent):
    """The runtime must say so when the state cannot be sent (runtime spec):
    the command never runs."""
    a = agent(close_at_once=True)
    notifying(bundle, a.path, ["mkdir"])
    bundle.write(["/bin/sh", "-c", "echo ran"])
    runc.ids.append("hungup")
    cp = runc("run", "--bundle", bundle.path, "hungup")
    assert cp.returncode != 0 and "ran" not in cp.stdout, (cp.returncode, cp.stdout)
    assert "seccomp-agent: listenerPath: cannot send the listener to the agent" in cp.stderr, cp.stderr


def test_nslaunch_run_refuses_a_profile_that_notifies(hostdir):
    """nslaunch run has no agent to give: a profile with SCMP_ACT_NOTIFY is
    refused before anything starts, rather than its calls failing with
    ENOSYS."""
    path = os.path.join(hostdir(0o755), "notify.json")
    with open(path, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},
                  f)
    cp = subprocess.run([NSLAUNCH, "run", "--seccomp", path, "--", "/bin/true"], capture_output=True, text=True,
                        timeout=TIMEOUT)
    assert cp.returncode == 125, cp.stderr
    lines = cp.stderr.splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        f"{path}: SCMP_ACT_NOTIFY hands calls to a seccomp agent, and none was given (an OCI config's "
        "linux.seccomp.listenerPath, for nslaunch-runc)"), cp.stderr
