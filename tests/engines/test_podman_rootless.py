"""Rootless podman 4.3 (the user nsltest, its subordinate ids through newuidmap)
with --runtime $NSL_OCI_RUNTIME, on the local busybox image.

podman runs the runtime as root of a user namespace of its own, which maps
the user and its subordinate ids. A container whose config has no user
namespace shares that namespace under runc; nslaunch always makes one, and
maps it onto the same ids (the identity of podman's), so the container's
users are the same host ids as under runc. Started by root, as the user:
its own storage, runroot, runtime state and XDG_RUNTIME_DIR in the session
directory; no cgroups (rootless podman has none on cgroup v1).
"""

import contextlib
import os
import shutil
import signal
import socket

import pytest

from conftest import IMAGE, RUNTIME, describe, root_only, run, write_containers_conf
from host_facts import unprivileged_user
from test_podman import LOOP_UNTIL_TERM, inspect, run_interactive

pytestmark = root_only

USER = "nsltest"
# a range for the user's subordinate ids when the machine gave it none
SUBIDS = "200000-265535"


def subordinate_start(user):
    """The first of the user's subordinate uids (/etc/subuid), or None."""
    try:
        with open("/etc/subuid") as f:
            for line in f:
                name, start, _ = line.strip().split(":")
                if name == user:
                    return int(start)
    except FileNotFoundError:
        pass
    return None


def add_subordinate_ids():
    """Subordinate uids and gids of the test user's, for newuidmap."""
    if subordinate_start(USER) is None:
        run(["usermod", "--add-subuids", SUBIDS, "--add-subgids", SUBIDS, USER], check=True)


class RootlessPodman:
    def __init__(self, directory, user):
        self.directory = directory
        self.user = user
        for d in ("home", "xdg", "storage", "runroot", "tmp", "runtime", "bin"):
            os.makedirs(os.path.join(directory, d), mode=0o700)
        # the runtime where the user can execute it (the build tree may be under /root)
        self.runtime = os.path.join(directory, "bin", os.path.basename(RUNTIME))
        shutil.copy(os.path.realpath(RUNTIME), self.runtime)
        conf = write_containers_conf(directory)
        registries = os.path.join(directory, "registries.conf")
        with open(registries, "w") as f:
            f.write("unqualified-search-registries = []\n")
        self.env = {"HOME": f"{directory}/home", "XDG_RUNTIME_DIR": f"{directory}/xdg",
                    "XDG_CONFIG_HOME": f"{directory}/home/.config", "CONTAINERS_CONF": conf,
                    "CONTAINERS_REGISTRIES_CONF": registries, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        for dirpath, dirnames, filenames in os.walk(directory):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                os.chown(name, user.pw_uid, user.pw_gid)
        self.base = ["podman", "--root", f"{directory}/storage", "--runroot", f"{directory}/runroot",
                     "--tmpdir", f"{directory}/tmp", "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file", "--runtime", self.runtime,
                     "--runtime-flag", f"root={directory}/runtime"]

    def argv(self, *args):
        return ["runuser", "-u", self.user.pw_name, "--", "env", "-i",
                *(f"{k}={v}" for k, v in self.env.items()), *self.base, *args]

    def __call__(self, *args, check=False, **kwargs):
        return run(self.argv(*args), check=check, **kwargs)

    def run(self, *args, **kwargs):
        return self("run", "--network", "none", *args, **kwargs)

    def pause_pid(self):
        """podman's pause process, which keeps its user namespace between commands
        (its pid file is in --tmpdir)."""
        try:
            with open(os.path.join(self.directory, "tmp", "pause.pid")) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None


@pytest.fixture(scope="module")
def rootless(session_dir, rootfs_tar):
    if not shutil.which("newuidmap"):
        pytest.fail("newuidmap is not installed (tests/run-all installs uidmap)", pytrace=False)
    with unprivileged_user(USER) as user:
        add_subordinate_ids()
        lock = f"/dev/shm/libpod_rootless_lock_{user.pw_uid}"
        lock_existed = os.path.exists(lock)
        engine = RootlessPodman(os.path.join(session_dir, "rootless"), user)
        tar = os.path.join(engine.directory, "rootfs.tar")
        shutil.copy(rootfs_tar, tar)
        os.chown(tar, user.pw_uid, user.pw_gid)
        try:
            engine("import", tar, IMAGE, check=True)
            yield engine
        finally:
            engine("rm", "--all", "--force", "--time", "0")
            engine("rmi", "--all", "--force")
            pause = engine.pause_pid()
            if pause:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pause, signal.SIGKILL)      # started by this session's podman
            if not lock_existed and os.path.exists(lock):
                os.unlink(lock)


@pytest.fixture
def shared_dir(rootless):
    """A directory the user owns (root of podman's namespace), writable by every container user."""
    path = os.path.join(rootless.directory, "shared")
    os.mkdir(path, 0o1777)
    os.chmod(path, 0o1777)
    os.chown(path, rootless.user.pw_uid, rootless.user.pw_gid)
    yield path
    shutil.rmtree(path)


def test_run_rm_exit_code_and_root(rootless):
    result = rootless.run("--rm", IMAGE, "sh", "-c", "id; exit 42")
    assert result.returncode == 42, describe(result)
    assert result.stdout.split()[:2] == ["uid=0(root)", "gid=0(root)"], describe(result)


