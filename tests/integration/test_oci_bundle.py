"""A bundle's config.json through the library's OCI path for real:
nsl_oci_load, nsl_oci_to_spec and a launch (tests/oci/nsl-oci-run.c), as
root and rootless: the process, capabilities, the config's seccomp object,
mounts, and a refused field named in the one line.

The driver is $NSL_OCI_RUN, else next to $NSLAUNCH (run-rootless.sh copies
it there), else the build tree's."""
import errno
import json
import os
import shutil
import subprocess

import pytest

from conftest import IS_ROOT, assert_one_error_line, built_tool
from platform_profile import PLUGIN

EPERM_MKDIR = "Operation not permitted"


def driver():
    return built_tool("nsl-oci-run", "NSL_OCI_RUN")


def base_config(root, script):
    return {
        "ociVersion": "1.2.0",
        "root": {"path": root, "readonly": True},
        "process": {"args": ["/bin/sh", "-c", script], "cwd": "/tmp", "env": ["PATH=/usr/bin:/bin", "WHO=oci"],
                    "user": {"uid": 0, "gid": 0},
                    "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL", "CAP_SYS_ADMIN"],
                                     "permitted": ["CAP_KILL"], "ambient": ["CAP_CHOWN"]}},
        "hostname": "ocibox",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts"},
            {"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro", "rprivate"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "noexec", "nosuid"]},
        ],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"},
                                 {"type": "network"}]},
        "annotations": {"org.example": "yes"},
    }


def run_bundle(hostdir, config):
    bundle = hostdir(0o755, prefix="nsl-bundle-")
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f)
    return subprocess.run([driver(), bundle], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def root(rootfs):
    path, _ = rootfs()
    return path


def status_field(out, name):
    return next(line.split()[1] for line in out.splitlines() if line.startswith(name + ":"))


def test_the_process_runs_as_the_config_says(hostdir, root):
    cp = run_bundle(hostdir, base_config(
        root, "echo $WHO $(pwd) $(hostname) $(id -u); echo x > /root-write 2>/dev/null || echo ro; "
              "grep -E '^(CapEff|CapPrm|CapInh|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status; exit 7"))
    assert cp.returncode == 7, cp.stderr
    assert cp.stdout.splitlines()[0] == "oci /tmp ocibox 0"
    assert cp.stdout.splitlines()[1] == "ro"
    # (effective | permitted) & bounding: KILL only; not SYS_ADMIN (not in bounding), not CHOWN (ambient
    # only); the sandbox's one set is every set
    for field in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert int(status_field(cp.stdout, field), 16) == 1 << 5, field
    # no noNewPrivileges: false, as the spec's default
    assert status_field(cp.stdout, "NoNewPrivs") == "0"
    # no linux.seccomp: no filter, as the spec says
    assert status_field(cp.stdout, "Seccomp") == "0"


# Without no_new_privs the payload loads the filter with CAP_SYS_ADMIN,
# which it holds only until execve: the command never has it, as root of
# the container or not, with a filter or without.
@pytest.mark.parametrize("no_new_privileges", [False, True])
@pytest.mark.parametrize("uid", [0, 1000])
@pytest.mark.parametrize("with_filter", [False, True])
def test_no_new_privileges_as_the_config_says(hostdir, root, no_new_privileges, uid, with_filter):
    if uid and not IS_ROOT:
        pytest.skip("rootless, the container has one uid")
    config = base_config(root, "mkdir /tmp/x 2>/dev/null; echo made $?; "
                               "grep -E '^(Cap...|NoNewPrivs|Seccomp):' /proc/self/status")
    config["process"]["noNewPrivileges"] = no_new_privileges
    config["process"]["user"] = {"uid": uid, "gid": uid}
    if with_filter:
        config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                                    "errnoRet": 1}]}
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines()[0] == ("made 1" if with_filter else "made 0")
    for field in ("CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"):
        assert int(status_field(cp.stdout, field), 16) == 1 << 5, (field, cp.stdout)
    assert status_field(cp.stdout, "NoNewPrivs") == ("1" if no_new_privileges else "0")
    assert status_field(cp.stdout, "Seccomp") == ("2" if with_filter else "0")


