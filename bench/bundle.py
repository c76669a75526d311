#!/usr/bin/env python3
"""Writes an OCI bundle that nslaunch-runc, crun and runc all run the same way as
nslaunch's default sandbox: a read-only root of the host's /usr and /etc,
the sandbox's root mapped to 65534, every namespace, no capabilities, no
filter. Used by bench/run.sh and bench/oci.sh.

usage: bundle.py DIR ARGV_JSON"""
import json
import os
import sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
bundle, args = sys.argv[1], json.loads(sys.argv[2])
for d in ("usr", "etc", "proc", "dev", "tmp"):
    os.makedirs(os.path.join(bundle, "rootfs", d), exist_ok=True)
for link in ("bin", "sbin", "lib", "lib64"):
    path = os.path.join(bundle, "rootfs", link)
    if not os.path.islink(path):
        os.symlink("usr/" + link, path)
out = os.path.join(bundle, "config.json")
no_caps = {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}
cfg = {
    "ociVersion": "1.0.2",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": args,
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/tmp"],
        "cwd": "/",
        "capabilities": no_caps,
        "noNewPrivileges": True,
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "sandbox",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc",
         "options": ["nosuid", "nodev", "noexec"]},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/usr", "type": "bind", "source": "/usr",
         "options": ["rbind", "ro", "nosuid", "nodev"]},
        {"destination": "/etc", "type": "bind", "source": "/etc",
         "options": ["rbind", "ro", "nosuid", "nodev"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=1777", "size=64m"]},
    ],
    # no "seccomp" key: no filter.  No "resources": nothing to limit.
    "linux": {
        "uidMappings": [{"containerID": 0, "hostID": 65534, "size": 1}],
        "gidMappings": [{"containerID": 0, "hostID": 65534, "size": 1}],
        "namespaces": [{"type": t} for t in
                       ("pid", "ipc", "uts", "mount", "network", "user", "cgroup")],
    },
}
with open(out, "w") as f:
    json.dump(cfg, f, indent=2)
