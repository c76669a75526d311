"""Helpers for the rootfs tests: images built with umoci and skopeo, OCI
layouts written by hand around hostile layer tarballs, and a file-by-file
comparison of two trees."""

import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile

IS_ROOT = os.geteuid() == 0
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
LAYER_GZIP = LAYER_TAR + "+gzip"


def run(*argv, **kw):
    kw.setdefault("check", True)
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)


def tool_available(name):
    return shutil.which(name) is not None


def skopeo(*args, cache_home):
    """skopeo keeps a blob-info cache whatever it copies: root's in
    /var/lib/containers/cache, a user's under $XDG_DATA_HOME. Root runs it
    in a private mount namespace with a tmpfs over /var/lib, a user with
    XDG_DATA_HOME at cache_home (a test's directory): nothing of it stays."""
    if not IS_ROOT:
        return run("skopeo", *args, env={**os.environ, "XDG_DATA_HOME": str(cache_home)})
    return run("unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
               'mount -t tmpfs -o mode=755 nsl-skopeo /var/lib && exec "$@"', "sh", "skopeo", *args)


# --------------------------------------------------------------------------
# real images, made by umoci from directories


class UmociImage:
    """An OCI layout made by umoci: each commit() is one layer holding the
    changes made to .rootfs since the last one."""

    def __init__(self, top, tag="t"):
        self.layout = os.path.join(top, "layout")
        self.bundle = os.path.join(top, "bundle")
        self.ref = f"{self.layout}:{tag}"
        self.rootless = [] if IS_ROOT else ["--rootless"]
        run("umoci", "init", "--layout", self.layout)
        run("umoci", "new", "--image", self.ref)
        run("umoci", "unpack", *self.rootless, "--image", self.ref, self.bundle)
        self.rootfs = os.path.join(self.bundle, "rootfs")

    def commit(self):
        run("umoci", "repack", "--refresh-bundle", "--image", self.ref, self.bundle)

    def config(self, *args):
        run("umoci", "config", "--image", self.ref, *args)

    def unpack_reference(self, dest):
        """umoci's own unpack of the image: what an import must match."""
        run("umoci", "unpack", *self.rootless, "--image", self.ref, dest)
        return os.path.join(dest, "rootfs")


def tree(path):
    """{relative path: (type, mode, uid, gid, link target or content digest)}."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                what = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    what = hashlib.sha256(f.read()).hexdigest()
            else:
                what = None
            out[os.path.relpath(p, path)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, what)
    return out


# --------------------------------------------------------------------------
# hand-made layouts


def sha(data):
    return hashlib.sha256(data).hexdigest()


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """entries: list of (TarInfo, bytes or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    return buf.getvalue()


def entry(name, kind=tarfile.REGTYPE, data=None, mode=None, linkname="", uid=0, gid=0):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode if mode is not None else 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.linkname = linkname
    info.uid, info.gid = uid, gid
    info.mtime = 1700000000
    if kind == tarfile.REGTYPE and data is None:
        data = b""
    return info, data


def write_blob(layout, data):
    d = os.path.join(layout, "blobs", "sha256")
    os.makedirs(d, exist_ok=True)
    h = sha(data)
    with open(os.path.join(d, h), "wb") as f:
        f.write(data)
    return h


def make_layout(layout, layers, config=None, media=LAYER_TAR, platform=None, tamper=None, ref=None,
                config_platform=None):
    """An OCI layout with one image; layers are layer blobs (bytes). platform:
    the index entry's, and the config's unless config_platform says another
    (linux/amd64 when neither does; {} for a config that names none); ref:
    its org.opencontainers.image.ref.name. tamper: a function given (layout,
    layer digests) to break something after the digests were written."""
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    digests = [write_blob(layout, l) for l in layers]
    if config_platform is None:
        config_platform = platform or {"os": "linux", "architecture": "amd64"}
    cfg = {**config_platform, "config": config or {},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in digests]}}
    cfg_bytes = json.dumps(cfg).encode()
    cfg_hex = write_blob(layout, cfg_bytes)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": "sha256:" + cfg_hex, "size": len(cfg_bytes)},
                "layers": [{"mediaType": media, "digest": "sha256:" + d, "size": len(l)}
                           for d, l in zip(digests, layers)]}
    m_bytes = json.dumps(manifest).encode()
    m_hex = write_blob(layout, m_bytes)
    desc = {"mediaType": OCI_MANIFEST, "digest": "sha256:" + m_hex, "size": len(m_bytes)}
    if platform:
        desc["platform"] = platform
    if ref:
        desc["annotations"] = {"org.opencontainers.image.ref.name": ref}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [desc]}, f)
    if tamper:
        tamper(layout, digests)
    return layout


def gz(data):
    return gzip.compress(data, mtime=0)
