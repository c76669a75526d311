"""The library's setters for what an OCI bundle asks of the sandbox
(nsl_spec_set_bundle_layout, nsl_spec_set_dev, nsl_spec_set_sysfs,
nsl_spec_set_cgroupfs, masked and read-only paths, id maps, groups, a
network namespace to join, sysctls, domainname, umask, oom_score_adj), and
the bind/tmpfs flag words noexec, nosuid, nodev.

`nslaunch run` has no options for the setters (the OCI runtime sets them
from config.json), so they are driven through tests/layout/nsl-layout.c, a
small program linked against the library: $NSL_LAYOUT, else next to
$NSLAUNCH (run-rootless.sh copies it there), else the build tree's."""
import errno
import os
import socket
import subprocess
import time

import pytest

from conftest import IS_ROOT, PY, SH, assert_one_error_line, built_tool, pids_in_pid_ns

UID = os.geteuid()
GID = os.getegid()
CAP_SYS_RESOURCE = 24


def has_cap(number):
    with open("/proc/self/status") as f:
        eff = next(int(line.split()[1], 16) for line in f if line.startswith("CapEff:"))
    return bool(eff >> number & 1)


def layout_binary():
    return built_tool("nsl-layout", "NSL_LAYOUT")


def layout(*opts, cmd, timeout=20):
    return subprocess.run([layout_binary()] + [str(o) for o in opts] + ["--"] + list(cmd),
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def layout_py(code, *opts):
    return layout(*opts, cmd=[PY, "-c", code])


@pytest.fixture
def image(rootfs):
    """A --rootfs image with /sys too, as a bundle's rootfs has."""
    root, opts = rootfs(extra_dirs=("sys",))
    return root, opts


def mounts_code(extra=""):
    return ("mounts = {l.split()[1]: l.split() for l in open('/proc/self/mounts')}\n" + extra)


# --- 1. the bundle layout -----------------------------------------------------------------


def test_bundle_layout_has_no_tmp_dev_or_proc(image):
    root, opts = image
    code = (
        "import os\n"
        "top = os.stat('/').st_dev\n"
        "for d in ('/tmp', '/dev', '/proc'):\n"
        "    st = os.stat(d)\n"
        "    print(d, st.st_dev == top, sorted(os.listdir(d)))\n")
    cp = layout_py(code, *opts, "--bundle")
    assert cp.returncode == 0, cp.stderr
    # the image's own empty directories: nothing mounted on them
    assert cp.stdout.split("\n")[:3] == ["/tmp True []", "/dev True []", "/proc True []"], cp.stdout


def test_bundle_layout_dev_and_proc_when_asked(image):
    root, opts = image
    code = mounts_code(
        "import os, stat\n"
        "print(stat.S_ISCHR(os.stat('/dev/null').st_mode), mounts['/dev'][2], mounts['/dev/shm'][2],\n"
        "      mounts['/proc'][2], '/tmp' in mounts, os.path.isdir('/proc/self'))\n")
    cp = layout_py(code, *opts, "--bundle", "--dev", "--proc", "pid")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["True", "tmpfs", "tmpfs", "proc", "False", "True"], cp.stdout


def test_every_new_filesystem_has_a_source(image):
    """mountinfo's source field names each filesystem the sandbox makes, as
    mount(8), runc and crun do ("shm" for /dev/shm), never the kernel's "none"."""
    root, opts = image
    code = ("for l in open('/proc/self/mountinfo'):\n"
            "    f = l.split(); rest = f[f.index('-') + 1:]\n"
            "    print(f[4], rest[0], rest[1])\n")
    cp = layout_py(code, *opts, "--bundle", "--dev", "--proc", "full", "--sysfs")
    assert cp.returncode == 0, cp.stderr
    seen = {line.split()[0]: line.split()[1:] for line in cp.stdout.splitlines()}
    assert seen["/proc"] == ["proc", "proc"], seen
    assert seen["/dev"] == ["tmpfs", "tmpfs"], seen
    assert seen["/dev/pts"] == ["devpts", "devpts"], seen
    assert seen["/dev/mqueue"] == ["mqueue", "mqueue"], seen
    assert seen["/dev/shm"] == ["tmpfs", "shm"], seen
    assert seen["/sys"] == ["sysfs", "sysfs"], seen
    assert not any(src == "none" for _, src in seen.values()), seen


def test_kernel_filesystems_mount_in_the_oci_default_order(image):
    """runtime-spec: mounts in the listed order; runc's default config.json
    lists /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys."""
    root, opts = image
    code = "print(' '.join(l.split()[4] for l in open('/proc/self/mountinfo')))"
    cp = layout_py(code, *opts, "--bundle", "--dev", "--proc", "full", "--sysfs")
    assert cp.returncode == 0, cp.stderr
    order = [p for p in cp.stdout.split() if p in ("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys")]
    assert order == ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"], cp.stdout


def test_default_layout_is_unchanged_without_bundle(image):
    root, opts = image
    cp = layout_py(mounts_code("print(mounts['/tmp'][2], mounts['/dev'][2], mounts['/proc'][2])"), *opts)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["tmpfs", "tmpfs", "proc"]


# --- 2, 3. id maps and supplementary groups ----------------------------------------------------


@pytest.mark.skipif(not IS_ROOT, reason="only root may write an identity map")
def test_identity_map_as_root(image):
    root, opts = image
    code = ("import os\n"
            "print(open('/proc/self/uid_map').read().split(), open('/proc/self/gid_map').read().split())\n"
            "print(open('/proc/self/setgroups').read().strip(), os.getuid(), os.stat('/usr/bin').st_uid,\n"
            "      sorted(os.getgroups()))\n")
    cp = layout_py(code, *opts, "--bundle", "--proc", "full",
                   "--uid-map", "0:0:4294967295", "--gid-map", "0:0:4294967295", "--group", "4", "--group", "27")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0] == "['0', '0', '4294967295'] ['0', '0', '4294967295']", lines
    # the container's root owns what host root owns in the image; setgroups allowed for its groups
    assert lines[1].split() == ["allow", "0", "0", "[4,", "27]"], lines


