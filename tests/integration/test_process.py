"""pid namespace, init duties, timeouts, signals."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import PY, SH, NSLAUNCH, pids_with_cmdline
from test_pool import command_message


def unique_sleep(seconds):
    """A sleep argument unlikely to be used by anything else on the host
    (e.g. '100.0417'), so that other runs cannot disturb our process scans."""
    return "%d.%04d" % (seconds, random.randrange(1, 10000))


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
    # the payload, perhaps init (hidepid may hide it) and a helper: a
    # handful of small numbers.
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
    # Under emulation (the VM matrix) a shell may need more than a second
    # just to start both sleeps; the timeout must leave room to see them.
    timeout = 5 if os.environ.get("NSL_EMULATED") else 1
    marker = ["sleep", unique_sleep(100)]
    before = pids_with_cmdline(marker)
    t0 = time.monotonic()
    p = nsl.popen("run", "--timeout", str(timeout), "--", SH, "-c",
                  "sleep $1 & sleep $1 & wait", "sh", marker[1])
    try:
        seen = set()
        while (len(seen) < 2 and p.poll() is None
               and time.monotonic() - t0 < timeout - 0.1):
            seen = pids_with_cmdline(marker) - before
            time.sleep(0.02)
        assert len(seen) == 2, f"grandchildren not seen running: {seen}"
        p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    elapsed = time.monotonic() - t0
    assert p.returncode == 124, p.returncode
    assert elapsed < timeout + 3, elapsed
    left = pids_with_cmdline(marker) - before
    deadline = time.monotonic() + 0.5
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = pids_with_cmdline(marker) - before
    assert not left, f"{marker} still running after nslaunch returned: {sorted(left)}"


def test_sandbox_dies_when_command_exits(nsl):
    # The payload leaves a background process behind and exits: when CMD
    # (the sandbox's payload) is done, nothing of the sandbox may survive.
    marker = ["sleep", unique_sleep(101)]
    before = pids_with_cmdline(marker)
    cp = nsl.sh(f"sleep {marker[1]} >/dev/null 2>&1 </dev/null & "
                f"sleep 0.2; exit 5", timeout=10)
    assert cp.returncode == 5, cp.stderr
    time.sleep(0.2)
    left = pids_with_cmdline(marker) - before
    assert not left, f"background process survived its sandbox: {sorted(left)}"


def test_nslaunch_exits_with_the_outcome_and_the_rest_ends_by_itself(nsl, hostdir):
    """nslaunch exits once init has reported the command's end, without
    waiting for the kernel's teardown of the namespaces (a sandbox without a
    cgroup): the status is complete then, and what the command left running
    is gone moments later without anyone's help."""
    marker = ["sleep", unique_sleep(103)]
    before = pids_with_cmdline(marker)
    status = os.path.join(hostdir(0o755), "status.json")
    cp = nsl.sh(f"sleep {marker[1]} >/dev/null 2>&1 </dev/null & sleep 0.1; exit 7", "--status-json", status,
                timeout=10)
    assert cp.returncode == 7, cp.stderr
    with open(status) as f:
        result = json.load(f)
    # the CPU time came with init's report: the split between user and
    # system time is sampled at the tick, and either may be 0; their sum is not
    assert result["exit_code"] == 7 and result["cpu_user_ms"] + result["cpu_sys_ms"] > 0, result
    deadline = time.monotonic() + 2
    while pids_with_cmdline(marker) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not pids_with_cmdline(marker) - before, "a process of the sandbox outlived its teardown"


NEVER_REAPS = """
import json, os, socket, subprocess, sys
# pid 1 of its own pid namespace that, like many a container's application,
# waits for its own child only and never reaps an orphan
nslaunch, options = sys.argv[1], sys.argv[2:]
argv = json.loads(os.environ["COMMAND"])
for _ in range(3):
    if "--command-from" not in options:
        subprocess.run([nslaunch, "run", *options, "--", *argv], check=True)
        continue
    # the command on a socket, as the Python client's Pool sends it (the
    # message test_pool.command_message made, in COMMAND_MESSAGE)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    given = [o.replace("FD", str(theirs.fileno())) for o in options]
    p = subprocess.Popen([nslaunch, "run", *given], pass_fds=[theirs.fileno()])
    theirs.close()
    assert ours.recv(16) == b"ready"
    ours.send(bytes.fromhex(os.environ["COMMAND_MESSAGE"]))
    ours.close()
    assert p.wait() == 0
zombies = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    with open(f"/proc/{pid}/stat") as f:
        state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
    if state == "Z" and ppid == "1":
        zombies.append(pid)
print("zombies:", len(zombies))
"""


NEVER_REAPS_COMMAND = ["/bin/sh", "-c", "sleep 30 & exit 0"]


