"""Hostile --rootfs contents: symlinks must never take a mount, a mkdir or a
write out of the rootfs onto the host.

(The /proc and /dev variants live in tests/attacks, test_fake_proc.py and
test_dev.py.)  Every test here runs nslaunch against a rootfs prepared by an attacker and
then checks the host: the autouse guard checks the host's mountinfo, and each
test checks that the host directory the symlinks point at is untouched.  The
sandbox may refuse (125) or confine the operation to the rootfs; either is
fine, escaping is not.
"""

import os
import stat

import pytest

from conftest import PY, SH, ROOTFS_MARKER, mounts_under, tree_snapshot, stderr_lines

# Payload prologue: exit 99 unless running inside the test rootfs.
IN_ROOTFS = f"test -e {ROOTFS_MARKER} || exit 99; "
PY_IN_ROOTFS = f"import os, sys\nif not os.path.exists({ROOTFS_MARKER!r}): sys.exit(99)\n"


def assert_refused_or_ran(cp, word=None):
    """125 with one line (naming `word`), or the payload ran in the rootfs."""
    if cp.returncode == 125:
        lines = stderr_lines(cp)
        assert len(lines) == 1 and lines[0].startswith("nslaunch: "), lines
        if word:
            assert word in lines[0], lines[0]
        return False
    assert cp.returncode == 0, (cp.returncode, cp.stdout, cp.stderr)
    return True


def decoy(hostdir):
    """A host directory the attacker wants to reach; writable by anyone so
    that only the sandbox can stop a write."""
    d = hostdir(0o777, prefix="nsl-decoy-")
    with open(os.path.join(d, "keep"), "w") as f:
        f.write("original\n")
    os.chmod(os.path.join(d, "keep"), 0o666)
    return d


def assert_untouched(d, before):
    assert not mounts_under(d), f"something mounted on host {d}"
    assert os.path.ismount(d) is False
    after = tree_snapshot(d)
    assert after == before, f"host dir {d} changed: {before} -> {after}"
    with open(os.path.join(d, "keep")) as f:
        assert f.read() == "original\n"


@pytest.mark.parametrize("kind", ["absolute", "root", "relative"])
@pytest.mark.parametrize("option", ["--tmpfs", "--bind", "--ro-bind"])
def test_mount_target_symlink(nsl, rootfs, hostdir, kind, option):
    d = decoy(hostdir)
    src = hostdir(0o755, prefix="nsl-src-")
    with open(os.path.join(src, "from-src"), "w") as f:
        f.write("src\n")
    r, opts = rootfs(skip=())
    link = os.path.join(r, "data")
    if kind == "absolute":          # data -> /tmp/nsl-decoy-XXX
        os.symlink(d, link)
        dest = "/data/sub"
    elif kind == "root":            # data -> /, dest /data/tmp/nsl-decoy-XXX/sub
        os.symlink("/", link)
        dest = "/data" + d + "/sub"
    else:                           # data -> ../../../../../../.. (escapes on the host)
        os.symlink("../" * 12, link)
        dest = "/data" + d + "/sub"
    before = tree_snapshot(d)
    if option == "--tmpfs":
        mount = [option, dest]
    else:
        mount = [option, f"{src}:{dest}"]
    script = IN_ROOTFS + f"ls {dest}; echo pwned > {dest}/written 2>/dev/null; true"
    cp = nsl.sh(script, *opts, *mount)
    assert_untouched(d, before)
    assert not os.path.exists(os.path.join(src, "written")) or option == "--bind"
    assert_refused_or_ran(cp)


def test_tmp_symlink_to_host(nsl, rootfs, hostdir):
    d = decoy(hostdir)
    r, opts = rootfs(skip=("tmp",))
    os.symlink(d, os.path.join(r, "tmp"))
    before = tree_snapshot(d)
    cp = nsl.sh(IN_ROOTFS + "echo pwned > /tmp/written; ls /tmp; true", *opts)
    assert_untouched(d, before)
    assert_refused_or_ran(cp)


def test_rootfs_mountpoint_symlink_for_usr_bind(nsl, rootfs, hostdir):
    # The rootfs's usr is itself a symlink to a host directory: the
    # --ro-bind /usr:/usr of the options must not land on the host.
    d = decoy(hostdir)
    r, opts = rootfs(skip=("usr",))
    os.symlink(d, os.path.join(r, "usr"))
    before = tree_snapshot(d)
    cp = nsl.sh(IN_ROOTFS + "true", *opts)
    assert_untouched(d, before)
    # With /usr gone the shell may well not be found (127); what matters is
    # the host.  99 would mean the payload ran outside the rootfs.
    if cp.returncode != 127:
        assert_refused_or_ran(cp)
