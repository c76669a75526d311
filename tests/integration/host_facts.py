"""Facts about the machine the tests run on, shared by tests/integration and
tests/engines (whose conftest puts this directory on the module path)."""

import os


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
