"""An import that is stopped leaves nothing behind: SIGINT, SIGTERM or
SIGHUP make it remove its temporary directory before it ends by that
signal; the remains of one that was killed (SIGKILL) are removed by the
next import to the same destination, and never while their import runs."""

import fcntl
import os
import re
import shutil
import signal
import tarfile
import tempfile
import time

import pytest

from rootfs_images import IS_ROOT, entry, make_layout, tar_bytes

FILES = 15000
TEMP = re.compile(r"^\.mine\.import-[0-9a-f]{16}$")


@pytest.fixture(scope="module")
def big_layout():
    """One layer of many empty files: unpacking takes long enough to be
    caught in the middle."""
    top = tempfile.mkdtemp(prefix="nsl-it-big-", dir="/tmp")
    layout = os.path.join(top, "layout")
    entries = [entry("d/", tarfile.DIRTYPE)] + [entry(f"d/f{i}") for i in range(FILES)]
    make_layout(layout, [tar_bytes(entries, fmt=tarfile.GNU_FORMAT)])
    yield layout
    shutil.rmtree(top)


def temps(top):
    return [n for n in os.listdir(top) if TEMP.match(n) or ".importing-" in n]


def start_and_catch_unpacking(nsl, layout, top):
    p = nsl.popen("rootfs", "import", layout, os.path.join(top, "mine"), text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and p.poll() is None:
        found = [n for n in os.listdir(top) if TEMP.match(n)]
        if found and len(os.listdir(os.path.join(top, found[0]))) > 0:
            return p, found[0]
        time.sleep(0.005)
    p.kill()
    p.communicate()
    pytest.fail("the import was never seen unpacking")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_stopped_import_removes_what_it_wrote(nsl, hostdir, big_layout, sig):
    top = hostdir()
    p, temp = start_and_catch_unpacking(nsl, big_layout, top)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == -sig, (p.returncode, err)
    assert err.strip() == f"nslaunch: import: {top}/mine: stopped by {sig.name}", err
    assert os.listdir(top) == []


def test_killed_import_is_cleaned_up_by_the_next(nsl, hostdir, big_layout):
    top = hostdir()
    p, temp = start_and_catch_unpacking(nsl, big_layout, top)
    p.kill()
    p.communicate(timeout=60)
    assert temps(top) == [temp]
    cp = nsl("rootfs", "import", big_layout, os.path.join(top, "mine"), timeout=120)
    assert cp.returncode == 0, cp.stderr
    assert cp.stderr == f"nslaunch: warning: removed {temp}, left by an import that was killed\n"
    assert sorted(os.listdir(top)) == ["mine", "mine.image.json"]
    assert len(os.listdir(os.path.join(top, "mine", "d"))) == FILES


def test_running_import_is_not_disturbed(nsl, hostdir, big_layout):
    # A temporary directory whose import still runs holds a lock: a second
    # import to the same destination leaves it alone.
    top = hostdir()
    busy = os.path.join(top, ".mine.import-0123456789abcdef")
    os.mkdir(busy, 0o700)
    fd = os.open(busy, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        cp = nsl("rootfs", "import", big_layout, os.path.join(top, "mine"), timeout=120)
        assert cp.returncode == 0, cp.stderr
        assert cp.stderr == ""
        assert os.path.isdir(busy)
    finally:
        os.close(fd)
        os.rmdir(busy)


@pytest.mark.skipif(not IS_ROOT, reason="needs a directory owned by another user")
def test_other_users_remains_are_not_removed(nsl, hostdir, big_layout):
    top = hostdir()
    theirs = os.path.join(top, ".mine.import-fedcba9876543210")
    os.mkdir(theirs, 0o700)
    os.chown(theirs, 65534, 65534)
    cp = nsl("rootfs", "import", big_layout, os.path.join(top, "mine"), timeout=120)
    assert cp.returncode == 0, cp.stderr
    assert os.path.isdir(theirs)
    os.rmdir(theirs)
