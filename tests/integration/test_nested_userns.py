"""nslaunch run by uid 0 of a user namespace of its own: the root of a
rootless container, or `unshare -Ur`. That root has no say over the host's
mounts, cgroups and ids, so nslaunch launches as an unprivileged user does
(one id mapped, sources cloned inside the sandbox), with the same isolation.
It once took itself for the host's root and failed binding /usr (EPERM)."""

import os
import shutil
import subprocess

import pytest

from conftest import IS_ROOT, NSLAUNCH, PY

pytestmark = pytest.mark.skipif(not shutil.which("unshare"), reason="needs util-linux's unshare")


def nested(*argv, timeout=30):
    """argv run as uid 0 of a new user namespace (the caller's id mapped)."""
    return subprocess.run(["unshare", "--user", "--map-root-user", *argv], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_launches_with_its_own_namespaces_and_a_read_only_root():
    probe = ("import os\n"
             "print(os.getuid(), open('/proc/self/uid_map').read().split())\n"
             "print(os.readlink('/proc/self/ns/user'), os.readlink('/proc/self/ns/mnt'))\n"
             "try:\n    open('/usr/nested-probe', 'w')\nexcept OSError as e:\n    print(e.errno)\n")
    outer = nested("sh", "-c", "readlink /proc/self/ns/user /proc/self/ns/mnt")
    assert outer.returncode == 0, outer.stderr
    cp = nested(NSLAUNCH, "run", "--", PY, "-c", probe)
    assert cp.returncode == 0, cp.stderr
    ids, namespaces, write = cp.stdout.splitlines()
    assert ids == "0 ['0', '0', '1']"          # one id: the nested root's own
    assert set(namespaces.split()).isdisjoint(outer.stdout.split())
    assert write == "30"                       # EROFS


def test_a_seccomp_profile_applies(tmp_path):
    profile = tmp_path / "profile.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW",'
                       ' "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}')
    os.chmod(tmp_path, 0o755)
    os.chmod(profile, 0o644)
    cp = nested(NSLAUNCH, "run", "--seccomp", str(profile), "--", PY, "-c",
                "import os\ntry:\n    os.mkdir('/tmp/d')\nexcept OSError as e:\n    print(e.errno)")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "1\n"                  # EPERM, the profile's


@pytest.mark.skipif(IS_ROOT, reason="the host's root keeps its cgroups in a namespace of its own")
def test_limits_need_a_delegated_cgroup_as_for_any_user():
    cp = nested(NSLAUNCH, "run", "--pids", "16", "--", "/bin/true")
    assert cp.returncode == 125, cp.stderr
    assert len(cp.stderr.splitlines()) == 1 and "--limits best-effort" in cp.stderr, cp.stderr
    cp = nested(NSLAUNCH, "run", "--pids", "16", "--limits", "best-effort", "--", "/bin/true")
    assert cp.returncode == 0, cp.stderr


def test_an_oci_bundle_without_a_user_namespace_runs(hostdir, rootfs):
    """nslaunch-runc as a rootless engine calls it: as the root of the
    engine's user namespace, with a config that asks for no user namespace
    (the container's ids are the engine's)."""
    bindir = hostdir(0o755, prefix="nsl-nested-bin-")
    link = os.path.join(bindir, "nslaunch-runc")
    os.symlink(os.path.abspath(NSLAUNCH), link)
    state = os.path.join(hostdir(0o755, prefix="nsl-nested-state-"), "state")
    root, _ = rootfs(extra_dirs=("sys", "run"))
    top = os.path.dirname(root)
    cp = nested(link, "spec", "--bundle", top, "--rootless")
    assert cp.returncode == 0, cp.stderr
    import json
    with open(os.path.join(top, "config.json")) as f:
        config = json.load(f)
    config["root"]["path"] = root
    config["process"]["args"] = ["/bin/sh", "-c", "echo in-$(cat /proc/self/uid_map | wc -l); exit 3"]
    config["process"]["terminal"] = False
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "user"]
    config["linux"].pop("uidMappings", None)
    config["linux"].pop("gidMappings", None)
    config["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                             "options": ["rbind", "ro", "nosuid", "nodev"]})
    with open(os.path.join(top, "config.json"), "w") as f:
        json.dump(config, f)
    cp = nested(link, "--root", state, "run", "--bundle", top, "nested")
    assert cp.returncode == 3, cp.stderr
    assert cp.stdout == "in-1\n"
    assert not os.path.exists(os.path.join(state, "nested"))
