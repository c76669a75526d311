"""Overwriting the launcher's binary from inside (runc CVE-2019-5736,
GHSA-gxmr-w5mj-v8hh): the container process opened the runtime's binary
through /proc/PID/exe (or a leaked fd) and wrote to it once the runtime had
exited, so the next container start ran the attacker's code as root."""

import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import NSLAUNCH, descendants


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def writable_maps_of(pid, path):
    """(mappings of `path` in pid, the shared writable ones among them), or
    None if pid's maps are unreadable.  A private rw-p mapping (the binary's
    data segment) is copy-on-write and cannot reach the file; a shared
    writable one (rw-s) would write the binary."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    mine = [l for l in lines if l.endswith(path)]
    return mine, [l for l in mine if l.split()[1][1] == "w" and l.split()[1][3] == "s"]


# CVE-2019-5736: the payload sweeps every /proc/*/exe and /proc/*/fd/* (and
# reopens O_PATH handles through /proc/self/fd) for writing, in a loop,
# while more sandboxes start from the same binary; the binary is mode 0777
# on the host so that only the sandbox's isolation can protect it.
@pytest.mark.parametrize("proc", ["pid", "full"])
def test_launcher_binary_cannot_be_overwritten(nsl, progs, hostdir, proc):
    d = hostdir(0o755, prefix="nsl-victim-")
    victim = os.path.join(d, "nslaunch")
    shutil.copy(NSLAUNCH, victim)
    os.chmod(victim, 0o777)
    os.close(os.open(victim, os.O_WRONLY))      # the precondition: writable to anyone on the host
    before = digest(victim)
    st = os.stat(victim)

    attacker = subprocess.Popen(
        [victim, "run", "--proc", proc, "--ro-bind", f"{progs['dir']}:/attack", "--",
         "/attack/overwrite", str(st.st_dev), str(st.st_ino), "3"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    starts = maps_checked = 0
    bad = []
    try:
        while attacker.poll() is None:
            cp = subprocess.run([victim, "run", "--", "/bin/true"], capture_output=True, text=True, timeout=15)
            assert cp.returncode == 0, cp.stderr
            starts += 1
            for pid in [attacker.pid, *descendants(attacker.pid)]:
                m = writable_maps_of(pid, victim)
                if m is not None and m[0]:
                    maps_checked += 1
                    bad += m[1]
        out, err = attacker.communicate(timeout=15)
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()
    assert attacker.returncode == 0, err
    assert "HIT" not in out, out
    tries, hits = int(out.split()[-3]), int(out.split()[-1])
    assert hits == 0 and tries > 100, out
    assert starts > 0
    assert maps_checked > 0, "no process mapping the binary could be inspected"
    assert not bad, f"the launcher's binary is mapped shared and writable: {bad[:3]}"
    assert digest(victim) == before, "the launcher's binary changed on the host"