# runtimetest's own check (runtime-tools): a bind of / made before a mount
# below / shows that mount only when the root is shared; a root that is
# unbindable cannot be bound at all. The root's line in mountinfo says which.
PROPAGATION_CHECK = (
    "mkdir /t /m /s && touch /s/f && "
    "sed -En 's|^([^ ]+ ){4}/ [^ ]+ ?(.*) - .*|\\2|p' /proc/self/mountinfo; "
    "mount --rbind / /t 2>/dev/null || { echo unbindable; exit 0; }; "
    "mount --bind /s /m && { test -e /t/m/f && echo exposed || echo hidden; }")


@pytest.mark.parametrize("propagation,seen,bound", [
    (None, "", "hidden"), ("rprivate", "", "hidden"), ("slave", "", "hidden"),
    ("shared", "shared:", "exposed"), ("rshared", "shared:", "exposed"), ("unbindable", "unbindable", "unbindable"),
])
def test_rootfs_propagation(hostdir, rootfs, propagation, seen, bound):
    root, _ = rootfs()
    config = base_config(root, PROPAGATION_CHECK)
    config["root"]["readonly"] = False
    config["process"]["capabilities"] = {k: ["CAP_SYS_ADMIN"] for k in ("bounding", "effective", "permitted")}
    if propagation:
        config["linux"]["rootfsPropagation"] = propagation
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    fields, outcome = cp.stdout.splitlines()
    assert fields.strip().startswith(seen) if seen else fields.strip() == "", cp.stdout
    assert outcome == bound, cp.stdout


@pytest.mark.skipif(not IS_ROOT, reason="a set-uid-root program in the image needs root to make")
def test_a_set_uid_program_in_the_image_gains_nothing_without_no_new_privileges(hostdir, root):
    """noNewPrivileges false lets the kernel honour set-uid bits, but the
    container's root is nosuid, as every mount nslaunch makes."""
    suid = os.path.join(root, "suid-id")
    shutil.copy("/usr/bin/id", suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    config = base_config(root, "/suid-id -u; grep NoNewPrivs /proc/self/status")
    config["process"]["user"] = {"uid": 1000, "gid": 1000}
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["1000", "NoNewPrivs:", "0"], cp.stdout


def test_the_configs_seccomp_object_applies(hostdir, root):
    config = base_config(root, "mkdir /tmp/x; echo made $?; ls /tmp >/dev/null && echo listed")
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
                                  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                                "errnoRet": 1}]}
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["made 1", "listed"]
    assert EPERM_MKDIR in cp.stderr


def test_architectures_without_the_native_one_still_cover_it(hostdir, root):
    """libseccomp, and so runc and crun, always cover the native
    architecture, `architectures` adding others: a config that lists only
    the compat ones (runc's suite does) is held to its rules natively too."""
    compat = {"x86_64": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"], "aarch64": ["SCMP_ARCH_ARM"]}[os.uname().machine]
    config = base_config(root, "mkdir /tmp/x; echo made $?")
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": compat,
                                  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                                "errnoRet": errno.ENETDOWN}]}
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["made 1"] and "Network is down" in cp.stderr, (cp.stdout, cp.stderr)


# What the container tries: a user namespace of its own (util-linux's
# unshare), the kernel's keyrings (keyctl JOIN_SESSION_KEYRING, by number
# from libseccomp through ctypes) and what its user namespace's limit says.
FLOOR_PROBE = (
    "unshare --user true 2>/dev/null; echo userns $?; "
    "python3 -c 'import ctypes; nr = ctypes.CDLL(\"libseccomp.so.2\").seccomp_syscall_resolve_name(b\"keyctl\"); "
    "libc = ctypes.CDLL(None, use_errno=True); r = libc.syscall(nr, 1, b\"nsl-floor\"); "
    "print(\"keyctl\", 0 if r >= 0 else ctypes.get_errno())'; "
    "echo limit $(cat /proc/sys/user/max_user_namespaces)")
ALLOW_ALL = {"defaultAction": "SCMP_ACT_ALLOW"}
ENOSYS = 38


