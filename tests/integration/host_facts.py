"""Facts about the machine the tests run on, shared by tests/integration and
tests/engines (whose conftest puts this directory on the module path)."""

import contextlib
import os
import pwd
import subprocess
import time


def systemd_is_init():
    """systemd is pid 1, with its private socket (tests/vm: NSL_VM_SYSTEMD=1)."""
    with open("/proc/1/comm") as f:
        return f.read().strip() == "systemd" and os.path.exists("/run/systemd/private")


def whole_disk(path):
    """(node, major, minor) of the whole disk path's filesystem is on (I/O
    throttles take whole disks, not partitions); None when it is on no block
    device, or the disk has no node in /dev."""
    dev = os.stat(path).st_dev
    sys_dev = f"/sys/dev/block/{os.major(dev)}:{os.minor(dev)}"
    if os.major(dev) == 0 or not os.path.exists(sys_dev):
        return None
    if os.path.exists(f"{sys_dev}/partition"):
        sys_dev = os.path.join(os.path.realpath(sys_dev), "..")
    node = "/dev/" + os.path.basename(os.path.realpath(sys_dev))
    major, minor = open(f"{sys_dev}/dev").read().split(":")
    return (node, int(major), int(minor)) if os.path.exists(node) else None


@contextlib.contextmanager
def unprivileged_user(name="nsltest"):
    """The test user's passwd entry: made where the machine has none, and then
    removed afterwards with its home, as tests/test-user.sh does for the shell
    runners. userdel refuses (8) while a process of the user is left, such as
    one just killed: it is asked again for up to 5 s."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = None
    if entry:
        yield entry
        return
    subprocess.run(["useradd", "-m", name], check=True, capture_output=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        for _ in range(50):
            removed = subprocess.run(["userdel", "-r", name], capture_output=True, text=True)
            if removed.returncode != 8:
                break
            time.sleep(0.1)
        assert removed.returncode == 0, f"userdel -r {name}: {removed.stderr.strip()}"
