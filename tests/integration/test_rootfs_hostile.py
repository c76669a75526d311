"""Hostile image layers: each is handled safely or refused with a clear
error, nothing is ever written outside DIR, and a refused import leaves no
rootfs and no temporary directory behind."""

import gzip
import io
import os
import stat
import subprocess
import tarfile

import pytest

from rootfs_images import IS_ROOT, LAYER_GZIP, entry, gz, make_layout, tar_bytes, tree

SYM, LNK, CHR, BLK, DIRT, REG = tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.DIRTYPE, tarfile.REGTYPE


@pytest.fixture
def area(hostdir):
    """(top, victim): top holds the layouts and the destinations; victim is a
    host directory the archives aim at, which must never change."""
    top = hostdir(prefix="nsl-hostile-")
    victim = hostdir(prefix="nsl-victim-")
    with open(os.path.join(victim, "file"), "w") as f:
        f.write("original\n")
    yield top, victim
    # Imported trees hold directories their owner cannot write (0555, 0) and
    # can be deeper than Python's rmtree recurses. chmod -R ignores the
    # symlinks it meets, so nothing outside top is touched.
    subprocess.run(["chmod", "-R", "u+rwX", top], capture_output=True)
    subprocess.run(["rm", "-rf", "--one-file-system", top], capture_output=True)


def import_layers(nsl, top, layers, *opts, media="application/vnd.oci.image.layer.v1.tar", name="img"):
    layout = make_layout(os.path.join(top, name + "-layout"), layers, media=media)
    dest = os.path.join(top, name)
    before = sorted(os.listdir(top))
    cp = nsl("rootfs", "import", *opts, layout, dest, timeout=60)
    return cp, dest, before


def assert_refused(cp, top, before, *words):
    assert cp.returncode == 125, cp.stderr
    lines = [l for l in cp.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("nslaunch: "), lines
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]
    assert sorted(os.listdir(top)) == before, "a refused import left something behind"


def test_dotdot_refused(nsl, area):
    top, victim = area
    snap = tree(victim)
    rel = os.path.relpath(victim, top + "/img")
    cp, dest, before = import_layers(nsl, top, [tar_bytes([entry("ok", data=b"x"),
                                                           entry(rel + "/file", data=b"pwned")])])
    assert_refused(cp, top, before, "'..'")
    assert tree(victim) == snap


def test_absolute_path_refused(nsl, area):
    top, victim = area
    snap = tree(victim)
    cp, dest, before = import_layers(nsl, top, [tar_bytes([entry(victim + "/file", data=b"pwned")])])
    assert_refused(cp, top, before, "absolute path")
    assert tree(victim) == snap


def test_symlink_then_write_through_stays_inside(nsl, area):
    top, victim = area
    snap = tree(victim)
    layer = tar_bytes([
        entry(victim.lstrip("/"), DIRT),
        entry("esc", SYM, linkname="../../../../../../../.." + victim),
        entry("esc/file", data=b"through the link"),
        entry("abs", SYM, linkname=victim),
        entry("abs/new", data=b"through the absolute link"),
        # a symlink to a host file, then a regular file of the same name
        entry("last", SYM, linkname=victim + "/file"),
        entry("last", data=b"replaced the link"),
    ])
    cp, dest, _ = import_layers(nsl, top, [layer])
    assert cp.returncode == 0, cp.stderr
    assert tree(victim) == snap
    inside = dest + victim
    with open(inside + "/file") as f:
        assert f.read() == "through the link"
    with open(inside + "/new") as f:
        assert f.read() == "through the absolute link"
    assert stat.S_ISREG(os.lstat(dest + "/last").st_mode)
    with open(dest + "/last") as f:
        assert f.read() == "replaced the link"


def test_symlink_to_missing_directory_refused(nsl, area):
    top, victim = area
    snap = tree(victim)
    cp, dest, before = import_layers(nsl, top, [tar_bytes([entry("dir", SYM, linkname=victim),
                                                           entry("dir/file", data=b"pwned")])])
    assert_refused(cp, top, before, "dir/file")
    assert tree(victim) == snap


def test_symlink_in_lower_layer_then_file(nsl, area):
    top, victim = area
    snap = tree(victim)
    cp, dest, _ = import_layers(nsl, top, [tar_bytes([entry(victim.lstrip("/"), DIRT),
                                                      entry("dir", SYM, linkname=victim)]),
                                           tar_bytes([entry("dir/file", data=b"pwned")])])
    assert cp.returncode == 0, cp.stderr
    assert tree(victim) == snap
    with open(dest + victim + "/file") as f:
        assert f.read() == "pwned"


@pytest.mark.parametrize("target", ["../../../etc/passwd", "/etc/passwd"])
def test_hardlink_outside_refused(nsl, area, target):
    top, victim = area
    cp, dest, before = import_layers(nsl, top, [tar_bytes([entry("h", LNK, linkname=target)])])
    assert_refused(cp, top, before, "hardlink")