@pytest.mark.skipif(not IS_ROOT, reason="only root may map a range of host ids")
def test_range_map_as_root(image):
    root, opts = image
    code = ("import os\n"
            "print(open('/proc/self/uid_map').read().split(), os.getuid(), os.getgid(),\n"
            "      open('/proc/self/setgroups').read().strip())\n")
    cp = layout_py(code, *opts, "--bundle", "--proc", "full", "--uid-map", "0:100000:65536",
                   "--gid-map", "0:100000:65536", "--uid", "1000", "--gid", "1000")
    assert cp.returncode == 0, cp.stderr
    # root wrote the maps: setgroups stays allowed, for gids of the map only
    assert cp.stdout.split() == ["['0',", "'100000',", "'65536']", "1000", "1000", "allow"], cp.stdout


@pytest.mark.skipif(IS_ROOT, reason="rootless refusals")
def test_rootless_map_of_own_id(image):
    root, opts = image
    cp = layout_py("import os; print(open('/proc/self/uid_map').read().split(), os.getuid())",
                   *opts, "--proc", "full", "--uid-map", f"0:{UID}:1", "--gid-map", f"0:{GID}:1")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["['0',", f"'{UID}',", "'1']", "0"]
    cp = layout(*opts, "--uid-map", "0:0:1", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert "uid-map" in cp.stderr and "only your own id" in cp.stderr
    cp = layout(*opts, "--group", str(GID), cmd=["/bin/true"])
    assert cp.returncode == 125 and "group" in cp.stderr and "setgroups" in cp.stderr, cp.stderr


def test_unmapped_group_is_refused(image):
    root, opts = image
    if not IS_ROOT:
        pytest.skip("rootless refuses every group (test_rootless_map_of_own_id)")
    cp = layout(*opts, "--group", "5", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert "group: 5 is not mapped by the gid map" in cp.stderr


@pytest.mark.skipif(not IS_ROOT, reason="supplementary groups need root (setgroups is denied rootless)")
def test_groups_in_a_range_map(image):
    root, opts = image
    cp = layout_py("import os; print(sorted(os.getgroups()), os.getgid())", *opts,
                   "--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536", "--group", "100", "--group", "7")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["[7,", "100]", "0"]


# --- 4. sysfs and cgroupfs ---------------------------------------------------------------------


def test_sysfs_and_cgroupfs_own_network(image):
    root, opts = image
    code = mounts_code(
        "import os, errno\n"
        "print(mounts['/sys'][2], mounts['/sys'][3].split(',')[0], mounts['/sys/fs/cgroup'][2],\n"
        "      mounts['/sys/fs/cgroup'][3].split(',')[0])\n"
        "print(sorted(os.listdir('/sys/class/net')), os.path.exists('/sys/fs/cgroup/cgroup.controllers'))\n"
        "try:\n"
        "    os.mkdir('/sys/fs/cgroup/x')\n"
        "except OSError as e:\n"
        "    print(errno.errorcode[e.errno])\n")
    cp = layout_py(code, *opts, "--bundle", "--proc", "full", "--sysfs", "--cgroupfs")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0].split() == ["sysfs", "ro", "cgroup2", "ro"], lines
    # the sandbox's own network namespace: its loopback only
    assert lines[1] == "['lo'] True", lines
    assert lines[2] == "EROFS", lines


def test_sysfs_with_host_network_is_a_read_only_bind(image):
    root, opts = image
    host_devices = sorted(os.listdir("/sys/class/net"))
    code = mounts_code(
        "import os\n"
        "print(mounts['/sys'][2], mounts['/sys'][3].split(',')[0], sorted(os.listdir('/sys/class/net')))\n"
        "subs = [m for m in mounts if m.startswith('/sys/')]\n"
        "print(all(mounts[m][3].split(',')[0] == 'ro' for m in subs))\n")
    cp = layout_py(code, *opts, "--bundle", "--proc", "full", "--sysfs", "--network", "host")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0] == f"sysfs ro {host_devices}", lines
    assert lines[1] == "True", lines


