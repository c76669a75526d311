"""A soak: many launches of every kind in turn (limits, timeouts, the seccomp
report, writable binds, killed launches, usage errors, the host's network,
the status JSON on a pipe) must leave nothing behind: no mount, cgroup,
process, fd or file. NSL_SOAK_LAUNCHES sets how many (default 80; the
closing note of issue 20 reports a run of 10 000)."""

import os
import signal
import subprocess
import time

from conftest import IS_ROOT, NSLAUNCH, host_ids_given_back, host_ids_locked, sandbox_host_ids, sh_guard

SANDBOX_IDS = sandbox_host_ids()
from test_limits import leftovers

LAUNCHES = int(os.environ.get("NSL_SOAK_LAUNCHES", "80"))
LIMITS = ["--memory", "64m", "--pids", "32"] if IS_ROOT else ["--limits", "best-effort", "--pids", "32"]


def launch(*args, **kw):
    return subprocess.run([NSLAUNCH, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=30, **kw)


def with_limits(_out, _i):
    cp = launch("run", *LIMITS, "--", "/bin/true")
    return cp.returncode == 0 and (cp.stderr == "" or "falling back" in cp.stderr), cp


def timed_out(_out, _i):
    cp = launch("run", "--timeout", "0.2", "--", "/bin/sleep", "5")
    return cp.returncode == 124, cp


def reported(_out, _i):
    cp = launch("run", "--seccomp-report", "--", "/usr/bin/unshare", "--mount", "/bin/true")
    return cp.returncode != 0 and "denied unshare (EPERM)" in cp.stderr, cp


def writable_bind(out, i):
    cp = launch("run", "--bind", f"{out}:/out", "--", "/bin/sh", "-c", sh_guard() + "echo x > /out/f.$1", "sh", str(i))
    return cp.returncode == 0, cp


def killed(_out, _i):
    proc = subprocess.Popen([NSLAUNCH, "run", "--", "/bin/sleep", "5"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.03)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    cp = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    # SIGTERM before the sandbox existed ends nslaunch itself (-15); after, it is forwarded (143)
    return proc.returncode in (128 + signal.SIGTERM, -signal.SIGTERM), cp


def usage_error(_out, _i):
    cp = launch("run", "--no-such-option", "--", "/bin/true")
    return cp.returncode == 125, cp


def host_network(_out, _i):
    cp = launch("run", "--network", "host", "--", "/bin/true")
    return cp.returncode == 0, cp


def status_on_a_pipe(_out, _i):
    r, w = os.pipe()
    try:
        cp = launch("run", "--status-json", f"fd:{w}", "--", "/bin/true", pass_fds=(w,))
        os.close(w)
        w = -1
        status = os.read(r, 65536)
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
    return cp.returncode == 0 and status.startswith(b"{"), cp


KINDS = [with_limits, timed_out, reported, writable_bind, killed, usage_error, host_network, status_on_a_pipe]


def open_fds():
    return sorted(os.listdir("/proc/self/fd"))


def test_soak_leaves_nothing_behind(hostdir):
    out = hostdir(0o777)
    tmp_before = set(os.listdir("/tmp")) - {os.path.basename(out)}
    cgroups_before = set(leftovers())
    fds_before = open_fds()
    ids_before = host_ids_locked()
    failures = []
    for i in range(LAUNCHES):
        kind = KINDS[i % len(KINDS)]
        ok, cp = kind(out, i)
        if not ok:
            failures.append((i, kind.__name__, cp.returncode, cp.stderr[-300:]))
    assert not failures, failures[:5]
    assert len(os.listdir(out)) == sum(1 for i in range(LAUNCHES) if KINDS[i % len(KINDS)] is writable_bind)
    assert open_fds() == fds_before
    assert set(leftovers()) == cgroups_before
    assert host_ids_given_back(host_ids_locked() - ids_before)      # every host id given back
    # other test runs may come and go in /tmp: what a sandbox could have
    # left there is owned by its host uid (nslaunch itself writes nothing
    # there: a status file's temporary is beside the status file)
    new = [n for n in set(os.listdir("/tmp")) - tmp_before if made_by_a_sandbox(os.path.join("/tmp", n))]
    assert not new, sorted(new)


def made_by_a_sandbox(path):
    try:
        return IS_ROOT and os.lstat(path).st_uid in SANDBOX_IDS
    except FileNotFoundError:
        return False
