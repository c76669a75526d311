"""Real container engines (podman, containerd + ctr, dockerd) driving an OCI runtime.

The runtime under test is $NSL_OCI_RUNTIME (default: the build tree's
nslaunch-runc).  Root only.  Every engine is started by this session with
private state under one temporary directory, so the host's
/var/lib/containers, /var/lib/docker and /run/containerd are never used:

  * podman: --root/--runroot/--tmpdir in the directory, vfs storage (image
    commands with a tmpfs over /var/lib, see Podman.images), its own
    containers.conf (cgroupfs, file events, no network, and ulimits within
    this host's hard limits: podman's defaults raise RLIMIT_NOFILE and
    RLIMIT_NPROC above them and the runtime then fails to set them);
  * containerd and dockerd run in a private mount namespace with a tmpfs over
    /run (the runc shim puts its sockets under /run/containerd/s and the
    runtimes their state under /run) and over /etc/docker, so whatever they
    mount is gone with the namespace.

Every container lives under a cgroup parent named for the session; teardown
kills what is left (found by the session directory in its command line: the
pytest process is a child subreaper, so engines' daemons and shims stay its
descendants), unmounts what is mounted under the session directory, removes
the session's cgroups and the directory.
"""

import ctypes
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

_TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(_TOP, "tests", "integration"))     # host_facts
RUNTIME = os.path.abspath(os.environ.get("NSL_OCI_RUNTIME") or os.path.join(_TOP, "build", "launcher", "nslaunch-runc"))
BUSYBOX = "/bin/busybox"
IMAGE = "localhost/nsl-busybox:latest"
TIMEOUT = 60

IS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not IS_ROOT, reason="the engine tests run as root only")