# --- 5. masked and read-only paths ---------------------------------------------------------------


def test_masked_and_readonly_paths(image):
    root, opts = image
    os.makedirs(os.path.join(root, "secret"))
    with open(os.path.join(root, "secret", "key"), "w") as f:
        f.write("hidden\n")
    with open(os.path.join(root, "etc", "token"), "w") as f:
        f.write("hidden\n")
    # a symlink in the image resolves inside the root, never on the host
    os.symlink("/../../../../etc", os.path.join(root, "up"))
    code = mounts_code(
        "import os, errno\n"
        "print(repr(open('/etc/token').read()), os.listdir('/secret'), repr(open('/etc/group').read()))\n"
        "print(mounts['/secret'][3].split(',')[0], os.path.exists('/proc/kcore') and open('/proc/kcore','rb').read(1))\n"
        "for p in ('/data/f', '/secret/f', '/proc/sys/kernel/domainname'):\n"
        "    try:\n"
        "        open(p, 'w').write('x')\n"
        "        print(p, 'written')\n"
        "    except OSError as e:\n"
        "        print(p, errno.errorcode[e.errno])\n"
        "points = [l.split()[1] for l in open('/proc/self/mounts')]\n"
        "print(*(points.count(p) for p in ('/proc/keys', '/proc/sys', '/proc/timer_list', '/proc/fs')))\n")
    host_group = open("/etc/group").read()
    cp = layout_py(code, *opts, "--bundle", "--proc", "full", "--tmpfs", "/data",
                   "--mask", "/etc/token", "--mask", "/secret", "--mask", "/absent/file", "--mask", "/up/group",
                   "--mask", "/proc/kcore", "--mask", "/proc/keys", "--ro-path", "/data", "--ro-path", "/proc/sys")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0] == "'' [] ''", lines
    assert lines[1].split()[0] == "ro", lines
    assert lines[2:5] == ["/data/f EROFS", "/secret/f EROFS", "/proc/sys/kernel/domainname EROFS"], lines
    # what the lists cover, /proc's own covers leave to them: covered once
    # (an engine's config lists nearly all of them)
    assert lines[5] == "1 1 1 1", lines
    # the host's own files are untouched
    assert open("/etc/group").read() == host_group
    assert open(os.path.join(root, "etc", "token")).read() == "hidden\n"


