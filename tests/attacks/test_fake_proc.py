"""Fake /proc in the image (runc CVE-2019-16884, GHSA-fgv8-vj5c-2ppq: a
volume over /proc with fake attr files disabled the AppArmor profile; and
CVE-2023-27561, the same through a symlinked /proc): whatever the rootfs
holds at /proc or /sys, and whatever is asked to be mounted there, the
payload gets a real procfs or nothing runs."""

import os
import subprocess

import pytest

from conftest import IS_ROOT, NSLAUNCH, ROOTFS_MARKER, mounts_under, stderr_lines, tree_snapshot

PROC_SUPER_MAGIC = 0x9FA0
# Runs inside: prints the fs magic of /proc and whether the fake marker is seen.
CHECK = (f"import os, sys, ctypes\nif not os.path.exists({ROOTFS_MARKER!r}): sys.exit(99)\n"
         "buf = ctypes.create_string_buffer(120)\n"
         "libc = ctypes.CDLL(None, use_errno=True)\n"
         "assert libc.statfs(b'/proc', buf) == 0\n"
         "print(hex(int.from_bytes(buf.raw[:8], 'little')))\n"
         "print(open('/proc/self/status').read().split('\\n')[0])\n"
         "print(os.path.exists('/proc/FAKE'), os.path.exists('/proc/self/FAKE'))\n")


def decoy(hostdir):
    d = hostdir(0o777, prefix="nsl-decoy-")
    with open(os.path.join(d, "FAKE"), "w") as f:
        f.write("fake\n")
    os.chmod(os.path.join(d, "FAKE"), 0o666)
    return d


def fake_proc_tree(path):
    """A /proc full of fake files, as an attacker's image would ship it."""
    for sub in ("self/attr", "1/attr", "sys/kernel", "self/fd"):
        os.makedirs(os.path.join(path, sub), exist_ok=True)
    for f in ("FAKE", "self/FAKE", "self/status", "self/attr/exec", "self/attr/current",
              "sys/kernel/core_pattern", "self/uid_map", "self/setgroups"):
        with open(os.path.join(path, f), "w") as fh:
            fh.write("fake\n")


def assert_real_proc_or_refused(cp, word="proc"):
    if cp.returncode == 125:
        lines = stderr_lines(cp)
        assert len(lines) == 1 and lines[0].startswith("nslaunch: ") and word in lines[0], lines
        return
    assert cp.returncode == 0, (cp.returncode, cp.stdout, cp.stderr)
    magic, status, fakes = cp.stdout.splitlines()
    assert int(magic, 16) == PROC_SUPER_MAGIC, cp.stdout
    assert status.startswith("Name:"), cp.stdout
    assert fakes == "False False", cp.stdout


@pytest.mark.parametrize("variant", ["fake-files", "a-file", "symlink-in-rootfs", "symlink-to-host"])
def test_fake_proc_in_rootfs(nsl, rootfs, hostdir, variant):
    d = decoy(hostdir)
    r, opts = rootfs(skip=("proc",), extra_dirs=("fakeproc",))
    fake_proc_tree(os.path.join(r, "fakeproc"))
    if variant == "fake-files":
        os.mkdir(os.path.join(r, "proc"))
        fake_proc_tree(os.path.join(r, "proc"))
    elif variant == "a-file":
        with open(os.path.join(r, "proc"), "w") as f:
            f.write("fake\n")
    elif variant == "symlink-in-rootfs":
        os.symlink("/fakeproc", os.path.join(r, "proc"))
    else:
        os.symlink(d, os.path.join(r, "proc"))
    before_rootfs, before_d = tree_snapshot(r), tree_snapshot(d)
    for opts2 in ([], ["--proc", "full"]):
        cp = nsl.py(CHECK, *opts, *opts2)
        assert_real_proc_or_refused(cp)
    assert tree_snapshot(d) == before_d and not mounts_under(d)
    assert tree_snapshot(r) == before_rootfs, "the image's files changed"


@pytest.mark.parametrize("variant", ["symlink-to-host", "symlink-to-proc", "symlink-to-fake"])
def test_sys_symlink(nsl, rootfs, hostdir, variant):
    d = decoy(hostdir)
    r, opts = rootfs(extra_dirs=("fakeproc",))
    fake_proc_tree(os.path.join(r, "fakeproc"))
    target = {"symlink-to-host": d, "symlink-to-proc": "/proc", "symlink-to-fake": "/fakeproc"}[variant]
    os.symlink(target, os.path.join(r, "sys"))
    before_d = tree_snapshot(d)
    cp = nsl.py(CHECK + "print(sorted(os.listdir('/sys'))[:3] if os.path.isdir('/sys') else 'nosys')\n", *opts)
    if cp.returncode == 0:
        cp.stdout = "\n".join(cp.stdout.splitlines()[:3]) + "\n"
    assert_real_proc_or_refused(cp)
    assert tree_snapshot(d) == before_d and not mounts_under(d)


# A bind, a read-only bind or a tmpfs asked for at /proc or below it: the
# "volume over /proc" of CVE-2019-16884.
@pytest.mark.parametrize("mount", ["--bind", "--ro-bind", "--tmpfs"])
@pytest.mark.parametrize("dest", ["/proc", "/proc/self", "/proc/self/attr", "//proc/./"])
def test_mount_requested_onto_proc(nsl, hostdir, mount, dest):
    d = decoy(hostdir)
    fake_proc_tree(d)
    before = tree_snapshot(d)
    arg = dest if mount == "--tmpfs" else f"{d}:{dest}"
    cp = nsl.py(CHECK.replace(f"if not os.path.exists({ROOTFS_MARKER!r}): sys.exit(99)\n", ""), mount, arg)
    assert_real_proc_or_refused(cp)
    assert tree_snapshot(d) == before


# The launcher's own procfs handles (CVE-2019-16884's lesson, the procfs
# checks runc added after it): nslaunch writes the sandbox's uid_map,
# gid_map and setgroups through the host's /proc.  Started in a mount
# namespace where /proc is a tmpfs or a bind of a directory of fake files,
# it must refuse instead of writing through them.
@pytest.mark.skipif(not IS_ROOT, reason="needs a private mount namespace with a fake /proc (root)")
@pytest.mark.parametrize("fake", ["tmpfs", "bind"])
def test_launcher_refuses_a_fake_host_proc(nsl, hostdir, fake):
    with open(NSLAUNCH, "rb") as f:
        if b"__asan_init" in f.read():
            pytest.skip("a sanitizer runtime needs the real /proc itself")
    d = decoy(hostdir)
    fake_proc_tree(d)
    before = tree_snapshot(d)
    setup = "mount -t tmpfs none /proc" if fake == "tmpfs" else f"mount --bind {d} /proc"
    cp = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                         f'{setup} && exec "$0" run -- /bin/true', NSLAUNCH],
                        capture_output=True, text=True, timeout=30)
    assert cp.returncode == 125, (cp.returncode, cp.stderr)
    lines = stderr_lines(cp)
    assert len(lines) == 1 and "procfs" in lines[0], lines
    assert tree_snapshot(d) == before
    with open(os.path.join(d, "self", "uid_map")) as f:
        assert f.read() == "fake\n"