PR_SET_CHILD_SUBREAPER = 36
if IS_ROOT:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def run(argv, env=None, timeout=TIMEOUT, check=False, **kwargs):
    result = subprocess.run(argv, env=env, timeout=timeout, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{argv!r} exited {result.returncode}: {result.stderr.strip()}")
    return result


def describe(result):
    """The line an assertion prints: what ran and what it said."""
    return f"exit {result.returncode}\nstdout: {result.stdout.strip()}\nstderr: {result.stderr.strip()}"


# --------------------------------------------------------------------------
# the session directory, the image, and the cleanup


def _session_pids(marker):
    """Pids (not ours) whose command line names the session directory."""
    own = os.getpid()
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == own:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if marker.encode() in cmdline:
            pids.append(int(entry))
    return pids


def kill_session_processes(marker):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _session_pids(marker)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while pids and time.monotonic() < deadline:
            pids = [p for p in pids if os.path.exists(f"/proc/{p}") and _state(p) != "Z"]
            _reap()
            time.sleep(0.1)
    _reap()


def _running(*names):
    """Whether a process with one of these command names runs (another user's podman)."""
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() in names:
                    return True
        except OSError:
            pass
    return False


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def gone(pid, within=5.0):
    """pid has ended (or is a zombie) within a few seconds: an engine may
    remove its container, and its runtime end the rest, after run returns."""
    deadline = time.monotonic() + within
    while _state(pid) not in (None, "Z", "X") and time.monotonic() < deadline:
        time.sleep(0.05)
    return _state(pid) in (None, "Z", "X")


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def unmount_under(directory):
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    ours = [p for p in points if p == directory or p.startswith(directory + "/")]
    for point in sorted(set(ours), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def cgroup_file(pid, controller, name):
    """What a file of the cgroup pid is in holds: the controller's v1
    hierarchy where the host keeps it there, else cgroup v2's."""
    with open(f"/proc/{pid}/cgroup") as f:
        lines = [line.rstrip("\n").split(":", 2) for line in f]
    v1 = [path for _, controllers, path in lines if controller in controllers.split(",")]
    base = f"/sys/fs/cgroup/{controller}{v1[0]}" if v1 else "/sys/fs/cgroup" + next(p for i, c, p in lines if i == "0")
    with open(os.path.join(base, name)) as f:
        return f.read().strip()


def check_in_scope(engine, name, pid, scope, limit_file, property, value):
    """Container name's process pid is in systemd's scope (SLICE/UNIT under
    the v2 root), whose limit_file holds value, which systemd knows as its
    property; the engine's exec there sees its cgroup namespace's root."""
    with open(f"/proc/{pid}/cgroup") as f:
        assert f.read() == f"0::/{scope}\n"
    with open(f"/sys/fs/cgroup/{scope}/{limit_file}") as f:
        assert f.read() == f"{value}\n"
    unit = os.path.basename(scope)
    shown = subprocess.run(["systemctl", "show", unit, f"--property={property}"], capture_output=True, text=True)
    assert shown.stdout.strip() == f"{property}={value}", shown.stdout
    result = engine("exec", name, "cat", "/proc/self/cgroup")
    assert result.returncode == 0 and result.stdout == "0::/\n", describe(result)


def wait_scope_gone(scope):
    deadline = time.monotonic() + 5
    while os.path.exists(f"/sys/fs/cgroup/{scope}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/sys/fs/cgroup/{scope}"), scope


def _session_cgroups(name):
    """Every cgroup directory of the trees called NAME at the top of the hierarchies, deepest first."""
    found = []
    for base in ("/sys/fs/cgroup", *(e.path for e in os.scandir("/sys/fs/cgroup") if e.is_dir())):
        top = os.path.join(base, name)
        if os.path.isdir(top):
            found += [dirpath for dirpath, _, _ in os.walk(top)]
    return sorted(found, key=len, reverse=True)


def remove_cgroups(name):
    """Kill what is left in the session's cgroups (a container whose engine
    failed half way: its init waits for a start that never comes), then rmdir
    them, again until none is left. Where a v1 controller is not mounted
    (here hugetlb, net_cls, net_prio, perf_event: plain directories of
    /sys/fs/cgroup's tmpfs), conmon makes its "cgroup" all the same and
    writes a file `tasks` into it: those files go first."""
    for _ in range(50):
        pids = set()
        for cgroup in _session_cgroups(name):
            try:
                with open(os.path.join(cgroup, "cgroup.procs")) as f:
                    pids.update(int(p) for p in f.read().split())
            except OSError:
                pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap()
        for cgroup in _session_cgroups(name):
            if not os.path.exists(os.path.join(cgroup, "cgroup.procs")):
                for entry in os.scandir(cgroup):
                    if entry.is_file(follow_symlinks=False):
                        os.unlink(entry.path)
            try:
                os.rmdir(cgroup)
            except OSError:
                pass
        if not _session_cgroups(name):
            return
        time.sleep(0.1)


@pytest.fixture(scope="session")
def session_dir():
    if not os.access(RUNTIME, os.X_OK):
        pytest.fail(f"no OCI runtime at {RUNTIME} (set NSL_OCI_RUNTIME)", pytrace=False)
    # a name that containerd takes as a namespace and the engines as a cgroup parent
    directory = f"/tmp/nsl-engines-{secrets.token_hex(6)}"
    os.mkdir(directory, 0o755)
    lock_existed = os.path.exists("/dev/shm/libpod_lock")
    # the engines' working directory: conmon leaves a file `oom` in its own
    previous = os.getcwd()
    os.chdir(directory)
    yield directory
    os.chdir(previous)
    kill_session_processes(directory)
    unmount_under(directory)
    remove_cgroups(cgroup_parent(directory))
    shutil.rmtree(directory, ignore_errors=True)
    # podman's lock segment has a fixed name; it is ours when it was not there before
    if not lock_existed and not _running("podman", "conmon"):
        try:
            os.unlink("/dev/shm/libpod_lock")
        except FileNotFoundError:
            pass


def cgroup_parent(session_directory):
    return os.path.basename(session_directory)


@pytest.fixture(scope="session")
def rootfs_tar(session_dir):
    """A rootfs of busybox-static (the binary and a link per applet) as a tarball."""
    root = os.path.join(session_dir, "rootfs")
    for d in ("bin", "etc", "tmp", "proc", "sys", "dev", "root", "data"):
        os.makedirs(os.path.join(root, d))
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
    applets = run([BUSYBOX, "--list"], check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", os.path.join(root, "bin", applet))
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    tar = os.path.join(session_dir, "rootfs.tar")
    run(["tar", "--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf", tar, "."], check=True)
    return tar


@pytest.fixture(scope="session")
def seccomp_profile(session_dir):
    """Allows everything but mkdir and mkdirat, which fail with EPERM."""
    path = os.path.join(session_dir, "deny-mkdir.json")
    with open(path, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}, f)
    return path


@pytest.fixture
def host_dir(session_dir):
    """A host directory with a file to bind into a container."""
    path = tempfile.mkdtemp(prefix="bind.", dir=session_dir)
    os.chmod(path, 0o755)
    with open(os.path.join(path, "f"), "w") as f:
        f.write("host data\n")
    return path


# --------------------------------------------------------------------------
# podman


def write_containers_conf(directory, cgroup_manager="cgroupfs"):
    """podman's containers.conf for a session directory: cgroupfs (or
    systemd), file events, no network, and ulimits within this host's hard
    limits."""
    conf = os.path.join(directory, "containers.conf")
    with open(conf, "w") as f:
        f.write(f"""[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
log_driver = "k8s-file"
[engine]
cgroup_manager = "{cgroup_manager}"
events_logger = "file"
events_logfile_path = "{directory}/events.log"
tmp_dir = "{directory}/tmp"
[network]
network_config_dir = "{directory}/net"
""")
    return conf


class Podman:
    def __init__(self, directory, parent, cgroup_manager="cgroupfs"):
        self.directory = directory
        self.parent = parent            # None: the cgroup manager's default (systemd's machine.slice)
        for d in ("root", "runroot", "tmp"):
            os.makedirs(os.path.join(directory, d))
        conf = write_containers_conf(directory, cgroup_manager)
        storage = os.path.join(directory, "storage.conf")
        with open(storage, "w") as f:
            f.write(f'[storage]\ndriver = "vfs"\nrunroot = "{directory}/runroot"\ngraphroot = "{directory}/root"\n')
        self.env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage,
                        CONTAINERS_REGISTRIES_CONF=os.path.join(directory, "registries.conf"))
        with open(self.env["CONTAINERS_REGISTRIES_CONF"], "w") as f:
            f.write('unqualified-search-registries = []\n')
        self.base = ["podman", "--root", f"{directory}/root", "--runroot", f"{directory}/runroot",
                     "--tmpdir", f"{directory}/tmp", "--storage-driver", "vfs", "--cgroup-manager", cgroup_manager,
                     "--events-backend", "file", "--runtime", RUNTIME,
                     # the runtime's own state (runc's default is /run/runc) in the session too
                     "--runtime-flag", f"root={directory}/runtime"]

    def argv(self, *args):
        return [*self.base, *args]

    def __call__(self, *args, timeout=TIMEOUT, check=False, **kwargs):
        return run(self.argv(*args), env=self.env, timeout=timeout, check=check, **kwargs)

    def images(self, *args, check=True):
        """An image command (import, save, rmi) in a private mount namespace with a tmpfs over
        /var/lib: podman 4.3 keeps its blob-info cache of image copies in
        /var/lib/containers/cache whatever --root says."""
        return run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                    'mount -t tmpfs -o mode=755 nsl-engines /var/lib && exec "$@"', "sh", *self.argv(*args)],
                   env=self.env, check=check)

    def run_argv(self, *args):
        """`podman run` with the flags every test container gets, then ARGS."""
        parent = ["--cgroup-parent", f"/{self.parent}"] if self.parent else []
        return self.argv("run", "--network", "none", *parent, *args)

    def run(self, *args, timeout=TIMEOUT):
        return run(self.run_argv(*args), env=self.env, timeout=timeout)