def test_masked_path_must_be_absolute(image):
    root, opts = image
    cp = layout(*opts, "--mask", "relative/path", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert "masked-path: relative/path" in cp.stderr


@pytest.mark.parametrize("opt", ["--mask", "--ro-path"])
def test_path_leading_to_the_root_is_refused(image, opt):
    # covering the root itself would hide the whole image under the pivot
    root, opts = image
    os.symlink("/", os.path.join(root, "toroot"))
    cp = layout(*opts, opt, "/toroot", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert "/toroot: target resolves to the sandbox's root" in cp.stderr


# --- 6. joining a network namespace ------------------------------------------------------------


@pytest.fixture
def netns_holder():
    """A process of our own in a new network namespace; its ns/net path."""
    proc = subprocess.Popen(["unshare", "--net", "sleep", "60"])
    path = f"/proc/{proc.pid}/ns/net"
    own = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + 5
    while os.readlink(path) == own and time.monotonic() < deadline:
        time.sleep(0.02)
    yield path
    proc.kill()
    proc.wait()


@pytest.mark.skipif(not IS_ROOT, reason="joining a network namespace needs root (refusal: the test below)")
def test_join_network_namespace(image, netns_holder):
    root, opts = image
    target = os.readlink(netns_holder)
    code = "import os; print(os.readlink('/proc/self/ns/net'), sorted(os.listdir('/proc/sys/net/ipv4/conf')))"
    cp = layout_py(code, *opts, "--proc", "full", "--netns", netns_holder)
    # nsl-layout checks that its own namespace is unchanged (exit 3 otherwise)
    assert cp.returncode == 0, cp.stderr
    ns, devices = cp.stdout.strip().split(" ", 1)
    assert ns == target != os.readlink("/proc/self/ns/net")
    assert devices == "['all', 'default', 'lo']"
    cp = layout(*opts, "--netns", "/proc/self/ns/mnt", cmd=["/bin/true"])
    assert cp.returncode == 125 and "not a network namespace" in cp.stderr, cp.stderr


@pytest.mark.skipif(not IS_ROOT, reason="joining a network namespace needs root")
def test_sysctls_of_a_joined_network_namespace(image, netns_holder):
    # the sandbox has no privilege over a namespace it joins: the host
    # writes its net.* sysctls; the IPC ones are still init's
    root, opts = image
    host = open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read()
    cp = layout(*opts, "--proc", "full", "--netns", netns_holder, "--sysctl", "net.ipv4.ip_unprivileged_port_start=81",
                "--sysctl", "kernel.msgmax=4321",
                cmd=["/bin/cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/kernel/msgmax"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["81", "4321"]
    assert open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read() == host


@pytest.mark.skipif(not IS_ROOT, reason="joining a network namespace needs root")
def test_sysfs_of_a_joined_network_namespace(image, netns_holder):
    # the host makes it while in that namespace: its devices, read-only
    root, opts = image
    code = mounts_code("import os; print(mounts['/sys'][2], mounts['/sys'][3].split(',')[0], "
                       "sorted(os.listdir('/sys/class/net')))")
    cp = layout_py(code, *opts, "--bundle", "--proc", "full", "--sysfs", "--netns", netns_holder)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip() == "sysfs ro ['lo']"


@pytest.mark.skipif(IS_ROOT, reason="the rootless refusal")
def test_join_network_namespace_rootless_is_refused(image):
    root, opts = image
    cp = layout(*opts, "--netns", "/proc/self/ns/net", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert "network-ns" in cp.stderr and "needs nslaunch run as root" in cp.stderr


# --- 6b. joining a pod's IPC and UTS namespaces ----------------------------------------------


@pytest.fixture
def pod_holder():
    """A process of our own in new IPC and UTS namespaces, as a pod's infra
    container holds them: hostname "podhost", a System V shared memory
    segment, kernel.msgmax 3333. Yields its pid."""
    script = ("hostname podhost && ipcmk -M 4096 >/dev/null && echo 3333 > /proc/sys/kernel/msgmax && "
              "echo ready && exec sleep 60")
    proc = subprocess.Popen(["unshare", "--ipc", "--uts", "sh", "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    yield proc.pid
    proc.kill()
    proc.wait()


def in_pod(pid, *argv):
    return subprocess.run(["nsenter", "-t", str(pid), "--ipc", "--uts", *argv], capture_output=True, text=True,
                          check=True).stdout


JOINED_CODE = mounts_code(
    "import os, socket, subprocess\n"
    "print(os.readlink('/proc/self/ns/ipc'), os.readlink('/proc/self/ns/uts'), socket.gethostname())\n"
    "print(open('/proc/sys/kernel/msgmax').read().strip(), mounts['/dev/mqueue'][2])\n"
    "print(len(subprocess.run(['ipcs', '-m'], capture_output=True, text=True).stdout.split('0x')) - 1)\n")


@pytest.mark.skipif(not IS_ROOT, reason="joining namespaces needs root (refusal: the test below)")
def test_join_a_pods_ipc_and_uts_namespaces(image, pod_holder):
    """The sandbox is born in them: the pod's hostname and shared memory
    are its own, and its /dev/mqueue (which the host makes, in the joined
    namespace) too; the sandbox renames nothing unless asked."""
    root, opts = image
    ipc, uts = (f"/proc/{pod_holder}/ns/{kind}" for kind in ("ipc", "uts"))
    cp = layout_py(JOINED_CODE, *opts, "--ro-bind", "/usr:/usr", "--dev", "--proc", "full",
                   "--join", f"ipc={ipc}", "--join", f"uts={uts}")
    # nsl-layout checks that its own namespaces are unchanged (exit 3 otherwise)
    assert cp.returncode == 0, cp.stderr
    names, sysctl, segments = cp.stdout.splitlines()
    assert names.split() == [os.readlink(ipc), os.readlink(uts), "podhost"]
    assert os.readlink(ipc) != os.readlink("/proc/self/ns/ipc")
    assert sysctl.split() == ["3333", "mqueue"]
    assert segments == "1"
    assert in_pod(pod_holder, "hostname") == "podhost\n"


@pytest.mark.skipif(not IS_ROOT, reason="joining namespaces needs root")
def test_a_joined_namespace_takes_a_given_hostname_and_ipc_sysctl(image, pod_holder):
    """What init may not do in namespaces its user namespace does not own
    the host does there: the hostname and domainname given, the IPC
    sysctls; the host's own stay as they were."""
    root, opts = image
    host_name, host_msgmax = socket.gethostname(), open("/proc/sys/kernel/msgmax").read()
    ipc, uts = (f"/proc/{pod_holder}/ns/{kind}" for kind in ("ipc", "uts"))
    cp = layout(*opts, "--proc", "full", "--join", f"ipc={ipc}", "--join", f"uts={uts}", "--hostname", "renamed",
                "--domainname", "pod.test", "--sysctl", "kernel.msgmax=4444",
                cmd=["/bin/cat", "/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname", "/proc/sys/kernel/msgmax"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["renamed", "pod.test", "4444"]
    assert in_pod(pod_holder, "cat", "/proc/sys/kernel/hostname", "/proc/sys/kernel/msgmax").split() == \
        ["renamed", "4444"]
    assert socket.gethostname() == host_name and open("/proc/sys/kernel/msgmax").read() == host_msgmax


@pytest.mark.parametrize("join, cause", [
    ("mount=/proc/self/ns/mnt", "only a network, ipc, uts or pid namespace can be joined"),
    ("ipc=/proc/self/ns/uts", "not an IPC namespace"),
    ("uts=relative/path", "expected an absolute path"),
])
def test_joining_the_wrong_namespace_is_one_line_naming_it(image, join, cause):
    root, opts = image
    cp = layout(*opts, "--join", join, cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert cause in cp.stderr or (not IS_ROOT and "needs nslaunch run as root" in cp.stderr), cp.stderr



@pytest.mark.skipif(not IS_ROOT, reason="joining namespaces needs root")
@pytest.mark.parametrize("opts, cause", [
    (["--join", "uts=/proc/self/ns/uts", "--hostname", "renamed"],
     "uts-ns: /proc/self/ns/uts: the caller's own UTS namespace: a hostname or domainname would rename the host"),
    (["--join", "uts=/proc/self/ns/uts", "--domainname", "renamed.test"], "would rename the host"),
    (["--join", "ipc=/proc/self/ns/ipc", "--sysctl", "kernel.msgmax=4444"],
     "sysctl: kernel.msgmax=4444: /proc/self/ns/ipc is the caller's own namespace: it would change the host's"),
], ids=["hostname", "domainname", "ipc-sysctl"])
def test_the_callers_own_namespaces_are_never_changed(image, opts, cause):
    """Joined, the host's own UTS and IPC namespaces (what an OCI config
    without them gets) would be renamed or retuned by the host's duties for
    a joined one: refused before anything starts, and the host's are as
    they were."""
    root, opts_image = image
    host_name, host_msgmax = socket.gethostname(), open("/proc/sys/kernel/msgmax").read()
    cp = layout(*opts_image, *opts, cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert cause in cp.stderr, cp.stderr
    assert socket.gethostname() == host_name and open("/proc/sys/kernel/msgmax").read() == host_msgmax


# --- 6c. joining a pid namespace ----------------------------------------------------------------


@pytest.mark.skipif(not IS_ROOT, reason="joining namespaces needs root")
def test_a_joined_pid_namespace_needs_a_cgroup(image):
    """What a killed init leaves in a namespace it shares, only a cgroup
    finds: without one the launch is refused before anything starts."""
    root, opts = image
    cp = layout(*opts, "--join", "pid=/proc/self/ns/pid", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert "pid-ns: /proc/self/ns/pid: a joined pid namespace needs a cgroup" in cp.stderr


@pytest.mark.skipif(not IS_ROOT, reason="joining namespaces needs root")
def test_a_timeout_in_a_joined_pid_namespace_signals_every_process(image, pid_ns_holder):
    """--timeout's SIGTERM reaches every process of the sandbox (init finds
    them below it, not in the namespace, which is others' too): here the
    command ignores it and sees its child end by it. What is left when the
    command has ended init kills. The caller stays in its own namespaces
    (nsl-layout checks pid_for_children too). The timeout
    leaves the shell time to set its traps in a loaded VM (a launch in the
    6.1 guest took up to 1 s with the host's CPUs busy)."""
    root, opts = image
    target, link = pid_ns_holder
    script = ("trap '' TERM; (exec sleep 1001) & (trap - TERM; exec sleep 1000) & echo ready; "
              "wait $!; echo child-ended; exit 7")
    cp = layout(*opts, "--join", f"pid={target}", "--pids", "64", "--timeout", "2", "--kill-after", "5",
                cmd=["/bin/sh", "-c", script])
    assert cp.returncode == 124, cp.stderr
    assert cp.stdout == "ready\nchild-ended\n", cp.stderr
    assert len(pids_in_pid_ns(link)) == 1, "a process of the sandbox outlived it"

# --- 7. sysctl, domainname, umask, oom_score_adj -----------------------------------------------


def test_sysctls_are_the_sandboxs(image):
    root, opts = image
    host_shmmax = open("/proc/sys/kernel/shmmax").read()
    host_ping = open("/proc/sys/net/ipv4/ping_group_range").read()
    # rootless, the kernel lets only the namespace's uid 0 write the IPC sysctls
    ids = [] if IS_ROOT else ["--uid-map", f"0:{UID}:1", "--gid-map", f"0:{GID}:1"]
    code = ("print(open('/proc/sys/kernel/shmmax').read().strip(), "
            "open('/proc/sys/net/ipv4/ping_group_range').read().split())")
    cp = layout_py(code, *opts, *ids, "--proc", "full", "--sysctl", "kernel.shmmax=123456",
                   "--sysctl", "net.ipv4.ping_group_range=0 0")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["123456", "['0',", "'0']"]
    assert open("/proc/sys/kernel/shmmax").read() == host_shmmax
    assert open("/proc/sys/net/ipv4/ping_group_range").read() == host_ping


@pytest.mark.parametrize("joined_ipc", [False, True], ids=["own-ipc", "joined-ipc"])
def test_a_user_sysctl_limits_the_sandboxs_own_user_namespace(image, joined_ipc):
    """user.* belongs to the sandbox's user namespace, which it never joins:
    init writes it, also beside a joined IPC namespace (whose sysctls the
    host writes), and the host's limit stays as it was."""
    if joined_ipc and not IS_ROOT:
        pytest.skip("joining namespaces needs root")
    root, opts = image
    host = open("/proc/sys/user/max_user_namespaces").read()
    join = ["--join", "ipc=/proc/self/ns/ipc"] if joined_ipc else []
    code = ("import ctypes; libc = ctypes.CDLL(None, use_errno=True); r = libc.unshare(0x10000000); "
            "print(open('/proc/sys/user/max_user_namespaces').read().strip(), r, ctypes.get_errno())")
    # no filter: the built-in one refuses the call itself (EPERM)
    cp = layout_py(code, *opts, *join, "--proc", "full", "--seccomp", "unconfined",
                   "--sysctl", "user.max_user_namespaces=0")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["0", "-1", str(errno.ENOSPC)]
    assert open("/proc/sys/user/max_user_namespaces").read() == host


def test_net_sysctl_as_the_callers_uid(image):
    # the network namespace's sysctls need CAP_NET_ADMIN over it, not its uid 0
    root, opts = image
    host = open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read()
    cp = layout(*opts, "--proc", "full", "--sysctl", "net.ipv4.ip_unprivileged_port_start=80",
                cmd=["/bin/cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip() == "80"
    assert open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read() == host


@pytest.mark.parametrize("assignment,cause", [
    ("kernel.hostname=x", "kernel.hostname is not namespaced"),
    ("vm.overcommit_memory=1", "vm.overcommit_memory is not namespaced"),
    ("net.ipv4..x=1", "not a sysctl name"),
    ("kernel.shmmax", "expected KEY=VALUE"),
])
def test_sysctl_refusals_name_the_key(image, assignment, cause):
    root, opts = image
    cp = layout(*opts, "--sysctl", assignment, cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert f"sysctl: {assignment}" in cp.stderr and cause in cp.stderr


def test_net_sysctl_with_host_network_is_refused(image):
    root, opts = image
    cp = layout(*opts, "--network", "host", "--sysctl", "net.ipv4.ip_forward=1", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert "net.ipv4.ip_forward=1: with the host's network" in cp.stderr


def test_domainname_umask_oom_score_adj(image):
    root, opts = image
    # without CAP_SYS_RESOURCE (rootless, or a root without it) the kernel lets you raise it only
    adj = "-300" if has_cap(CAP_SYS_RESOURCE) else "700"
    code = ("import os\n"
            "print(os.uname().domainname if hasattr(os.uname(), 'domainname') else "
            "open('/proc/sys/kernel/domainname').read().strip(), oct(os.umask(0)),\n"
            "      open('/proc/self/oom_score_adj').read().strip(), open('/proc/1/oom_score_adj').read().strip())\n")
    cp = layout_py(code, *opts, "--proc", "full", "--domainname", "example.org", "--umask", "027",
                   "--oom-score-adj", adj)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["example.org", "0o27", adj, adj]


@pytest.mark.skipif(has_cap(CAP_SYS_RESOURCE), reason="CAP_SYS_RESOURCE may lower it")
def test_oom_score_adj_lowered_without_cap_sys_resource_is_refused(image):
    root, opts = image
    cp = layout(*opts, "--oom-score-adj", "-5", cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert "oom-score-adj" in cp.stderr and "Permission denied" in cp.stderr


def test_setter_refusals(image):
    root, opts = image
    for args, text in ((["--oom-score-adj", "1001"], "oom-score-adj: 1001: must be from -1000 to 1000"),
                       (["--umask", "7777"], "umask: 7777: only permission bits"),
                       (["--domainname", "a b"], "domainname: a b: only letters"),
                       (["--uid-map", "0:0:0"], "uid-map: 0 0 0: empty"),
                       (["--uid-map", "0:1000:10", "--uid-map", "5:2000:1"], "overlaps an earlier line")):
        cp = layout(*opts, *args, cmd=["/bin/true"])
        assert cp.returncode == 125, (args, cp.stderr)
        assert_one_error_line(cp)
        assert text in cp.stderr, (args, cp.stderr)


# --- 8. bind and tmpfs flag words (through nslaunch run: they are --bind's and --tmpfs' own) ----


def test_noexec_binds_and_tmpfs(nsl, hostdir):
    src = hostdir(0o755)
    exe = os.path.join(src, "prog")
    with open("/bin/true", "rb") as f, open(exe, "wb") as out:
        out.write(f.read())
    os.chmod(exe, 0o755)
    script = ("/x/prog; echo x=$?; /y/prog; echo y=$?; cp /bin/true /t/p && /t/p; echo t=$?; "
              "grep -E ' /(x|y|t) ' /proc/self/mounts | cut -d' ' -f2,4")
    cp = nsl.sh(script, "--bind", f"{src}:/x:ro,noexec,nosuid,nodev", "--ro-bind", f"{src}:/y:nodev",
                "--tmpfs", "/t:size=1m,noexec,nosuid", "--proc", "full")
    assert cp.returncode == 0, cp.stderr
    out = cp.stdout.splitlines()
    assert out[:3] == ["x=126", "y=0", "t=126"], cp.stdout
    flags = {line.split()[0]: line.split()[1].split(",") for line in out[3:]}
    assert {"noexec", "nosuid", "nodev", "ro"} <= set(flags["/x"])
    assert "noexec" not in flags["/y"] and {"nosuid", "nodev"} <= set(flags["/y"])
    assert {"noexec", "nosuid", "nodev"} <= set(flags["/t"])


@pytest.mark.parametrize("opt,value,word", [
    ("--bind", "{src}:/x:suid", "suid"),
    ("--bind", "{src}:/x:ro,dev", "dev"),
    ("--ro-bind", "{src}:/x:exec", "exec"),
    ("--tmpfs", "/t:suid", "suid"),
    ("--tmpfs", "/t:size=1m,exec", "exec"),
])
def test_suid_dev_exec_refused(nsl, hostdir, opt, value, word):
    src = hostdir(0o755)
    cp = nsl.run(opt, value.format(src=src), cmd=["/bin/true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert f"'{word}' refused" in cp.stderr


def test_sysfs_in_an_image_without_sys(rootfs):
    # the read-only image lacks /sys (and /proc, /dev): its root is spliced
    # for /sys only when sysfs is asked for, and never for what is not
    root, opts = rootfs(skip=("proc", "dev"))
    code = "import os; print(sorted(d for d in os.listdir('/') if d in ('dev', 'proc', 'sys')), os.listdir('/sys/fs'))"
    cp = layout_py(code, *opts, "--bundle", "--sysfs")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith("['sys'] ["), cp.stdout
    cp = layout_py("import os; print(sorted(os.listdir('/')))", *opts, "--bundle")
    assert cp.returncode == 0, cp.stderr
    assert "sys" not in cp.stdout and "proc" not in cp.stdout and "'dev'" not in cp.stdout, cp.stdout


@pytest.mark.skipif(not IS_ROOT, reason="binds are idmapped automatically only by root")
def test_caller_maps_turn_the_automatic_idmap_off(image, hostdir):
    # a read-write bind the overflow user could not write is idmapped
    # automatically; with the caller's maps the sandbox's users are what
    # the maps say, so the bind stays plain and the owner shows as it is
    root, opts = image
    src = hostdir(0o755)
    os.chown(src, 1234, 1234)
    code = "import os; print(os.stat('/data').st_uid, 'idmapped' in open('/proc/self/mountinfo').read())"
    cp = layout_py(code, *opts, "--proc", "full", "--bind", f"{src}:/data")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["0", "True"]
    cp = layout_py(code, *opts, "--proc", "full", "--bind", f"{src}:/data",
                   "--uid-map", "0:0:4294967295", "--gid-map", "0:0:4294967295")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["1234", "False"]
