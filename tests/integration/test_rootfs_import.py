"""nslaunch rootfs import of real images: made by umoci from directories,
converted by skopeo, compared file by file with umoci's own unpack."""

import json
import os
import shutil
import stat
import subprocess

import pytest

from rootfs_images import (IS_ROOT, LAYER_GZIP, UmociImage, entry, gz, make_layout, run, sha, skopeo, tar_bytes,
                           tool_available, tree, write_blob, OCI_INDEX, OCI_MANIFEST)

pytestmark = pytest.mark.skipif(not tool_available("umoci"), reason="umoci is not installed")


def build_image(top):
    """Three layers: a base, deletions (whiteouts) and a replaced directory
    (opaque), with symlinks, hardlinks, odd modes and a setuid file."""
    img = UmociImage(top)
    r = img.rootfs
    os.makedirs(f"{r}/etc/conf.d")
    os.makedirs(f"{r}/usr/bin")
    os.makedirs(f"{r}/srv/data/deep/er")
    with open(f"{r}/etc/hostname", "w") as f:
        f.write("image\n")
    with open(f"{r}/etc/conf.d/a.conf", "w") as f:
        f.write("a=1\n")
    with open(f"{r}/usr/bin/tool", "wb") as f:
        f.write(os.urandom(70000))
    os.chmod(f"{r}/usr/bin/tool", 0o4755)
    os.link(f"{r}/usr/bin/tool", f"{r}/usr/bin/tool-hardlink")
    os.symlink("../usr/bin/tool", f"{r}/etc/tool-link")
    os.symlink("/etc/hostname", f"{r}/srv/abs-link")
    for i in range(20):
        with open(f"{r}/srv/data/deep/er/f{i}", "w") as f:
            f.write(str(i) * i)
    os.chmod(f"{r}/srv/data/deep", 0o750)
    with open(f"{r}/srv/private", "w") as f:
        f.write("secret")
    os.chmod(f"{r}/srv/private", 0o600)
    os.mkfifo(f"{r}/srv/fifo")
    img.commit()
    # layer 2: deletions
    os.unlink(f"{r}/etc/conf.d/a.conf")
    shutil.rmtree(f"{r}/srv/data/deep/er")
    with open(f"{r}/etc/hostname", "w") as f:
        f.write("changed\n")
    img.commit()
    # layer 3: a directory replaced by a file, and a file by a directory
    shutil.rmtree(f"{r}/srv/data")
    with open(f"{r}/srv/data", "w") as f:
        f.write("now a file")
    os.unlink(f"{r}/srv/private")
    os.makedirs(f"{r}/srv/private/inside")
    img.commit()
    img.config("--config.env", "GREETING=hello from the image", "--config.cmd", "/bin/sh",
               "--config.workingdir", "/srv")
    return img


@pytest.fixture
def image(hostdir):
    top = hostdir(prefix="nsl-img-")
    return build_image(top), top


def imported(nsl, source, dest, *opts):
    cp = nsl("rootfs", "import", *opts, source, dest, timeout=120)
    assert cp.returncode == 0, cp.stderr
    return dest


def without_setuid(t):
    return {k: (v[0], v[1] & ~0o6000 if v[0] == stat.S_IFREG else v[1], *v[2:]) for k, v in t.items()}


def layer_names(layout):
    """The entry names of each layer of the layout's image, read with python's tarfile."""
    import tarfile
    with open(os.path.join(layout, "index.json")) as f:
        m = json.load(f)["manifests"][0]["digest"].split(":")[1]
    with open(os.path.join(layout, "blobs/sha256", m)) as f:
        layers = json.load(f)["layers"]
    out = []
    for l in layers:
        with tarfile.open(os.path.join(layout, "blobs/sha256", l["digest"].split(":")[1])) as t:
            out.append(t.getnames())
    return out