def test_hardlink_through_symlink_stays_inside(nsl, area):
    top, victim = area
    layer = tar_bytes([entry("d", SYM, linkname=victim), entry("h", LNK, linkname="d/file")])
    cp, dest, before = import_layers(nsl, top, [layer])
    # d/file resolves inside the rootfs, where there is no such file
    assert_refused(cp, top, before, "hardlink")
    assert os.stat(victim + "/file").st_nlink == 1


def test_hardlink_then_write_does_not_write_through(nsl, area):
    top, _ = area
    layer = tar_bytes([entry("a", data=b"first"), entry("b", LNK, linkname="a"), entry("b", data=b"second")])
    cp, dest, _ = import_layers(nsl, top, [layer])
    assert cp.returncode == 0, cp.stderr
    with open(dest + "/a") as f:
        assert f.read() == "first"
    with open(dest + "/b") as f:
        assert f.read() == "second"


def test_device_nodes_not_created(nsl, area):
    top, _ = area
    layer = tar_bytes([entry("dev/sda", BLK, mode=0o666), entry("dev/mem", CHR, mode=0o666), entry("ok", data=b"x")])
    info = layer
    cp, dest, _ = import_layers(nsl, top, [info])
    assert cp.returncode == 0, cp.stderr
    assert "2 device nodes" in cp.stderr
    assert not os.path.lexists(dest + "/dev/mem") and not os.path.lexists(dest + "/dev/sda")
    assert os.path.exists(dest + "/ok")


def test_setuid_and_odd_modes(nsl, area):
    top, _ = area
    layer = tar_bytes([entry("suid", data=b"x", mode=0o4755), entry("sgid", data=b"x", mode=0o2755),
                       entry("all", data=b"x", mode=0o7777), entry("none", data=b"x", mode=0),
                       entry("sticky", DIRT, mode=0o1777), entry("setgid-dir", DIRT, mode=0o2775)])
    cp, dest, _ = import_layers(nsl, top, [layer])
    assert cp.returncode == 0, cp.stderr
    modes = {n: stat.S_IMODE(os.lstat(f"{dest}/{n}").st_mode) for n in
             ("suid", "sgid", "all", "none", "sticky", "setgid-dir")}
    assert modes == {"suid": 0o755, "sgid": 0o755, "all": 0o1777, "none": 0, "sticky": 0o1777, "setgid-dir": 0o2775}
    cp, dest, _ = import_layers(nsl, top, [layer], "--keep-setuid", name="keep")
    assert cp.returncode == 0, cp.stderr
    assert stat.S_IMODE(os.lstat(dest + "/suid").st_mode) == 0o4755
    assert stat.S_IMODE(os.lstat(dest + "/all").st_mode) == 0o7777


@pytest.mark.skipif(not IS_ROOT, reason="owners from the archive need root")
def test_owners_as_root(nsl, area):
    top, _ = area
    layer = tar_bytes([entry("f", data=b"x", uid=1234, gid=5678), entry("l", SYM, linkname="f", uid=42, gid=43)])
    cp, dest, _ = import_layers(nsl, top, [layer])
    assert cp.returncode == 0, cp.stderr
    st = os.lstat(dest + "/f")
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    st = os.lstat(dest + "/l")
    assert (st.st_uid, st.st_gid) == (42, 43)


@pytest.mark.skipif(IS_ROOT, reason="rootless only")
def test_owners_rootless_are_the_caller(nsl, area):
    top, _ = area
    layer = tar_bytes([entry("f", data=b"x", uid=0, gid=0), entry("ro", DIRT, mode=0o555),
                       entry("ro/inside", data=b"y")])
    cp, dest, _ = import_layers(nsl, top, [layer])
    assert cp.returncode == 0, cp.stderr
    assert os.lstat(dest + "/f").st_uid == os.geteuid()
    assert stat.S_IMODE(os.lstat(dest + "/ro").st_mode) == 0o555
    with open(dest + "/ro/inside") as f:
        assert f.read() == "y"


def test_duplicates_last_wins(nsl, area):
    top, _ = area
    layer = tar_bytes([entry("d", data=b"one"), entry("d", data=b"two"), entry("x", DIRT), entry("x", DIRT, mode=0o700)])
    cp, dest, _ = import_layers(nsl, top, [layer])
    assert cp.returncode == 0, cp.stderr
    with open(dest + "/d") as f:
        assert f.read() == "two"
    assert stat.S_IMODE(os.lstat(dest + "/x").st_mode) == 0o700


