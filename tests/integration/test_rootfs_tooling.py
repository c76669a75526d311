"""nslaunch rootfs import / from-host as a platform scripts them: a
--platform that matches nothing and a --ref that names nothing fail saying
what there is; --replace swaps a rootfs in atomically (a reader of DIR never
sees a half tree) and keeps the old one when it fails; --json summarises;
progress on a terminal only."""

import hashlib
import io
import json
import os
import platform as host_platform
import pty
import signal
import subprocess
import sys
import tarfile
import time
import tty as termios_modes

import pytest

from rootfs_images import (IS_ROOT, LAYER_TAR, OCI_INDEX, OCI_MANIFEST, entry, make_layout, sha, tar_bytes,
                           write_blob)

ON_AMD64 = host_platform.machine() == "x86_64"


def layer(files, dirs=()):
    """A layer tar of {path: bytes}, directories first."""
    return tar_bytes([entry(d + "/", tarfile.DIRTYPE) for d in dirs] +
                     [entry(p, data=data) for p, data in files.items()], fmt=tarfile.GNU_FORMAT)


def one_line_error(cp):
    assert cp.returncode == 125, (cp.returncode, cp.stderr)
    assert cp.stderr.count("\n") == 1 and cp.stderr.startswith("nslaunch: "), cp.stderr
    return cp.stderr.rstrip("\n")


def multi_platform_layout(top, platforms, ref=None):
    """One index holding an image per platform ("linux/arm64/v8"), each whose
    only file /arch says which it is."""
    layout = os.path.join(top, "multi")
    descs = []
    for i, p in enumerate(platforms):
        os_, arch, *variant = p.split("/")
        pf = {"os": os_, "architecture": arch, **({"variant": variant[0]} if variant else {})}
        sub = make_layout(os.path.join(top, f"one-{i}"), [layer({"arch": p.encode()})], platform=pf)
        with open(os.path.join(sub, "index.json")) as f:
            descs.append(json.load(f)["manifests"][0])
        for name in os.listdir(os.path.join(sub, "blobs/sha256")):
            with open(os.path.join(sub, "blobs/sha256", name), "rb") as f:
                write_blob(layout, f.read())
    if ref:
        for d in descs:
            d["annotations"] = {"org.opencontainers.image.ref.name": ref}
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs}, f)
    return layout