def test_umoci_made_whiteouts(image):
    """The image is what the other tests assume: three layers, the later two
    with whiteouts."""
    img, _ = image
    layers = layer_names(img.layout)
    assert len(layers) == 3
    assert any(".wh.a.conf" in n for n in layers[1]) and any(".wh.er" in n for n in layers[1])
    # umoci writes the whiteout of the old directory's content below the file
    # that replaced it (srv/data, then srv/data/.wh.deep)
    assert "srv/data" in layers[2] and "srv/data/.wh.deep" in layers[2]


def test_oci_layout_matches_umoci_unpack(nsl, image):
    img, top = image
    want = tree(img.unpack_reference(os.path.join(top, "ref")))
    got = tree(imported(nsl, img.layout, os.path.join(top, "mine"), "--keep-setuid"))
    assert got == want
    # the layers did what the test made them do
    assert "etc/conf.d/a.conf" not in got and "etc/conf.d" in got
    assert got["srv/data"][0] == stat.S_IFREG and got["srv/private/inside"][0] == stat.S_IFDIR
    assert got["usr/bin/tool"][1] == 0o4755
    assert got["etc/tool-link"][4] == "../usr/bin/tool"
    assert os.stat(f"{top}/mine/usr/bin/tool").st_ino == os.stat(f"{top}/mine/usr/bin/tool-hardlink").st_ino
    assert stat.S_ISFIFO(os.lstat(f"{top}/mine/srv/fifo").st_mode)


def test_setuid_dropped_by_default(nsl, image):
    img, top = image
    want = without_setuid(tree(img.unpack_reference(os.path.join(top, "ref"))))
    got = tree(imported(nsl, img.layout, os.path.join(top, "mine")))
    assert got == want
    assert got["usr/bin/tool"][1] == 0o755


def test_image_defaults_written_next_to_rootfs(nsl, image):
    img, top = image
    dest = imported(nsl, img.layout, os.path.join(top, "mine"))
    with open(dest + ".image.json") as f:
        d = json.load(f)
    assert "GREETING=hello from the image" in d["Env"]
    assert d["Cmd"] == ["/bin/sh"] and d["WorkingDir"] == "/srv"
    assert not os.path.exists(os.path.join(dest, "image.json"))


@pytest.mark.skipif(not tool_available("skopeo"), reason="skopeo is not installed")
@pytest.mark.parametrize("kind", ["docker-archive", "docker-archive-gz", "oci-archive", "oci-zstd"])
def test_skopeo_archives_match(nsl, image, kind):
    img, top = image
    want = tree(img.unpack_reference(os.path.join(top, "ref")))
    archive = os.path.join(top, "image.tar")
    if kind.startswith("docker-archive"):
        skopeo("copy", f"oci:{img.ref}", f"docker-archive:{archive}:nsl/test:latest", cache_home=top)
        if kind.endswith("-gz"):        # docker save | gzip
            with open(archive, "rb") as f:
                data = gz(f.read())
            archive += ".gz"
            with open(archive, "wb") as f:
                f.write(data)
    elif kind == "oci-archive":
        skopeo("copy", f"oci:{img.ref}", f"oci-archive:{archive}:t", cache_home=top)
    else:
        skopeo("copy", "--dest-compress-format", "zstd", f"oci:{img.ref}", f"oci-archive:{archive}:t",
               cache_home=top)
    got = tree(imported(nsl, archive, os.path.join(top, "mine"), "--keep-setuid"))
    assert got == want
    if kind == "oci-zstd":
        listing = run("tar", "tf", archive).stdout.split()
        blobs = [b for b in listing if b.startswith("blobs/sha256/") and len(b) > 20]
        magic = set()
        for b in blobs:
            data = run("tar", "xOf", archive, b, text=False).stdout if False else subprocess.run(
                ["tar", "xOf", archive, b], capture_output=True, check=True).stdout
            magic.add(data[:4])
        assert b"\x28\xb5\x2f\xfd" in magic, "skopeo did not write zstd layers"


