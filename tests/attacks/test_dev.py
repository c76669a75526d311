"""/dev tricks in the image.

runc CVE-2025-31133 (GHSA-9493-h29p-rfm2): the runtime masked /proc files by
bind-mounting the container's /dev/null over them; an image whose /dev/null
was a symlink (or got raced into one) made it bind a writable procfs file
instead.  CVE-2025-52565 (GHSA-qw9x-cqr3-wc7r): the same with the
/dev/console bind.  CVE-2025-52881 (GHSA-cgrx-mc8f-2prm): writes the
runtime meant for procfs redirected elsewhere.  And a /dev symlink in the
image (CVE-2026-41579 class): the runtime's device setup followed it out.

nslaunch mounts a fresh tmpfs at /dev (resolved without symlinks) and binds
the host's own devices into it, checked by major:minor; masks come from the
host's /dev/null.  So whatever the image holds at /dev is never used."""

import os

import pytest

from conftest import ROOTFS_MARKER, mounts_under, stderr_lines, tree_snapshot

PY_IN_ROOTFS = f"import os, sys, stat\nif not os.path.exists({ROOTFS_MARKER!r}): sys.exit(99)\n"
SECRET = "root:secret-hash:19000::::::\n"


def decoy(hostdir):
    d = hostdir(0o777, prefix="nsl-decoy-")
    path = os.path.join(d, "shadow")
    with open(path, "w") as f:
        f.write(SECRET)
    os.chmod(path, 0o666)           # only the sandbox can stop a write
    return d, path


def assert_refused_or_ran(cp):
    if cp.returncode == 125:
        lines = stderr_lines(cp)
        assert len(lines) == 1 and lines[0].startswith("nslaunch: "), lines
        return False
    assert cp.returncode == 0, (cp.returncode, cp.stdout, cp.stderr)
    return True


# Inside: write to /dev/null, /dev/console, /dev/pts/ptmx, /dev/ptmx; report
# what /dev/null is.
WRITE_DEVS = (PY_IN_ROOTFS +
              "for p in ('/dev/null', '/dev/console', '/dev/pts/0', '/dev/full', '/dev/tty0'):\n"
              "    try:\n"
              "        fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY); os.write(fd, b'pwned\\n'); os.close(fd)\n"
              "    except OSError:\n"
              "        pass\n"
              "st = os.stat('/dev/null')\n"
              "print(stat.S_ISCHR(st.st_mode), os.major(st.st_rdev), os.minor(st.st_rdev), os.path.exists('/dev/console'))\n")


@pytest.mark.parametrize("variant", ["symlink-abs", "symlink-rel", "regular", "fifo", "missing",
                                     "console-symlink", "pts-symlink", "ptmx-symlink", "dev-symlink"])
def test_hostile_dev_entries(nsl, rootfs, hostdir, variant):
    d, shadow = decoy(hostdir)
    r, opts = rootfs(skip=("dev",) if variant == "dev-symlink" else ())
    dev = os.path.join(r, "dev")
    rel = "../" * 12 + shadow.lstrip("/")
    if variant == "symlink-abs":
        os.symlink(shadow, os.path.join(dev, "null"))
    elif variant == "symlink-rel":
        os.symlink(rel, os.path.join(dev, "null"))
    elif variant == "regular":
        with open(os.path.join(dev, "null"), "w") as f:
            f.write("image file\n")
    elif variant == "fifo":
        os.mkfifo(os.path.join(dev, "null"))
    elif variant == "console-symlink":
        os.symlink(shadow, os.path.join(dev, "console"))
    elif variant == "pts-symlink":
        os.symlink(d, os.path.join(dev, "pts"))
    elif variant == "ptmx-symlink":
        os.symlink(shadow, os.path.join(dev, "ptmx"))
    elif variant == "dev-symlink":
        os.symlink(d, dev)
    before_d = tree_snapshot(d)
    before_r = tree_snapshot(r)
    cp = nsl.py(WRITE_DEVS, *opts)
    with open(shadow) as f:
        assert f.read() == SECRET, "the host file was written through the image's /dev"
    assert tree_snapshot(d) == before_d and not mounts_under(d)
    assert tree_snapshot(r) == before_r, "the image's /dev changed"
    if assert_refused_or_ran(cp):
        assert cp.stdout == "True 1 3 False\n", cp.stdout   # the real /dev/null, no console


# CVE-2025-31133 with --proc full: masks made from the image's /dev/null
# would, with /dev/null -> /proc/sys/kernel/core_pattern, unmask it.  The
# payload checks every masked path is still masked, and tries to write
# the kernel tunables (the same value core_pattern already has: harmless).
MASKED_CHECK = (PY_IN_ROOTFS +
                "core = open('/proc/sys/kernel/core_pattern').read()\n"
                "for p in ('kcore', 'keys', 'timer_list', 'sched_debug', 'kmsg', 'sysrq-trigger', 'latency_stats'):\n"
                "    path = '/proc/' + p\n"
                "    if not os.path.lexists(path):\n"
                "        print(p, 'absent'); continue\n"
                "    st = os.stat(path)\n"
                "    data = open(path, 'rb').read(64) if stat.S_ISCHR(st.st_mode) else b'?'\n"
                "    print(p, 'null' if (stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 3 and data == b'') else 'OPEN')\n"
                "for p in ('/proc/sys/kernel/core_pattern', '/proc/sys/kernel/sysrq'):\n"
                "    try:\n"
                "        fd = os.open(p, os.O_WRONLY); os.write(fd, open(p, 'rb').read()); os.close(fd); print(p, 'WRITTEN')\n"
                "    except OSError as e:\n"
                "        print(p, 'refused')\n"
                "for p in ('acpi', 'scsi'):\n"
                "    path = '/proc/' + p\n"
                "    print(p, 'absent' if not os.path.lexists(path) else ('empty' if not os.listdir(path) else 'OPEN'))\n")


@pytest.mark.parametrize("null", ["core_pattern", "sysrq", "host-file"])
def test_masked_paths_stay_masked(nsl, rootfs, hostdir, null):
    d, shadow = decoy(hostdir)
    r, opts = rootfs()
    target = {"core_pattern": "/proc/sys/kernel/core_pattern", "sysrq": "/proc/sysrq-trigger",
              "host-file": shadow}[null]
    os.symlink(target, os.path.join(r, "dev", "null"))
    with open("/proc/sys/kernel/core_pattern") as f:
        core_before = f.read()
    cp = nsl.py(MASKED_CHECK, *opts, "--proc", "full")
    with open("/proc/sys/kernel/core_pattern") as f:
        assert f.read() == core_before
    with open(shadow) as f:
        assert f.read() == SECRET
    assert cp.returncode == 0, (cp.stdout, cp.stderr)
    res = dict(line.split() for line in cp.stdout.splitlines())
    assert "OPEN" not in res.values() and "WRITTEN" not in res.values(), res
    # what this kernel has is there, masked (the precondition: some are)
    present = [p for p in ("kcore", "keys", "timer_list", "sched_debug", "kmsg", "sysrq-trigger", "latency_stats")
               if os.path.lexists("/proc/" + p)]
    assert present
    for p in present:
        assert res[p] == "null", (p, res)