def test_type_changes_between_layers(nsl, area):
    top, _ = area
    l1 = tar_bytes([entry("a", DIRT), entry("a/b", DIRT), entry("a/b/c", data=b"deep"), entry("f", data=b"file"),
                    entry("s", SYM, linkname="a")])
    l2 = tar_bytes([entry("a", data=b"now a file"), entry("f", DIRT), entry("f/inside", data=b"in"),
                    entry("s", DIRT)])
    cp, dest, _ = import_layers(nsl, top, [l1, l2])
    assert cp.returncode == 0, cp.stderr
    assert stat.S_ISREG(os.lstat(dest + "/a").st_mode)
    assert stat.S_ISDIR(os.lstat(dest + "/f").st_mode) and os.path.isfile(dest + "/f/inside")
    assert stat.S_ISDIR(os.lstat(dest + "/s").st_mode)


def test_whiteouts_and_opaque(nsl, area):
    top, _ = area
    l1 = tar_bytes([entry("keep", DIRT), entry("keep/a", data=b"a"), entry("keep/b", data=b"b"),
                    entry("opq", DIRT), entry("opq/old1", data=b"1"), entry("opq/old2", DIRT),
                    entry("opq/old2/x", data=b"x"), entry("gone", DIRT), entry("gone/x", data=b"x")])
    l2 = tar_bytes([entry("keep/.wh.a"), entry(".wh.gone"),
                    entry("opq", DIRT), entry("opq/-early", data=b"same layer, before the marker"),
                    entry("opq/.wh..wh..opq"), entry("opq/new", data=b"new"),
                    entry("keep/.wh.never-there")])
    cp, dest, _ = import_layers(nsl, top, [l1, l2])
    assert cp.returncode == 0, cp.stderr
    assert sorted(os.listdir(dest + "/keep")) == ["b"]
    assert not os.path.lexists(dest + "/gone")
    assert sorted(os.listdir(dest + "/opq")) == ["-early", "new"]
    assert not any(n.startswith(".wh.") for _, ds, fs in os.walk(dest) for n in ds + fs)


def test_whiteout_cannot_reach_outside(nsl, area):
    top, victim = area
    snap = tree(victim)
    l1 = tar_bytes([entry("v", SYM, linkname=victim)])
    l2 = tar_bytes([entry("v/.wh.file"), entry("v/.wh..wh..opq")])
    cp, dest, _ = import_layers(nsl, top, [l1, l2])
    assert cp.returncode == 0, cp.stderr
    assert tree(victim) == snap


def test_decompression_bomb_refused(nsl, area):
    top, _ = area
    zeros = b"\0" * (64 << 20)
    layer = gz(tar_bytes([entry("bomb", data=zeros)]))
    assert len(layer) < (1 << 20)
    cp, dest, before = import_layers(nsl, top, [layer], "--max-size", "16m", media=LAYER_GZIP)
    assert_refused(cp, top, before, "--max-size")


def test_many_entries_count_against_max_size(nsl, area):
    top, _ = area
    layer = tar_bytes([entry(f"e{i}") for i in range(5000)], fmt=tarfile.USTAR_FORMAT)
    cp, dest, before = import_layers(nsl, top, [layer], "--max-size", "1m")
    assert_refused(cp, top, before, "--max-size")


def test_truncated_layer_refused(nsl, area):
    top, _ = area
    full = tar_bytes([entry("a", data=os.urandom(100000)), entry("b", data=b"b")])
    cp, dest, before = import_layers(nsl, top, [full[:50000]])
    assert_refused(cp, top, before, "truncated")
    cp, dest, before = import_layers(nsl, top, [gz(full)[:3000]], media=LAYER_GZIP, name="gz")
    assert_refused(cp, top, before)


def test_long_names(nsl, area):
    top, _ = area
    cp, dest, before = import_layers(nsl, top, [tar_bytes([entry("x" * 300, data=b"x")])])
    assert_refused(cp, top, before, "NAME_MAX")
    cp, dest, before = import_layers(nsl, top, [tar_bytes([entry("/".join(["d" * 200] * 30) + "/f", data=b"x")])],
                                     name="deep")
    assert_refused(cp, top, before, "PATH_MAX")
    ok = "/".join(["d" * 100] * 20) + "/f"
    cp, dest, _ = import_layers(nsl, top, [tar_bytes([entry(ok, data=b"deep")])], name="ok")
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(dest, ok)) as f:
        assert f.read() == "deep"


def test_not_a_tar_refused(nsl, area):
    top, _ = area
    cp, dest, before = import_layers(nsl, top, [b"this is not a tarball at all" * 100])
    assert_refused(cp, top, before)


def test_blob_symlink_in_layout_stays_in_layout(nsl, area):
    """A layout whose blob is a symlink to a host file: resolved inside the
    layout, so the host file is never read as a blob."""
    top, victim = area
    layer = tar_bytes([entry("a", data=b"a")])
    layout = make_layout(os.path.join(top, "layout"), [layer])
    import hashlib
    h = hashlib.sha256(layer).hexdigest()
    blob = os.path.join(layout, "blobs/sha256", h)
    os.unlink(blob)
    os.symlink(victim + "/file", blob)
    before = sorted(os.listdir(top))
    cp = nsl("rootfs", "import", layout, os.path.join(top, "img"))
    assert_refused(cp, top, before, h)