def docker_archive(path, images):
    """A docker save tarball by hand: images is [(tags, architecture, {file: bytes})]."""
    manifest, members = [], {}
    for tags, arch, files in images:
        blob = layer(files)
        layer_name = sha(blob) + "/layer.tar"
        config = json.dumps({"architecture": arch, "os": "linux", "config": {},
                             "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(blob)]}}).encode()
        members[layer_name] = blob
        members[sha(config) + ".json"] = config
        manifest.append({"Config": sha(config) + ".json", "RepoTags": tags, "Layers": [layer_name]})
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return path


# --------------------------------------------------------------------------
# --platform


def test_single_image_of_another_platform_is_refused(nsl, hostdir):
    """The reported bug: an amd64-only layout (no platform in its index, the
    config says amd64) imported with --platform linux/arm64 was amd64."""
    top = hostdir(prefix="nsl-tool-")
    layout = make_layout(os.path.join(top, "layout"), [layer({"f": b"x"})])
    cp = nsl("rootfs", "import", "--platform", "linux/arm64", layout, os.path.join(top, "r"))
    assert one_line_error(cp) == f"nslaunch: import: {layout}: offers linux/amd64; none matches linux/arm64"
    assert sorted(os.listdir(top)) == ["layout"]
    cp = nsl("rootfs", "import", "--platform", "linux/amd64", layout, os.path.join(top, "r"))
    assert cp.returncode == 0 and cp.stderr == "", cp.stderr


def test_index_entry_and_config_must_both_match(nsl, hostdir):
    """An index that says arm64 for an image whose config says amd64 is not
    an arm64 image."""
    top = hostdir(prefix="nsl-tool-")
    layout = make_layout(os.path.join(top, "layout"), [layer({"f": b"x"})],
                         platform={"os": "linux", "architecture": "arm64"},
                         config_platform={"os": "linux", "architecture": "amd64"})
    cp = nsl("rootfs", "import", "--platform", "linux/arm64", layout, os.path.join(top, "r"))
    assert one_line_error(cp) == f"nslaunch: import: {layout}: offers linux/amd64; none matches linux/arm64"


def test_config_without_platform_is_refused_only_when_one_is_asked_for(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    layout = make_layout(os.path.join(top, "layout"), [layer({"f": b"x"})], config_platform={})
    cp = nsl("rootfs", "import", "--platform", "linux/amd64", layout, os.path.join(top, "r"))
    assert "does not say which platform" in one_line_error(cp)
    cp = nsl("rootfs", "import", "--json", layout, os.path.join(top, "r"))
    assert cp.returncode == 0, cp.stderr
    assert json.loads(cp.stdout)["platform"] is None


@pytest.mark.skipif(not ON_AMD64, reason="the test's foreign platform is arm64")
def test_foreign_image_without_platform_is_imported_with_a_warning(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    layout = make_layout(os.path.join(top, "layout"), [layer({"f": b"x"})],
                         config_platform={"os": "linux", "architecture": "arm64", "variant": "v8"})
    cp = nsl("rootfs", "import", layout, os.path.join(top, "r"))
    assert cp.returncode == 0
    assert cp.stderr == (f"nslaunch: warning: {layout}: the image is for linux/arm64/v8, not for this machine "
                         "(linux/amd64); --platform linux/amd64 would refuse it\n")


def test_index_lists_what_it_offers(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    layout = multi_platform_layout(top, ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"])
    cp = nsl("rootfs", "import", "--platform", "linux/riscv64", layout, os.path.join(top, "r"))
    assert one_line_error(cp) == (f"nslaunch: import: {layout}: offers linux/amd64, linux/arm64/v8, linux/arm/v7; "
                                  "none matches linux/riscv64")
    cp = nsl("rootfs", "import", "--platform", "linux/arm/v6", layout, os.path.join(top, "r"))
    assert "none matches linux/arm/v6" in one_line_error(cp)
    assert not os.path.exists(os.path.join(top, "r"))
    # arm64 is arm64/v8, whichever of the two is written
    for want in ("linux/arm64", "linux/arm64/v8"):
        dest = os.path.join(top, "r-" + want.replace("/", "-"))
        cp = nsl("rootfs", "import", "--platform", want, layout, dest)
        assert cp.returncode == 0, cp.stderr
        with open(os.path.join(dest, "arch")) as f:
            assert f.read() == "linux/arm64/v8"
    plain = multi_platform_layout(hostdir(prefix="nsl-tool-"), ["linux/amd64", "linux/arm64"])
    dest = os.path.join(top, "plain-v8")
    assert nsl("rootfs", "import", "--platform", "linux/arm64/v8", plain, dest).returncode == 0
    with open(os.path.join(dest, "arch")) as f:
        assert f.read() == "linux/arm64"


def test_docker_archive_platform_is_checked(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    archive = docker_archive(os.path.join(top, "image.tar"), [(["nsl/a:1"], "amd64", {"f": b"a"})])
    cp = nsl("rootfs", "import", "--platform", "linux/arm64", archive, os.path.join(top, "r"))
    assert one_line_error(cp) == f"nslaunch: import: {archive}: offers linux/amd64; none matches linux/arm64"
    assert sorted(os.listdir(top)) == ["image.tar"]


# --------------------------------------------------------------------------
# --ref


def two_named_images(top):
    layout = os.path.join(top, "layout")
    descs = []
    for name in ("v1", "v2"):
        sub = make_layout(os.path.join(top, "one-" + name), [layer({"version": name.encode()})], ref=name)
        with open(os.path.join(sub, "index.json")) as f:
            descs += json.load(f)["manifests"]
        for blob in os.listdir(os.path.join(sub, "blobs/sha256")):
            with open(os.path.join(sub, "blobs/sha256", blob), "rb") as f:
                write_blob(layout, f.read())
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": descs}, f)
    return layout


def test_oci_ref_errors_list_the_names(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    layout = two_named_images(top)
    cp = nsl("rootfs", "import", "--ref", "v3", layout, os.path.join(top, "r"))
    assert one_line_error(cp) == f"nslaunch: import: {layout}: no image named v3; it holds v1, v2"
    cp = nsl("rootfs", "import", layout, os.path.join(top, "r"))
    assert one_line_error(cp) == f"nslaunch: import: {layout}: 2 images: choose one with --ref NAME (v1, v2)"
    cp = nsl("rootfs", "import", "--ref", "v2", layout, os.path.join(top, "r"))
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(top, "r", "version")) as f:
        assert f.read() == "v2"


def test_docker_ref_errors_list_the_tags(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    archive = docker_archive(os.path.join(top, "image.tar"), [
        (["nsl/a:1", "nsl/a:latest"], "amd64", {"which": b"a"}),
        (["nsl/b:2"], "amd64", {"which": b"b"}),
        (None, "amd64", {"which": b"c"})])
    cp = nsl("rootfs", "import", "--ref", "nsl/c:3", archive, os.path.join(top, "r"))
    assert one_line_error(cp) == (f"nslaunch: import: {archive}: no image tagged nsl/c:3; it holds nsl/a:1, "
                                  "nsl/a:latest, nsl/b:2, (untagged)")
    cp = nsl("rootfs", "import", archive, os.path.join(top, "r"))
    assert one_line_error(cp) == (f"nslaunch: import: {archive}: 3 images: choose one with --ref NAME:TAG "
                                  "(nsl/a:1, nsl/a:latest, nsl/b:2, (untagged))")
    cp = nsl("rootfs", "import", "--ref", "nsl/b:2", archive, os.path.join(top, "r"))
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(top, "r", "which")) as f:
        assert f.read() == "b"


def test_a_long_list_is_cut_not_overflowed(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    tags = [f"registry.example.com/team/image-{i}:v{i}" for i in range(40)]
    archive = docker_archive(os.path.join(top, "image.tar"), [(tags, "amd64", {"f": b"x"}),
                                                                (["x:y"], "amd64", {"f": b"y"})])
    line = one_line_error(nsl("rootfs", "import", "--ref", "nope", archive, os.path.join(top, "r")))
    assert tags[0] in line and line.endswith(", ...")


# --------------------------------------------------------------------------
# --replace

# Markers, and ballast directories around them: a replacement that is not
# atomic -- the new files written over the old, or the old tree removed and
# then the new one renamed in (removal goes in directory order, so some
# ballast goes after the markers: DIR/markers is then missing for a while) --
# has windows the reader falls into.
MARKERS = 200
BALLAST = 6


def marker_layout(path, tag):
    files = {f"markers/{tag}-{i}": tag.encode() for i in range(MARKERS)}
    files.update({f"ballast{d}/{i}": b"" for d in range(BALLAST) for i in range(250)})
    return make_layout(path, [layer(files, dirs=["markers"] + [f"ballast{d}" for d in range(BALLAST)])])


READER = r"""
import json, os, sys
dest, stop, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
markers = dest + "/markers"
want = {tag: {f"{tag}-{i}" for i in range(n)} for tag in ("old", "new")}
seen = {"old": 0, "new": 0}
report = {"reads": 0, "missing": 0, "half": [], "excused": 0, "changes": 0}
last = None


def content(fd, name):
    try:
        with open(os.open(name, os.O_RDONLY, dir_fd=fd), "rb") as f:
            return f.read().decode()
    except FileNotFoundError:
        return "(gone)"


while report["reads"] % 64 or not os.path.exists(stop):
    try:
        fd = os.open(markers, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        report["missing"] += 1
        report["reads"] += 1
        continue
    try:
        names = set(os.listdir(fd))
        kind = next((t for t in want if names == want[t] and
                     all(content(fd, f"{t}-{i}") == t for i in (0, n // 2, n - 1))), None)
        st = os.fstat(fd)
    finally:
        os.close(fd)
    report["reads"] += 1
    if kind:
        seen[kind] += 1
        report["changes"] += last is not None and kind != last
        last = kind
        continue
    # A partial view is only allowed of a tree that is no longer DIR (the
    # old one, swapped out and being removed while this read it): DIR must
    # be another, whole tree by now.
    try:
        now = os.stat(markers)
    except FileNotFoundError:
        now = None
    if now is None or (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
        report["half"].append((len(names), now is None))
    else:
        report["excused"] += 1
report["seen"] = seen
print(json.dumps(report))
"""


def test_replace_is_atomic_for_a_concurrent_reader(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    old = marker_layout(os.path.join(top, "layout-old"), "old")
    new = marker_layout(os.path.join(top, "layout-new"), "new")
    dest, stop = os.path.join(top, "rootfs"), os.path.join(top, "stop")
    cp = nsl("rootfs", "import", old, dest, timeout=120)
    assert cp.returncode == 0, cp.stderr
    reader = subprocess.Popen([sys.executable, "-c", READER, dest, stop, str(MARKERS)], stdout=subprocess.PIPE,
                              text=True)
    rounds = 6
    try:
        time.sleep(0.2)
        for i in range(rounds):
            cp = nsl("rootfs", "import", "--replace", new if i % 2 == 0 else old, dest, timeout=120)
            assert cp.returncode == 0, cp.stderr
            assert cp.stderr == ""
            time.sleep(0.05)
    finally:
        open(stop, "w").close()
        out, _ = reader.communicate(timeout=60)
    report = json.loads(out)
    print("reader:", report)
    assert report["half"] == [], report
    assert report["missing"] == 0, report
    assert report["seen"]["old"] > 0 and report["seen"]["new"] > 0, report
    assert report["changes"] >= rounds // 2, report
    # the last round put the old image back, and nothing else is left
    assert sorted(os.listdir(top)) == ["layout-new", "layout-old", "rootfs", "rootfs.image.json", "stop"]
    assert sorted(os.listdir(os.path.join(dest, "markers")))[0] == "old-0"


def snapshot(path):
    out = {}
    for dirpath, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(p, path)] = (st.st_ino, st.st_mode, st.st_size)
    return out


def test_failed_replace_keeps_the_old_tree(nsl, hostdir):
    """The new image fails half-way through its layer (an entry that would
    leave the root): DIR is still the old tree, untouched, and no temporary
    is left."""
    top = hostdir(prefix="nsl-tool-")
    dest = os.path.join(top, "rootfs")
    assert nsl("rootfs", "import", marker_layout(os.path.join(top, "good"), "old"), dest,
               timeout=120).returncode == 0
    with open(dest + ".image.json") as f:
        defaults = f.read()
    before, listing = snapshot(dest), sorted(os.listdir(top))
    bad = tar_bytes([entry(f"many/{i}", data=b"new") for i in range(500)] + [entry("../escape", data=b"x")])
    bad_layout = make_layout(os.path.join(top, "bad"), [bad])
    cp = nsl("rootfs", "import", "--replace", bad_layout, dest, timeout=120)
    assert "entry refused" in one_line_error(cp)
    assert snapshot(dest) == before
    assert sorted(os.listdir(top)) == sorted(listing + ["bad"])
    with open(dest + ".image.json") as f:
        assert f.read() == defaults
    # a platform mismatch fails before anything is written
    cp = nsl("rootfs", "import", "--replace", "--platform", "linux/s390x", bad_layout, dest)
    assert "none matches linux/s390x" in one_line_error(cp)
    assert snapshot(dest) == before


def test_stopped_replace_keeps_the_old_tree(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    dest = os.path.join(top, "rootfs")
    assert nsl("rootfs", "import", marker_layout(os.path.join(top, "old"), "old"), dest,
               timeout=120).returncode == 0
    before = snapshot(dest)
    big = make_layout(os.path.join(top, "big"), [tar_bytes([entry(f"d/f{i}") for i in range(15000)],
                                                            fmt=tarfile.GNU_FORMAT)])
    p = nsl.popen("rootfs", "import", "--replace", big, dest, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(n.startswith(".rootfs.import-") for n in os.listdir(top)):
        time.sleep(0.005)
    time.sleep(0.1)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == -signal.SIGTERM, err
    assert err == f"nslaunch: import: {dest}: stopped by SIGTERM\n"
    assert snapshot(dest) == before
    assert sorted(os.listdir(top)) == ["big", "old", "rootfs", "rootfs.image.json"]


def test_replace_refuses_what_is_not_a_rootfs_of_the_caller(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    layout = make_layout(os.path.join(top, "layout"), [layer({"f": b"x"})])
    # without --replace, an existing rootfs is refused as before
    dest = os.path.join(top, "r")
    assert nsl("rootfs", "import", layout, dest).returncode == 0
    assert "--replace" in one_line_error(nsl("rootfs", "import", layout, dest))
    # a symlink at DIR is not followed: neither replaced nor its target
    # touched
    target = os.path.join(top, "target")
    os.mkdir(target)
    with open(os.path.join(target, "precious"), "w") as f:
        f.write("keep")
    os.symlink(target, os.path.join(top, "link"))
    line = one_line_error(nsl("rootfs", "import", "--replace", layout, os.path.join(top, "link")))
    assert "not a directory" in line
    assert os.readlink(os.path.join(top, "link")) == target and os.listdir(target) == ["precious"]
    with open(os.path.join(top, "file"), "w") as f:
        f.write("a file")
    assert "not a directory" in one_line_error(nsl("rootfs", "import", "--replace", layout, os.path.join(top, "file")))
    # --replace into a new DIR just makes it
    cp = nsl("rootfs", "import", "--replace", layout, os.path.join(top, "fresh"))
    assert cp.returncode == 0 and os.listdir(os.path.join(top, "fresh")) == ["f"]


@pytest.mark.skipif(not IS_ROOT, reason="needs a directory owned by another user")
def test_replace_refuses_another_users_directory(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    layout = make_layout(os.path.join(top, "layout"), [layer({"f": b"x"})])
    theirs = os.path.join(top, "theirs")
    os.mkdir(theirs)
    with open(os.path.join(theirs, "data"), "w") as f:
        f.write("theirs")
    os.chown(theirs, 65534, 65534)
    line = one_line_error(nsl("rootfs", "import", "--replace", layout, theirs))
    assert "owned by uid 65534" in line
    assert os.listdir(theirs) == ["data"]
    # an empty directory, anyone's, may stand where the rootfs goes, as
    # without --replace
    empty = os.path.join(top, "empty")
    os.mkdir(empty)
    os.chown(empty, 65534, 65534)
    cp = nsl("rootfs", "import", "--replace", layout, empty)
    assert cp.returncode == 0, cp.stderr
    assert os.stat(empty).st_uid == 0 and os.listdir(empty) == ["f"]


def test_killed_replace_leaves_a_temporary_the_next_run_removes(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    dest = os.path.join(top, "rootfs")
    old = marker_layout(os.path.join(top, "old"), "old")
    assert nsl("rootfs", "import", old, dest, timeout=120).returncode == 0
    before = snapshot(dest)
    big = make_layout(os.path.join(top, "big"), [tar_bytes([entry(f"d/f{i}") for i in range(15000)],
                                                            fmt=tarfile.GNU_FORMAT)])
    p = nsl.popen("rootfs", "import", "--replace", big, dest, text=True)
    deadline = time.monotonic() + 30
    temp = []
    while time.monotonic() < deadline and not temp:
        temp = [n for n in os.listdir(top) if n.startswith(".rootfs.import-")]
        time.sleep(0.005)
    time.sleep(0.1)
    p.kill()
    p.communicate(timeout=60)
    assert snapshot(dest) == before
    assert [n for n in os.listdir(top) if n.startswith(".rootfs.")] == temp
    cp = nsl("rootfs", "import", "--replace", "--json", old, dest, timeout=120)
    assert cp.returncode == 0
    assert cp.stderr == f"nslaunch: warning: removed {temp[0]}, left by an import that was killed\n"
    assert sorted(os.listdir(top)) == ["big", "old", "rootfs", "rootfs.image.json"]


def test_from_host_replace(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    dest = os.path.join(top, "r")
    assert nsl("rootfs", "from-host", dest, "/bin/true", timeout=60).returncode == 0
    with open(dest + ".image.json", "w") as f:      # as an import would have left it
        f.write("{}\n")
    before = snapshot(dest)
    # a failure keeps the old tree
    line = one_line_error(nsl("rootfs", "from-host", "--replace", dest, "/bin/cat", "no-such-program-here"))
    assert "no such program" in line
    assert snapshot(dest) == before and os.path.exists(dest + ".image.json")
    cp = nsl("rootfs", "from-host", "--replace", dest, "/bin/cat", timeout=60)
    assert cp.returncode == 0, cp.stderr
    files = {os.path.basename(p) for p in snapshot(dest)}
    assert "cat" in files and "true" not in files
    assert sorted(os.listdir(top)) == ["r"]     # the old defaults went with the old tree
    cp = nsl("run", "--rootfs", dest, "--", "/bin/cat", "/proc/self/comm", timeout=30)
    assert cp.returncode == 0 and cp.stdout == "cat\n", cp.stderr


# --------------------------------------------------------------------------
# --json


def test_import_json_summary(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    files = {"etc/hostname": b"image\n", "usr/bin/tool": os.urandom(5000), "srv/empty": b""}
    blob = tar_bytes([entry("etc/", tarfile.DIRTYPE), entry("usr/", tarfile.DIRTYPE),
                      entry("usr/bin/", tarfile.DIRTYPE), entry("srv/", tarfile.DIRTYPE)] +
                     [entry(p, data=d) for p, d in files.items()] +
                     [entry("usr/bin/tool-hardlink", tarfile.LNKTYPE, linkname="usr/bin/tool"),
                      entry("etc/link", tarfile.SYMTYPE, linkname="hostname")])
    layout = make_layout(os.path.join(top, "layout"), [blob, layer({"etc/second": b"2"})])
    with open(os.path.join(layout, "index.json")) as f:
        manifest_digest = json.load(f)["manifests"][0]["digest"]
    dest = os.path.join(top, "r")
    cp = nsl("rootfs", "import", "--json", layout, dest, timeout=60)
    assert cp.returncode == 0 and cp.stderr == "", cp.stderr
    assert cp.stdout.count("\n") == 1
    got = json.loads(cp.stdout)
    assert set(got) == {"path", "digest", "platform", "layers", "size", "entries", "seconds"}
    assert got["path"] == dest
    assert got["digest"] == manifest_digest
    assert got["platform"] == "linux/amd64"
    assert got["layers"] == 2
    # the tree on disk, counted here: hardlinked data once
    entries, size, inodes = 0, 0, set()
    for dirpath, dirs, names in os.walk(dest):
        for n in dirs + names:
            st = os.lstat(os.path.join(dirpath, n))
            entries += 1
            if os.path.isfile(os.path.join(dirpath, n)) and not os.path.islink(os.path.join(dirpath, n)) \
                    and st.st_ino not in inodes:
                inodes.add(st.st_ino)
                size += st.st_size
    assert (got["entries"], got["size"]) == (entries, size) == (10, 6 + 5000 + 0 + 1)
    assert 0 < got["seconds"] < 60


def test_docker_archive_json_digest_is_the_image_id(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    archive = docker_archive(os.path.join(top, "image.tar"), [(["nsl/a:1"], "amd64", {"f": b"abc"})])
    with tarfile.open(archive) as t:
        config = json.load(t.extractfile("manifest.json"))[0]["Config"]
    cp = nsl("rootfs", "import", "--json", archive, os.path.join(top, "r"))
    assert cp.returncode == 0, cp.stderr
    got = json.loads(cp.stdout)
    assert got["digest"] == "sha256:" + config[:-len(".json")]
    assert (got["layers"], got["entries"], got["size"]) == (1, 1, 3)


def test_from_host_json_summary(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    dest = os.path.join(top, "r")
    cp = nsl("rootfs", "from-host", "--json", dest, "/bin/true", timeout=60)
    assert cp.returncode == 0, cp.stderr
    got = json.loads(cp.stdout)
    assert set(got) == {"path", "platform", "size", "entries", "seconds"}
    want_size = 0
    count = 0
    for dirpath, dirs, names in os.walk(dest):
        count += len(dirs) + len(names)
        want_size += sum(os.lstat(os.path.join(dirpath, n)).st_size for n in names
                         if not os.path.islink(os.path.join(dirpath, n)))
    assert (got["entries"], got["size"]) == (count, want_size)
    assert got["size"] >= os.path.getsize(os.path.realpath("/bin/true"))
    if ON_AMD64:
        assert got["platform"] == "linux/amd64"


# --------------------------------------------------------------------------
# progress


@pytest.fixture(scope="module")
def slow_layout(tmp_path_factory):
    top = tmp_path_factory.mktemp("nsl-progress")
    os.chmod(top, 0o755)
    return make_layout(str(top / "layout"), [tar_bytes([entry(f"d/f{i}", data=b"p" * 2048) for i in range(12000)],
                                                       fmt=tarfile.GNU_FORMAT)])


def run_on_pty(argv):
    """argv with stderr on a terminal: (status, what the terminal got, seconds)."""
    master, slave = pty.openpty()
    termios_modes.setraw(slave)         # bytes as written: no \n -> \r\n
    start = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:         # EIO: the last writer closed it
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=120)
    os.close(master)
    return p.returncode, p.stdout.read(), out.decode(), time.monotonic() - start


def test_progress_on_a_terminal(nsl, hostdir, slow_layout):
    top = hostdir(prefix="nsl-tool-")
    status, stdout, tty, seconds = run_on_pty([nsl.path, "rootfs", "import", slow_layout, os.path.join(top, "r")])
    assert status == 0, tty
    assert stdout == b""
    draws = tty.split("\r")[1:]
    assert draws, tty
    assert all(d.startswith("nslaunch: import: ") for d in draws), tty
    assert any(d.startswith("nslaunch: import: unpacking layer 1/1, ") for d in draws), tty
    # updated in place, at most about ten times a second
    assert len(draws) <= 10 * seconds + 6, (len(draws), seconds)
    assert len(draws) >= 2
    # the last one says all of it, and the line is ended
    assert tty.endswith("\x1b[K\n"), repr(tty[-200:])
    last = draws[-1][:-len("\x1b[K\n")]
    assert last.startswith("nslaunch: import: unpacking layer 1/1, "), last
    done, total = last.split(", ", 1)[1].split(" of ")
    assert done == total and total.endswith(" MiB"), last
    assert all(d.endswith("\x1b[K") for d in draws[:-1])


def test_no_progress_without_a_terminal_unless_asked(nsl, hostdir, slow_layout):
    top = hostdir(prefix="nsl-tool-")
    cp = nsl("rootfs", "import", slow_layout, os.path.join(top, "a"), timeout=120)
    assert cp.returncode == 0 and cp.stderr == ""
    cp = nsl("rootfs", "import", "--progress", "always", slow_layout, os.path.join(top, "b"), timeout=120)
    assert cp.returncode == 0
    lines = cp.stderr.splitlines()
    assert lines and "\r" not in cp.stderr and "\x1b" not in cp.stderr
    assert all(l.startswith("nslaunch: import: ") for l in lines), cp.stderr
    assert lines[-1].startswith("nslaunch: import: unpacking layer 1/1, ")
    status, _, tty, _ = run_on_pty([nsl.path, "rootfs", "import", "--progress", "never", slow_layout,
                                    os.path.join(top, "c")])
    assert status == 0 and tty == ""


def test_progress_is_erased_before_an_error(nsl, hostdir, slow_layout):
    top = hostdir(prefix="nsl-tool-")
    status, _, tty, _ = run_on_pty([nsl.path, "rootfs", "import", "--max-size", "1m", slow_layout,
                                    os.path.join(top, "r")])
    assert status == 125
    assert tty.startswith("\rnslaunch: import: checking layer 1/1, "), repr(tty[:200])
    tail = tty.rsplit("\r\x1b[K", 1)[1]
    assert tail.startswith("nslaunch: import: ") and "--max-size" in tail and tail.count("\n") == 1, repr(tail)


def test_progress_option_value(nsl, hostdir):
    cp = nsl("rootfs", "import", "--progress", "sometimes", "a", "b")
    assert one_line_error(cp) == "nslaunch: --progress: expected auto, always or never (see nslaunch rootfs --help)"


def test_from_host_progress_counts_files(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    status, stdout, tty, _ = run_on_pty([nsl.path, "rootfs", "from-host", "--json", os.path.join(top, "r"),
                                         "/bin/sh", "/bin/cat"])
    assert status == 0, tty
    last = tty.split("\r")[-1]
    assert last.startswith("nslaunch: from-host: copying ") and last.endswith("\x1b[K\n"), repr(tty)
    files = int(last.split("copying ")[1].split(" files")[0])
    copied = sum(1 for d, _, names in os.walk(os.path.join(top, "r")) for n in names
                 if not os.path.islink(os.path.join(d, n)))
    assert files == copied
    assert json.loads(stdout)["entries"] >= files


def test_tarball_progress_says_it_reads_it(nsl, hostdir):
    top = hostdir(prefix="nsl-tool-")
    archive = docker_archive(os.path.join(top, "image.tar"), [(["nsl/a:1"], "amd64", {"big": os.urandom(24 << 20)})])
    cp = nsl("rootfs", "import", "--progress", "always", archive, os.path.join(top, "r"), timeout=120)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stderr.splitlines()
    assert lines[0].startswith("nslaunch: import: reading the image tarball, "), cp.stderr
    assert " of " in lines[0] and lines[-1].startswith("nslaunch: import: unpacking layer 1/1, 24.0 MiB of 24.0 MiB")


def test_replace_while_another_run_replaces_it_fails(nsl, hostdir):
    """A run replacing DIR holds the old tree locked from the swap until it is
    removed; a second one fails rather than racing it, and keeps nothing."""
    import fcntl
    top = hostdir(prefix="nsl-tool-")
    layout = make_layout(os.path.join(top, "layout"), [layer({"f": b"x"})])
    dest = os.path.join(top, "r")
    assert nsl("rootfs", "import", layout, dest).returncode == 0
    fd = os.open(dest, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        line = one_line_error(nsl("rootfs", "import", "--replace", layout, dest))
        assert line == f"nslaunch: import: {dest}: another run is replacing it"
        assert sorted(os.listdir(top)) == ["layout", "r", "r.image.json"]
    finally:
        os.close(fd)
    assert nsl("rootfs", "import", "--replace", layout, dest).returncode == 0


def test_long_options_are_matched_whole(nsl, tmp_path):
    # getopt_long would take "--rep" for "--replace"
    cp = nsl("rootfs", "import", "--rep", str(tmp_path / "none.tar"), str(tmp_path / "dir"))
    assert cp.returncode == 125
    assert cp.stderr == "nslaunch: --rep: unknown option (see nslaunch rootfs --help)\n"
    cp = nsl("rootfs", "from-host", "--ad=/bin/sh", str(tmp_path / "dir"), "/bin/true")
    assert cp.returncode == 125 and "--ad=/bin/sh: unknown option" in cp.stderr
    assert not (tmp_path / "dir").exists()