def test_imported_image_runs_with_defaults(nsl, hostdir):
    """A busybox-free image: the host's sh and its libraries, imported, run
    with the image's Env, Cmd and WorkingDir."""
    top = hostdir(prefix="nsl-img-")
    base = os.path.join(top, "base")
    cp = nsl("rootfs", "from-host", base, "/bin/sh", "/bin/cat", timeout=60)
    assert cp.returncode == 0, cp.stderr
    os.makedirs(f"{base}/work")
    with open(f"{base}/work/msg", "w") as f:
        f.write("message from the image\n")
    tar = run("tar", "-C", base, "--numeric-owner", "-cf", "-", ".", text=False).stdout if False else \
        subprocess.run(["tar", "-C", base, "--numeric-owner", "-cf", "-", "."], capture_output=True, check=True).stdout
    layout = make_layout(os.path.join(top, "layout"), [gz(tar)], media=LAYER_GZIP, config={
        "Env": ["PATH=/usr/bin:/bin", "FROM_IMAGE=yes"],
        "Entrypoint": ["/bin/sh", "-c"],
        "Cmd": ['echo "$FROM_IMAGE $(pwd)"; cat msg'],
        "WorkingDir": "/work",
        "User": "1234:4321"})
    dest = imported(nsl, layout, os.path.join(top, "rootfs"))
    cp = nsl("run", "--rootfs", dest, "--image-defaults", timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "yes /work\nmessage from the image\n"
    # the caller's command replaces Cmd; the Entrypoint stays; --env wins
    cp = nsl("run", "--rootfs", dest, "--image-defaults", "--env", "FROM_IMAGE=overridden", "--",
             'echo "$FROM_IMAGE $(id -u 2>/dev/null || echo $PPID)"', timeout=30)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith("overridden ")
    cp = nsl("run", "--rootfs", dest, "--image-defaults", "--cwd", "/", "--", "pwd", timeout=30)
    assert cp.stdout == "/\n", cp.stderr


def test_image_defaults_user_by_name(nsl, hostdir):
    top = hostdir(prefix="nsl-img-")
    base = os.path.join(top, "base")
    assert nsl("rootfs", "from-host", base, "/bin/sh", timeout=60).returncode == 0
    os.makedirs(f"{base}/etc", exist_ok=True)
    with open(f"{base}/etc/passwd", "w") as f:
        f.write("root:x:0:0::/root:/bin/sh\nplugin:x:2345:3456::/tmp:/bin/sh\n")
    with open(f"{base}/etc/group", "w") as f:
        f.write("root:x:0:\nplugins:x:4567:\n")
    tar = subprocess.run(["tar", "-C", base, "--numeric-owner", "-cf", "-", "."], capture_output=True,
                         check=True).stdout
    for user, want in (("plugin", "2345 3456"), ("plugin:plugins", "2345 4567"), ("2345", "2345 3456")):
        layout = make_layout(os.path.join(top, "layout-" + user.replace(":", "-")), [tar], config={
            "Cmd": ["/bin/sh", "-c", 'read a b c d e < /proc/self/status; '
                    'while read k v r; do case $k in Uid:) u=$v;; Gid:) g=$v;; esac; done < /proc/self/status; '
                    'echo "$u $g"'],
            "User": user})
        dest = imported(nsl, layout, os.path.join(top, "rootfs-" + user.replace(":", "-")))
        cp = nsl("run", "--rootfs", dest, "--image-defaults", timeout=30)
        assert cp.returncode == 0, cp.stderr
        assert cp.stdout.strip() == want
    layout = make_layout(os.path.join(top, "layout-nobody"), [tar], config={"Cmd": ["/bin/sh"], "User": "ghost"})
    dest = imported(nsl, layout, os.path.join(top, "rootfs-ghost"))
    cp = nsl("run", "--rootfs", dest, "--image-defaults", timeout=30)
    assert cp.returncode == 125
    assert "ghost" in cp.stderr and "/etc/passwd" in cp.stderr


def test_image_defaults_need_the_file(nsl, rootfs):
    r, opts = rootfs()
    cp = nsl("run", "--rootfs", r, "--image-defaults", timeout=30)
    assert cp.returncode == 125
    assert "--image-defaults" in cp.stderr and ".image.json" in cp.stderr


def test_multi_arch_index_platform(nsl, hostdir):
    top = hostdir(prefix="nsl-img-")
    layout = os.path.join(top, "layout")
    arches = {"amd64": tar_bytes([entry("arch", data=b"amd64\n")]),
              "arm64": tar_bytes([entry("arch", data=b"arm64\n")]),
              "arm": tar_bytes([entry("arch", data=b"armv7\n")])}
    descs = []
    for arch, layer in arches.items():
        sub = os.path.join(top, "one-" + arch)
        platform = {"os": "linux", "architecture": arch}
        if arch == "arm":
            platform["variant"] = "v7"
        make_layout(sub, [layer], platform=platform)
        with open(os.path.join(sub, "index.json")) as f:
            descs.append(json.load(f)["manifests"][0])
        shutil.copytree(os.path.join(sub, "blobs"), os.path.join(layout, "blobs"), dirs_exist_ok=True)
    nested = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs}).encode()
    h = write_blob(layout, nested)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": OCI_INDEX, "digest": "sha256:" + h,
                                                      "size": len(nested)}]}, f)
    for platform, want in (("linux/arm64", "arm64\n"), ("linux/arm/v7", "armv7\n"), ("linux/amd64", "amd64\n")):
        dest = imported(nsl, layout, os.path.join(top, "r-" + platform.replace("/", "-")), "--platform", platform)
        with open(os.path.join(dest, "arch")) as f:
            assert f.read() == want
    cp = nsl("rootfs", "import", "--platform", "linux/s390x", layout, os.path.join(top, "none"))
    assert cp.returncode == 125
    assert cp.stderr == (f"nslaunch: import: {layout}: offers linux/amd64, linux/arm64, linux/arm/v7; "
                         "none matches linux/s390x\n")
    assert not os.path.exists(os.path.join(top, "none"))


