"""pid namespace, init duties, timeouts, signals."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import PY, SH, NSLAUNCH, pids_with_cmdline, descendants


def test_payload_parent_is_pid1(nsl):
    cp = nsl.sh("echo $PPID")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip() == "1"


def test_no_host_process_visible(nsl):
    code = "import os; print(' '.join(p for p in os.listdir('/proc') if p.isdigit()))"
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    pids = sorted(int(p) for p in cp.stdout.split())
    assert pids, "no pid at all in /proc"
    assert 1 in pids
    # init, the payload and perhaps a helper: a handful of small numbers.
    assert len(pids) <= 4, pids
    assert max(pids) < 20, pids
    if os.getpid() >= 20:
        assert os.getpid() not in pids


def test_namespaces_are_new(nsl):
    kinds = ["user", "mnt", "pid", "ipc", "uts", "cgroup", "net"]
    code = ("import os\n"
            f"for k in {kinds!r}: print(k, os.readlink('/proc/self/ns/' + k))")
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    inside = dict(line.split() for line in cp.stdout.splitlines())
    for k in kinds:
        host = os.readlink(f"/proc/self/ns/{k}")
        assert inside[k] != host, f"{k} namespace is shared with the host: {host}"


def test_zombies_are_reaped(nsl):
    code = textwrap.dedent("""
        import os, sys, time
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            if os.fork() == 0:          # grandchild: orphaned, then exits
                os.close(r)
                time.sleep(0.2)
                os.write(w, b"%d" % os.getppid())
                os._exit(0)
            os._exit(0)                 # child exits at once
        os.close(w)
        os.waitpid(pid, 0)
        orphan_ppid = os.read(r, 64).decode()
        time.sleep(0.4)
        zombies = []
        for p in os.listdir('/proc'):
            if not p.isdigit():
                continue
            try:
                st = open('/proc/%s/stat' % p).read()
            except OSError:
                continue
            if st.rsplit(')', 1)[1].split()[0] == 'Z':
                zombies.append(p)
        print('orphan-ppid', orphan_ppid)
        print('zombies', sorted(zombies))
    """)
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    assert "orphan-ppid 1\n" in cp.stdout, cp.stdout
    assert "zombies []\n" in cp.stdout, cp.stdout


def test_timeout_kills_grandchildren(nsl):
    marker = ["sleep", "100"]
    before = pids_with_cmdline(marker)
    t0 = time.monotonic()
    cp = nsl.run("--timeout", "0.5", cmd=[SH, "-c", "sleep 100 & sleep 100 & wait"])
    elapsed = time.monotonic() - t0
    assert cp.returncode == 124, (cp.returncode, cp.stderr)
    assert elapsed < 4, elapsed
    left = pids_with_cmdline(marker) - before
    deadline = time.monotonic() + 0.5
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = pids_with_cmdline(marker) - before
    assert not left, f"'sleep 100' still running after nslaunch returned: {sorted(left)}"


def test_sandbox_dies_when_command_exits(nsl):
    # The payload leaves a background process behind and exits: when CMD
    # (the sandbox's payload) is done, nothing of the sandbox may survive.
    marker = ["sleep", "101"]
    before = pids_with_cmdline(marker)
    cp = nsl.sh("sleep 101 >/dev/null 2>&1 </dev/null & exit 5", timeout=10)
    assert cp.returncode == 5, cp.stderr
    time.sleep(0.2)
    left = pids_with_cmdline(marker) - before
    assert not left, f"background process survived its sandbox: {sorted(left)}"


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"])
def test_signal_forwarded_to_payload(nsl, signame):
    code = textwrap.dedent(f"""
        import signal, sys, time
        def h(signum, frame):
            print('got', signal.Signals(signum).name, flush=True)
            sys.exit(0)
        signal.signal(signal.{signame}, h)
        print('ready', flush=True)
        time.sleep(20)
        print('no signal', flush=True)
        sys.exit(1)
    """)
    p = nsl.popen("run", "--", PY, "-c", code, text=True)
    try:
        line = p.stdout.readline()
        assert line == "ready\n", (line, p.stderr.read() if p.poll() is not None else "")
        os.kill(p.pid, getattr(signal, signame))
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert f"got {signame}" in out, (out, err)
    assert p.returncode == 0, (p.returncode, err)


def test_die_with_parent(nsl, tmp_path):
    # A middle process starts nslaunch --die-with-parent and is SIGKILLed:
    # the sandbox (and nslaunch) must go away on their own.
    marker = ["sleep", "102"]
    before = pids_with_cmdline(marker)
    middle = textwrap.dedent(f"""
        import subprocess, sys, time
        p = subprocess.Popen([{NSLAUNCH!r}, 'run', '--die-with-parent', '--',
                              'sleep', '102'])
        print(p.pid, flush=True)
        time.sleep(60)
    """)
    mid = subprocess.Popen([sys.executable, "-c", middle], stdout=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, text=True)
    try:
        nsl_pid = int(mid.stdout.readline())
        deadline = time.monotonic() + 5
        while not (pids_with_cmdline(marker) - before) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pids_with_cmdline(marker) - before, "sandbox payload never started"
        mid.kill()
        mid.wait()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            left = pids_with_cmdline(marker) - before
            st = None
            try:
                with open(f"/proc/{nsl_pid}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                pass
            if not left and st in (None, "Z"):
                break
            time.sleep(0.05)
        assert not left, f"sandbox survived its caller's death: {sorted(left)}"
    finally:
        if mid.poll() is None:
            mid.kill()
            mid.wait()