@pytest.mark.skipif(os.geteuid() != 0, reason="a pid namespace of the test's own, made by root")
@pytest.mark.parametrize("options", [[], ["--network", "private"], ["--network", "private", "--command-from", "fd:FD"]],
                         ids=["plain", "private-network", "command-from"])
def test_under_a_pid_1_that_never_reaps_no_zombie_is_left(nsl, options):
    """Neither init nor a private network's proxy (which nslaunch otherwise
    leaves to end as orphans) becomes a zombie of a pid 1 that never reaps."""
    if options and not shutil.which("slirp4netns"):
        pytest.skip("needs Debian's slirp4netns")
    cp = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", NEVER_REAPS, NSLAUNCH,
                         *options], capture_output=True, text=True, timeout=60,
                        env={**os.environ, "COMMAND": json.dumps(NEVER_REAPS_COMMAND),
                             "COMMAND_MESSAGE": command_message(NEVER_REAPS_COMMAND).hex()})
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "zombies: 0\n", cp.stdout


def test_signals_the_caller_ignores_are_default_for_the_command(nsl):
    """An ignored signal survives execve: a caller that ignores some (a
    shell's nohup, a daemon's SIGPIPE) must not hand that on to the plugin.
    cat changes none of them itself."""
    ignored = [signal.SIGHUP, signal.SIGPIPE, signal.SIGUSR1, signal.SIGTERM, signal.SIGRTMIN + 3]

    def ignore():
        for sig in ignored:
            signal.signal(sig, signal.SIG_IGN)

    cp = subprocess.run([NSLAUNCH, "run", "--", "cat", "/proc/self/status"], preexec_fn=ignore,
                        restore_signals=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stderr
    fields = dict(line.split(":\t", 1) for line in cp.stdout.splitlines() if ":\t" in line)
    assert fields["SigIgn"] == "0" * 16, fields["SigIgn"]
    assert fields["SigCgt"] == "0" * 16, fields["SigCgt"]
    assert fields["SigBlk"] == "0" * 16, fields["SigBlk"]


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"])
def test_signal_forwarded_to_payload(nsl, signame):
    code = textwrap.dedent(f"""
        import os, signal, sys, time
        def h(signum, frame):
            os.write(1, b'got ' + signal.Signals(signum).name.encode() + b'\\n')
            os._exit(0)
        signal.signal(signal.{signame}, h)
        print('ready', flush=True)
        # Short sleeps in a loop: a signal that lands between print() and a
        # long sleep() would only run its Python handler after the sleep.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.05)
        print('no signal', flush=True)
        sys.exit(1)
    """)
    p = nsl.popen("run", "--", PY, "-c", code, text=True)
    try:
        line = p.stdout.readline()
        assert line == "ready\n", (line, p.stderr.read() if p.poll() is not None else "")
        t0 = time.monotonic()
        os.kill(p.pid, getattr(signal, signame))
        out, err = p.communicate(timeout=10)
        elapsed = time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert f"got {signame}" in out, (out, err)
    assert p.returncode == 0, (p.returncode, err)
    # under emulation (the VM matrix) Python alone needs a second to exit
    assert elapsed < (8 if os.environ.get("NSL_EMULATED") else 2), f"signal took {elapsed:.2f}s to arrive"



def test_die_with_parent(nsl, tmp_path):
    # A middle process starts nslaunch --die-with-parent and is SIGKILLed:
    # the sandbox (and nslaunch) must go away on their own.
    marker = ["sleep", unique_sleep(102)]
    before = pids_with_cmdline(marker)
    middle = textwrap.dedent(f"""
        import subprocess, sys, time
        p = subprocess.Popen([{NSLAUNCH!r}, 'run', '--die-with-parent', '--',
                              'sleep', {marker[1]!r}])
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


def test_sandbox_dies_when_nslaunch_is_sigkilled(nsl):
    # Whatever happens, the sandbox never outlives nslaunch: SIGKILL gives
    # nslaunch no chance to clean up, so this rests on the kernel (init's
    # parent-death signal and the pid namespace dying with init).
    marker = ["sleep", unique_sleep(103)]
    before = pids_with_cmdline(marker)
    p = subprocess.Popen([NSLAUNCH, "run", "--", "sh", "-c", f"sleep {marker[1]} & sleep {marker[1]}; wait"],
                         stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while len(pids_with_cmdline(marker) - before) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(pids_with_cmdline(marker) - before) == 2, "sandbox payload never started"
        p.kill()
        p.wait()
        deadline = time.monotonic() + 3
        while pids_with_cmdline(marker) - before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not (pids_with_cmdline(marker) - before), "sandbox outlived nslaunch"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