def floor_probe(hostdir, root, seccomp=ALLOW_ALL, bounding=None, allow=None, sysctl=None):
    config = base_config(root, FLOOR_PROBE)
    if seccomp is not None:
        config["linux"]["seccomp"] = seccomp
    if bounding:
        config["process"]["capabilities"]["bounding"] += bounding
    if allow is not None:
        config["annotations"]["org.nslaunch.allow"] = allow
    if sysctl:
        config["linux"]["sysctl"] = sysctl
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    return {k: int(v) for k, v in (line.split() for line in cp.stdout.splitlines())}


def builtin_profile_allowing_keyrings():
    """nslaunch's own profile (it refuses what it does not list), with
    ENOSYS for that, its refusal of the keyring calls taken out, and a rule
    and a LOG rule that let them through."""
    keyrings = {"add_key", "keyctl", "request_key"}
    with open(PLUGIN) as f:
        profile = json.load(f)
    profile["defaultErrnoRet"] = ENOSYS
    for rule in profile["syscalls"]:
        rule["names"] = [name for name in rule["names"] if name not in keyrings]
    profile["syscalls"] = [rule for rule in profile["syscalls"] if rule["names"]]
    profile["syscalls"] += [{"names": ["keyctl"], "action": "SCMP_ACT_ALLOW"},
                            {"names": ["add_key", "request_key", "keyctl"], "action": "SCMP_ACT_LOG"}]
    return profile


def host_userns_limit():
    with open("/proc/sys/user/max_user_namespaces") as f:
        return int(f.read())


@pytest.mark.parametrize("case,expected", [
    # podman's profile lets both through: a confined container gets neither
    ({}, {"userns": 1, "keyctl": errno.EPERM, "limit": 0}),
    ({"allow": "nested-userns keyrings"}, {"userns": 0, "keyctl": 0}),
    ({"allow": "keyrings"}, {"userns": 1, "keyctl": 0, "limit": 0}),
    ({"allow": "nested-userns"}, {"userns": 0, "keyctl": errno.EPERM}),
    # Docker's line: CAP_SYS_ADMIN may make user namespaces, never keyrings
    ({"bounding": ["CAP_SYS_ADMIN"]}, {"userns": 0, "keyctl": errno.EPERM}),
    # no filter: no confinement asked for, none added
    ({"seccomp": None}, {"userns": 0, "keyctl": 0}),
    # the config's own limit is the config's
    ({"sysctl": {"user.max_user_namespaces": "3"}}, {"userns": 0, "keyctl": errno.EPERM, "limit": 3}),
    # a rule that lets keyctl through is dropped; the default refuses it then
    ({"seccomp": builtin_profile_allowing_keyrings()}, {"keyctl": ENOSYS}),
    # a rule that refuses it is the config's
    ({"seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                  "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EACCES}]}},
     {"userns": 1, "keyctl": errno.EACCES}),
], ids=["confined", "allowed", "keyrings-allowed", "userns-allowed", "sys-admin", "unconfined", "own-limit",
        "default-refuses", "rule-refuses"])
def test_a_confined_container_gets_no_user_namespace_and_no_keyring(hostdir, root, case, expected):
    """nslaunch's floor (docs/oci.md): what `nslaunch run`'s own filter and
    Docker's default profile refuse and podman's lets through, refused to a
    container the config confines, unless it says otherwise."""
    host_limit = host_userns_limit()
    seen = floor_probe(hostdir, root, **case)
    assert {k: seen[k] for k in expected} == expected, seen
    assert host_userns_limit() == host_limit


def test_mounts_of_the_config(hostdir, root):
    cp = run_bundle(hostdir, base_config(
        root, "grep -E ' /(tmp|usr|dev) ' /proc/self/mounts | cut -d' ' -f2-4; ls /dev/null /dev/pts/ptmx"))
    assert cp.returncode == 0, cp.stderr
    mounts = {line.split()[0]: line.split() for line in cp.stdout.splitlines() if line.startswith("/")
              and " " in line}
    assert mounts["/tmp"][1] == "tmpfs" and "noexec" in mounts["/tmp"][2].split(",")
    assert mounts["/usr"][2].split(",")[0] == "ro"
    assert mounts["/dev"][1] == "tmpfs"
    assert "/dev/pts/ptmx" in cp.stdout