def test_users_are_the_host_ids_podman_gives_them(rootless, shared_dir):
    """Container root is the user; uid 1000 is the user's subordinate id 999 (podman's own map)."""
    result = rootless.run("--rm", "-v", f"{shared_dir}:/data", IMAGE, "sh", "-c", "touch /data/by-root")
    assert result.returncode == 0, describe(result)
    result = rootless.run("--rm", "--user", "1000:1000", "-v", f"{shared_dir}:/data", IMAGE, "sh", "-c",
                          "touch /data/by-1000")
    assert result.returncode == 0, describe(result)
    start = subordinate_start(USER)
    by_root, by_1000 = (os.stat(os.path.join(shared_dir, n)) for n in ("by-root", "by-1000"))
    assert (by_root.st_uid, by_root.st_gid) == (rootless.user.pw_uid, rootless.user.pw_gid)
    assert (by_1000.st_uid, by_1000.st_gid) == (start + 999, start + 999)


ID_NUMBERS = "id -u; id -g; id -G"


def test_user_and_supplementary_groups(rootless):
    result = rootless.run("--rm", "--user", "1000:1000", "--group-add", "27", IMAGE, "sh", "-c", ID_NUMBERS)
    assert result.returncode == 0, describe(result)
    uid, gid, groups = result.stdout.splitlines()
    assert (uid, gid, sorted(groups.split())) == ("1000", "1000", ["1000", "27"]), describe(result)


def test_read_only_root_tmpfs_and_read_only_bind(rootless, shared_dir):
    with open(os.path.join(shared_dir, "f"), "w") as f:
        f.write("host data\n")
    result = rootless.run("--rm", "--read-only", "--tmpfs", "/tmp", "-v", f"{shared_dir}:/data:ro", IMAGE,
                          "sh", "-c", "cat /data/f; echo ok > /tmp/t && cat /tmp/t; touch /x; touch /data/g")
    assert result.returncode == 1, describe(result)
    assert result.stdout == "host data\nok\n", describe(result)
    assert result.stderr.count("Read-only file system") == 2, describe(result)
    assert not os.path.exists(os.path.join(shared_dir, "g"))


def test_device(rootless):
    """Rootless podman makes --device a bind of the host's node (not
    linux.devices): nslaunch-runc makes that bind a device bind, the one
    without nodev."""
    result = rootless.run("--rm", "--device", "/dev/zero:/dev/nsl-zero", IMAGE, "sh", "-c",
                          "head -c 3 /dev/nsl-zero | od -An -tx1")
    assert result.returncode == 0, describe(result)
    assert result.stdout.split() == ["00", "00", "00"], describe(result)


def test_seccomp_profile(rootless, seccomp_profile):
    profile = os.path.join(rootless.directory, "deny-mkdir.json")
    shutil.copy(seccomp_profile, profile)
    os.chmod(profile, 0o644)
    result = rootless.run("--rm", "--security-opt", f"seccomp={profile}", IMAGE, "sh", "-c",
                          "touch /tmp/allowed && echo touched; mkdir /tmp/denied")
    assert result.returncode == 1 and result.stdout == "touched\n", describe(result)
    assert "Operation not permitted" in result.stderr, describe(result)


def test_detach_exec_stop_rm(rootless):
    name = "rootless-detached"
    result = rootless.run("-d", "--name", name, IMAGE, "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done")
    assert result.returncode == 0, describe(result)
    try:
        result = rootless("exec", name, "sh", "-c", "echo in-the-container; exit 9")
        assert result.returncode == 9 and result.stdout == "in-the-container\n", describe(result)
        result = rootless("exec", "--user", "1000:1000", name, "sh", "-c", ID_NUMBERS)
        assert result.stdout.split("\n")[:2] == ["1000", "1000"], describe(result)
        result = rootless("stop", "--time", "20", name)
        assert result.returncode == 0, describe(result)
        status = rootless("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name, check=True)
        assert status.stdout.split() == ["exited", "0"], describe(status)
    finally:
        result = rootless("rm", "--force", "--time", "0", name)
    assert result.returncode == 0, describe(result)


def test_network_ipc_and_uts_of_another_container_are_joined(rootless):
    """--network/--ipc/--uts container:NAME (the paths of the other's
    namespaces, which its own user namespace owns): podman's user namespace
    root joins them for the new container, whose names are the other's."""
    name = "rootless-ns-holder"
    result = rootless.run("-d", "--name", name, "--ipc", "shareable", IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        holder = int(inspect(rootless, name, "{{.State.Pid}}"))
        result = rootless("run", "--rm", f"--network=container:{name}", f"--ipc=container:{name}",
                          f"--uts=container:{name}", IMAGE, "sh", "-c",
                          "for ns in net ipc uts; do readlink /proc/self/ns/$ns; done; hostname")
        assert result.returncode == 0, describe(result)
        *links, hostname = result.stdout.split()
        assert links == [os.readlink(f"/proc/{holder}/ns/{ns}") for ns in ("net", "ipc", "uts")], describe(result)
        held = rootless("exec", name, "hostname", check=True)
        assert hostname == held.stdout.strip(), describe(result)
        assert inspect(rootless, name, "{{.State.Status}}") == "running"
    finally:
        rootless("rm", "--force", "--time", "0", name)


def test_host_uts_namespace_is_shared(rootless):
    """--uts=host (no UTS namespace in the config): the runtime's own, which
    its user namespace does not own, is the container's, unchanged. (Not
    --ipc=host: rootless podman then binds the host's /dev/mqueue, which
    this host does not mount.)"""
    result = rootless.run("--rm", "--uts=host", IMAGE, "sh", "-c", "readlink /proc/self/ns/uts; hostname")
    assert result.returncode == 0, describe(result)
    assert result.stdout.split() == [os.readlink("/proc/self/ns/uts"), socket.gethostname()], describe(result)


def test_run_interactive_through_a_pty(rootless):
    rc, out = run_interactive(rootless.argv("run", "--network", "none", "-it", "--rm", IMAGE, "sh"))
    assert rc == 5, out
    assert "/dev/pts/" in out and "stdin-is-a-tty" in out and "42" in out, out