def test_compressed_image_tarball_bomb_refused(nsl, area):
    """The outer tarball (a gzip'd docker save or OCI tar) is bounded too."""
    top, _ = area
    outer = gz(tar_bytes([entry("index.json", data=b"{}"), entry("blobs/sha256/big", data=b"\0" * (48 << 20))]))
    path = os.path.join(top, "image.tar.gz")
    with open(path, "wb") as f:
        f.write(outer)
    before = sorted(os.listdir(top))
    cp = nsl("rootfs", "import", "--max-size", "8m", path, os.path.join(top, "img"), timeout=60)
    assert_refused(cp, top, before, "--max-size")


def test_fifo_blob_does_not_hang(nsl, area):
    top, _ = area
    layer = tar_bytes([entry("a", data=b"a")])
    layout = make_layout(os.path.join(top, "layout"), [layer])
    import hashlib
    blob = os.path.join(layout, "blobs/sha256", hashlib.sha256(layer).hexdigest())
    os.unlink(blob)
    os.mkfifo(blob)
    before = sorted(os.listdir(top))
    cp = nsl("rootfs", "import", layout, os.path.join(top, "img"), timeout=20)
    assert_refused(cp, top, before, "not a regular file")


def docker_save(path, images, tamper_layer=False):
    """A docker save tarball by hand: images = {tag: [layer bytes...]}."""
    import hashlib
    import json as _json
    members, manifest = [], []
    for n, (tag, layers) in enumerate(images.items()):
        names = []
        for i, layer in enumerate(layers):
            name = f"img{n}-layer{i}/layer.tar"
            members.append(entry(name, data=layer + (b"\0" * 1024 if tamper_layer else b"")))
            names.append(name)
        cfg = _json.dumps({"config": {"Cmd": [tag]}, "rootfs": {"type": "layers", "diff_ids": [
            "sha256:" + hashlib.sha256(l).hexdigest() for l in layers]}}).encode()
        cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
        members.append(entry(cfg_name, data=cfg))
        manifest.append({"Config": cfg_name, "RepoTags": [tag], "Layers": names})
    members.append(entry("manifest.json", data=_json.dumps(manifest).encode()))
    with open(path, "wb") as f:
        f.write(tar_bytes(members))


def test_docker_save_ref_and_diff_ids(nsl, area):
    top, _ = area
    path = os.path.join(top, "save.tar")
    docker_save(path, {"a:1": [tar_bytes([entry("which", data=b"a")])],
                       "b:2": [tar_bytes([entry("which", data=b"b")]), tar_bytes([entry("more", data=b"m")])]})
    before = sorted(os.listdir(top))
    cp = nsl("rootfs", "import", path, os.path.join(top, "x"))
    assert_refused(cp, top, before, "--ref")
    cp = nsl("rootfs", "import", "--ref", "b:2", path, os.path.join(top, "b"))
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(top, "b/which")) as f:
        assert f.read() == "b"
    assert os.path.exists(os.path.join(top, "b/more"))
    # a layer whose content is not its diff_id (trailing blocks added)
    bad = os.path.join(top, "bad.tar")
    docker_save(bad, {"a:1": [tar_bytes([entry("which", data=b"a")])]}, tamper_layer=True)
    before = sorted(os.listdir(top))
    cp = nsl("rootfs", "import", bad, os.path.join(top, "bad"))
    assert_refused(cp, top, before, "digest mismatch")


def test_deepest_paths(nsl, area):
    """2047 levels of missing directories, then the top replaced by a file:
    made and removed without running out of stack or fds."""
    top, _ = area
    deep = "/".join(["d"] * 2047)
    l1 = tar_bytes([entry(deep + "/f", data=b"deep")])
    l2 = tar_bytes([entry("d", data=b"flat")])
    cp, dest, _ = import_layers(nsl, top, [l1], name="one")
    assert cp.returncode == 0, cp.stderr
    fd = os.open(dest, os.O_RDONLY)
    try:
        with open(os.path.join(f"/proc/self/fd/{fd}", deep, "f")) as f:
            assert f.read() == "deep"
    except OSError as e:    # a path this long cannot be opened in one go from Python
        assert e.errno == 36
    finally:
        os.close(fd)
    subprocess.run(["rm", "-rf", dest], check=True)
    cp, dest, _ = import_layers(nsl, top, [l1, l2], name="two")
    assert cp.returncode == 0, cp.stderr
    with open(dest + "/d") as f:
        assert f.read() == "flat"