@pytest.fixture(scope="session")
def podman(session_dir, rootfs_tar):
    engine = Podman(os.path.join(session_dir, "podman"), cgroup_parent(session_dir))
    engine.images("import", rootfs_tar, IMAGE)
    yield engine
    engine("rm", "--all", "--force", "--time", "0")
    engine.images("rmi", "--all", "--force", check=False)


@pytest.fixture(scope="session")
def podman_systemd(session_dir, rootfs_tar):
    """A podman with systemd's cgroup manager (where systemd is pid 1). podman
    reaches systemd through the system bus: systemd starts one for the
    session if none runs (its units alone: their dependencies would mount a
    new /tmp in tests/vm's guests), and stops it after."""
    bus_started = not os.path.exists("/run/dbus/system_bus_socket")
    if bus_started:
        subprocess.run(["systemctl", "start", "--job-mode=ignore-dependencies", "dbus.socket", "dbus.service"],
                       check=True, timeout=TIMEOUT)
    # a short name: podman refuses a runroot of over 50 characters
    engine = Podman(os.path.join(session_dir, "pm-sd"), None, cgroup_manager="systemd")
    try:
        engine.images("import", rootfs_tar, IMAGE)
        yield engine
        engine("rm", "--all", "--force", "--time", "0")
        engine.images("rmi", "--all", "--force", check=False)
    finally:
        if bus_started:
            subprocess.run(["systemctl", "stop", "dbus.service", "dbus.socket"], timeout=TIMEOUT)