def test_mountinfo_lists_the_configs_mounts_in_the_configs_order(hostdir, root):
    """The spec has them mounted in the listed order, and runtimetest reads
    that order from mountinfo, which Linux 6.8 and later sort by when a mount
    was made: a bind's source, cloned before the root was built, is copied
    again as it is attached (a directory's tree and a file)."""
    config = base_config(root, "cut -d' ' -f5 /proc/self/mountinfo")
    config["mounts"] += [
        {"destination": "/mnt/etc", "type": "bind", "source": "/etc", "options": ["rbind", "ro"]},
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/mnt/hostname", "type": "bind", "source": "/etc/hostname", "options": ["bind", "ro"]},
    ]
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    listed = [m["destination"] for m in config["mounts"]]
    points = cp.stdout.split()
    assert points[0] == "/"
    # the visible mount at each destination: the last listed there (the test
    # image is itself made of mounts, which the config's cover)
    last = {p: i for i, p in enumerate(points)}
    assert sorted(listed, key=last.get) == listed, " ".join(points)


def test_a_binds_data_options_are_ignored_as_mount_2_ignores_them(hostdir, root):
    """mode= and size= make a new filesystem; a bind makes none (runc and crun
    hand them to mount(2), which ignores data with MS_BIND): accepted, no effect."""
    config = base_config(root, "grep ' /usr ' /proc/self/mounts | cut -d' ' -f4 | cut -d, -f1")
    config["mounts"][3]["options"] = ["rbind", "ro", "mode=755", "size=1k"]
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["ro"]


def test_no_network_namespace_listed_is_the_hosts(hostdir, root):
    config = base_config(root, "cat /proc/net/dev | wc -l")
    cp = run_bundle(hostdir, config)
    lines_own = int(cp.stdout)
    config["linux"]["namespaces"] = [ns for ns in config["linux"]["namespaces"] if ns["type"] != "network"]
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 0, cp.stderr
    with open("/proc/net/dev") as f:
        assert int(cp.stdout) == len(f.read().splitlines())
    assert lines_own == 3   # two header lines and lo


@pytest.mark.parametrize("path,value,line", [
    (("linux", "intelRdt"), {"closID": "x"}, "nslaunch: config.json: linux.intelRdt: not supported"),
    (("process", "apparmorProfile"), "two\nlines",
     "nslaunch: config.json: process.apparmorProfile: a profile name has no line breaks"),
    (("process", "selinuxLabel"), "system_u:system_r:container_t:s0",
     "nslaunch: config.json: process.selinuxLabel: not supported"),
    (("linux", "seccomp"), {"defaultAction": "SCMP_ACT_ALLOW",
                            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},
     "nslaunch: config.json: linux.seccomp.listenerPath: SCMP_ACT_NOTIFY hands calls to a seccomp agent, whose "
     "socket this names: missing"),
    (("annotations", "org.nslaunch.allow"), "keyrings,keyring",
     "nslaunch: config.json: annotations.org.nslaunch.allow: keyring: not something nslaunch refuses "
     "(nested-userns, keyrings)"),
])
def test_a_refused_field_is_named(hostdir, root, path, value, line):
    config = base_config(root, "echo ran")
    config[path[0]][path[1]] = value
    cp = run_bundle(hostdir, config)
    assert cp.returncode == 125
    assert cp.stdout == ""
    assert_one_error_line(cp)
    assert cp.stderr.strip() == line


@pytest.mark.skipif(not IS_ROOT, reason="the identity map is root's")
def test_as_root_without_a_user_namespace_files_are_the_hosts(hostdir, root):
    cp = run_bundle(hostdir, base_config(root, "cat /proc/self/uid_map /proc/self/gid_map; stat -c %u /usr/bin/env"))
    assert cp.returncode == 0, cp.stderr
    assert [line.split() for line in cp.stdout.splitlines()[:2]] == [["0", "0", "4294967295"]] * 2
    assert cp.stdout.splitlines()[2] == "0"
