"""Mountpoints a --rootfs image lacks (issue 15, item 4).

The image is read-only (and, run by root, not the sandbox user's to write):
a missing bind or tmpfs target is made in a tmpfs spliced over its parent
(the image's root included) with the parent's entries bound back; the image
itself is never written.  Where even that cannot work, one line says how to
fix the image.  Runs as root and rootless.
"""

import os

import pytest

from conftest import IS_ROOT, ROOTFS_MARKER, assert_one_error_line, tree_snapshot


def _file(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_missing_top_level_bind_target(nsl, rootfs, hostdir):
    root, opts = rootfs()
    out = hostdir(0o777)
    before = tree_snapshot(root)
    cp = nsl.sh(f"cat {ROOTFS_MARKER} && echo written > /out/result && ls -A /",
                *opts, "--bind", f"{out}:/out")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith("this is the test rootfs\n")
    # the image's other entries are all still there
    assert set(cp.stdout.split("\n")[1:]) >= {"out", "usr", "etc", "proc", "dev", "tmp", ROOTFS_MARKER[1:]}
    with open(os.path.join(out, "result")) as f:
        assert f.read() == "written\n"
    assert tree_snapshot(root) == before


def test_missing_nested_targets(nsl, rootfs, hostdir):
    root, opts = rootfs()
    out = hostdir(0o777)
    before = tree_snapshot(root)
    cp = nsl.sh("echo a > /out/a/b/f && echo t > /scratch/x/y/f && echo e > /etc/new/dir/f && cat /out/a/b/f "
                "/scratch/x/y/f /etc/new/dir/f && cat /etc/passwd >/dev/null && echo passwd-ok",
                *opts, "--bind", f"{out}:/out/a/b", "--tmpfs", "/scratch/x/y", "--tmpfs", "/etc/new/dir")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "a\nt\ne\npasswd-ok\n"
    assert tree_snapshot(root) == before


def test_missing_file_targets(nsl, rootfs, hostdir):
    root, opts = rootfs()
    src = _file(hostdir(0o755), "app.conf", "setting=1\n")
    os.chmod(src, 0o644)
    before = tree_snapshot(root)
    cp = nsl.sh("cat /etc/app.conf /config/app/app.conf; test -f /etc/app.conf && echo file",
                *opts, "--ro-bind", f"{src}:/etc/app.conf", "--ro-bind", f"{src}:/config/app/app.conf")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "setting=1\nsetting=1\nfile\n"
    assert tree_snapshot(root) == before


def test_spliced_directories_stay_read_only(nsl, rootfs, hostdir):
    root, opts = rootfs()
    before = tree_snapshot(root)
    cp = nsl.sh("for p in /new-top /etc/new-file /usr/x /scratch/new; do touch $p 2>/dev/null && echo wrote $p; done; "
                "echo done", *opts, "--tmpfs", "/scratch/a", "--tmpfs", "/etc/sub/dir")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "done\n"
    assert tree_snapshot(root) == before


def test_image_without_proc_and_dev(nsl, rootfs):
    root, opts = rootfs(skip=("proc", "dev"))
    before = tree_snapshot(root)
    cp = nsl.sh("test -r /proc/self/status && test -c /dev/null && echo ok", *opts)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "ok\n"
    assert tree_snapshot(root) == before


def test_rw_root_writable_by_the_sandbox_user_is_written(nsl, rootfs, hostdir):
    """--rw-root asks for a writable image: where the sandbox user may write
    it, the mountpoint is made in it as before."""
    root, opts = rootfs()
    if IS_ROOT:     # the image's owner, named: a sandbox's own host id is another each launch
        os.chown(root, 65534, 65534)
        opts = [*opts, "--host-uid", "65534", "--host-gid", "65534"]
    out = hostdir(0o777)
    cp = nsl.sh("true", *opts, "--rw-root", "--bind", f"{out}:/out")
    assert cp.returncode == 0, cp.stderr
    assert os.path.isdir(os.path.join(root, "out"))


@pytest.mark.skipif(not IS_ROOT, reason="rootless, init may list its own user's 0111 directory (CAP_DAC_OVERRIDE "
                    "in its namespace)")
def test_where_a_splice_cannot_work_the_line_says_how_to_fix_the_image(nsl, rootfs):
    root, opts = rootfs(extra_dirs=("opt",))
    os.chmod(os.path.join(root, "opt"), 0o111)     # searchable, but nobody may list it
    cp = nsl.sh("true", *opts, "--tmpfs", "/opt/cache")
    assert cp.returncode == 125
    assert assert_one_error_line(cp) == (
        "nslaunch: mount: /opt/cache: mountpoint is missing in the --rootfs image and cannot be made in /opt: "
        "create it in the image (mkdir -p, or touch for a file): Permission denied")
    assert os.listdir(os.path.join(root, "opt")) == []