@pytest.fixture(scope="session")
def image_archive(podman, session_dir):
    """The same image as a docker-archive, for `ctr image import` and `docker load`."""
    path = os.path.join(session_dir, "image.tar")
    podman.images("save", "--format", "docker-archive", "-o", path, IMAGE)
    return path


# --------------------------------------------------------------------------
# daemons in a private mount namespace


def start_in_private_mounts(argv, log_path, extra_tmpfs=()):
    """Start a daemon in its own mount namespace with a tmpfs over /run (and
    EXTRA_TMPFS). Where systemd runs, its /run/systemd is kept: the runtime
    reaches systemd there (its cgroup driver)."""
    steps = [f"mount -t tmpfs -o mode=755 nsl-engines {d}" for d in ("/run", *extra_tmpfs)]
    if os.path.isdir("/run/systemd/system"):
        held = os.path.join(os.path.dirname(log_path), "run-systemd")
        os.makedirs(held, exist_ok=True)
        steps = [f"mount --bind /run/systemd {held}", *steps, "mkdir /run/systemd", f"mount --move {held} /run/systemd"]
    mounts = " && ".join(steps)
    log = open(log_path, "w")
    return subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                             f'{mounts} && exec "$@"', "sh", *argv],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_for_socket(process, path, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    with open(log_path) as f:
        tail = f.read()[-3000:]
    pytest.fail(f"{path} did not appear (daemon exit {process.poll()}):\n{tail}", pytrace=False)


def stop_daemon(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Containerd:
    def __init__(self, directory, namespace):
        self.directory = directory
        self.address = os.path.join(directory, "containerd.sock")
        self.namespace = namespace
        self.config = os.path.join(directory, "config.toml")
        self.fifo_dir = os.path.join(directory, "fifo")
        os.makedirs(self.fifo_dir)
        with open(self.config, "w") as f:
            f.write(f"""version = 2
root = "{directory}/root"
state = "{directory}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing",
                    "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{self.address}"
[ttrpc]
  address = "{self.address}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.runtime.v1.linux"]
  shim = "containerd-shim"
  runtime = "{RUNTIME}"
  no_shim = false
""")

    def ctr(self, *args, timeout=TIMEOUT, check=False):
        return run(["ctr", "--address", self.address, "--namespace", self.namespace, *args],
                   timeout=timeout, check=check)

    def run(self, *args, timeout=TIMEOUT):
        """`ctr run` with its fifos in the session directory (ctr's default is /run/containerd/fifo)."""
        return self.ctr("run", "--fifo-dir", self.fifo_dir, *args, timeout=timeout)


@pytest.fixture(scope="session")
def containerd(session_dir, image_archive):
    engine = Containerd(os.path.join(session_dir, "containerd"), cgroup_parent(session_dir))
    log = os.path.join(engine.directory, "containerd.log")
    process = start_in_private_mounts(["containerd", "--config", engine.config], log)
    try:
        wait_for_socket(process, engine.address, log)
        engine.ctr("image", "import", image_archive, check=True)
        yield engine
        for line in engine.ctr("task", "ls", "-q").stdout.split():
            engine.ctr("task", "kill", "-s", "SIGKILL", line)
            engine.ctr("task", "delete", "--force", line)
        for line in engine.ctr("container", "ls", "-q").stdout.split():
            engine.ctr("container", "delete", line)
    finally:
        stop_daemon(process)


class Docker:
    def __init__(self, directory, parent, systemd=False):
        self.directory = directory
        self.parent = parent
        self.systemd = systemd          # systemd's cgroup driver: containers in system.slice's scopes
        self.socket = os.path.join(directory, "docker.sock")
        os.makedirs(os.path.join(directory, "data"))
        os.makedirs(os.path.join(directory, "exec"))
        self.config = os.path.join(directory, "daemon.json")
        with open(self.config, "w") as f:
            f.write("{}\n")

    def daemon_argv(self):
        d = self.directory
        return ["dockerd", "--config-file", self.config, "--data-root", f"{d}/data", "--exec-root", f"{d}/exec",
                "-H", f"unix://{self.socket}", "--pidfile", f"{d}/docker.pid", "--iptables=false",
                "--ip6tables=false", "--bridge=none", "--ip-masq=false", "--ip-forward=false",
                *(["--exec-opt", "native.cgroupdriver=systemd"] if self.systemd else
                  ["--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", f"/{self.parent}"]),
                "--storage-driver", "vfs", "--add-runtime", f"nslaunch={RUNTIME}",
                "--add-runtime", "broken=/bin/false"]

    def __call__(self, *args, timeout=TIMEOUT, check=False, **kwargs):
        return run(["/usr/bin/docker", "-H", f"unix://{self.socket}", *args], timeout=timeout, check=check,
                   **kwargs)

    def run(self, *args, runtime="nslaunch", timeout=TIMEOUT):
        return self("run", "--runtime", runtime, "--network", "none", *args, timeout=timeout)


@pytest.fixture(scope="session")
def docker(session_dir, image_archive):
    yield from started_docker(Docker(os.path.join(session_dir, "docker"), cgroup_parent(session_dir)), image_archive)


@pytest.fixture(scope="session")
def docker_systemd(session_dir, image_archive):
    """A dockerd of its own with systemd's cgroup driver (where systemd is pid 1)."""
    yield from started_docker(Docker(os.path.join(session_dir, "docker-systemd"), None, systemd=True), image_archive)


def started_docker(engine, image_archive):
    log = os.path.join(engine.directory, "dockerd.log")
    process = start_in_private_mounts(engine.daemon_argv(), log, extra_tmpfs=("/etc/docker",))
    try:
        wait_for_socket(process, engine.socket, log)
        deadline = time.monotonic() + 30
        while engine("version").returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        engine("load", "-i", image_archive, check=True)
        yield engine
        ids = engine("ps", "-aq").stdout.split()
        if ids:
            engine("rm", "--force", *ids)
    finally:
        stop_daemon(process)