def test_digest_mismatch_leaves_nothing(nsl, image):
    img, top = image
    with open(os.path.join(img.layout, "index.json")) as f:
        m_digest = json.load(f)["manifests"][0]["digest"].split(":")[1]
    with open(os.path.join(img.layout, "blobs/sha256", m_digest)) as f:
        layer = json.load(f)["layers"][-1]["digest"].split(":")[1]
    path = os.path.join(img.layout, "blobs/sha256", layer)
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 1]))
    before = sorted(os.listdir(top))
    cp = nsl("rootfs", "import", img.layout, os.path.join(top, "mine"))
    assert cp.returncode == 125
    assert "digest mismatch" in cp.stderr and layer in cp.stderr
    assert sorted(os.listdir(top)) == before


def test_destination_must_be_new(nsl, image):
    img, top = image
    dest = os.path.join(top, "mine")
    os.makedirs(dest)
    with open(os.path.join(dest, "keep"), "w") as f:
        f.write("mine")
    cp = nsl("rootfs", "import", img.layout, dest)
    assert cp.returncode == 125 and "exists" in cp.stderr
    assert os.listdir(dest) == ["keep"]


def test_helper_writable_by_others_is_not_run(nsl, hostdir):
    """nslaunch rootfs runs the helper next to the binary only when nobody
    but root or the caller can change it."""
    d = hostdir(prefix="nsl-helper-")
    shutil.copy(nsl.path, os.path.join(d, "nslaunch"))
    helper = os.path.join(os.path.dirname(nsl.path), "nslaunch-rootfs")
    shutil.copy(helper, os.path.join(d, "nslaunch-rootfs"))
    os.chmod(os.path.join(d, "nslaunch"), 0o755)
    os.chmod(os.path.join(d, "nslaunch-rootfs"), 0o755)
    cp = subprocess.run([os.path.join(d, "nslaunch"), "rootfs", "--help"], capture_output=True, text=True)
    assert cp.returncode == 0 and "from-host" in cp.stdout
    os.chmod(os.path.join(d, "nslaunch-rootfs"), 0o777)
    cp = subprocess.run([os.path.join(d, "nslaunch"), "rootfs", "--help"], capture_output=True, text=True)
    if os.path.exists("/usr/local/libexec/nslaunch-rootfs"):
        pytest.skip("an installed helper would be found instead")
    assert cp.returncode == 125 and "writable by others" in cp.stderr
