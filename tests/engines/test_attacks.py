"""The attack suite (tests/attacks) through the OCI path: the same attack
programs, built statically so that they run in the busybox image, started
by a real engine (`podman run --runtime $NSL_OCI_RUNTIME`) with podman's
defaults (its seccomp profile, its default capabilities, --network none),
the program directory bound read-only at /attack.  What is checked on the
host is what tests/attacks checks; where an engine differs (podman grants
its own default capabilities through the config; the command may be the
container's pid 1), the check says how it was adapted.

Every probe refuses to run in the host's initial pid namespace
(progs/guard.h); the victims signalled are processes this test starts.
"""

import errno
import hashlib
import os
import shutil
import subprocess
import struct
import tempfile
import time

import pytest

from conftest import IMAGE, RUNTIME, root_only

pytestmark = root_only

PROGS_SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "attacks", "progs")
PROGS = ("overwrite", "escalate", "whoami", "hog")


@pytest.fixture(scope="session")
def progs(session_dir):
    """{name: path} of the attack programs, static, in a 0755 directory."""
    out = os.path.join(session_dir, "attack-bin")
    os.mkdir(out, 0o755)
    cc = os.environ.get("CC", "cc")
    built = {"dir": out}
    for name in PROGS:
        exe = os.path.join(out, name)
        cp = subprocess.run([cc, "-static", "-std=c17", "-O1", "-Wall", "-Wextra", "-Werror", "-o", exe,
                             os.path.join(PROGS_SRC, name + ".c")], capture_output=True, text=True)
        if cp.returncode != 0:
            pytest.fail(f"cannot build {name} statically: {cp.stderr}", pytrace=False)
        os.chmod(exe, 0o755)
        built[name] = exe
    return built


def attack(podman, progs, *args, timeout=60):
    """podman run --rm with the programs at /attack (read-only), then ARGS (options, IMAGE, command)."""
    return podman.run("--rm", "-v", f"{progs['dir']}:/attack:ro", *args, timeout=timeout)


def lines(stdout):
    return {n: (int(r), int(e)) for n, r, e in (l.split() for l in stdout.splitlines())}


# --------------------------------------------------------------------------
# escalation (tests/attacks/test_escalation.py): every way up or out is refused


ALWAYS_REFUSED = ("ptrace_pid1", "pidfd_getfd_init", "mount_tmpfs")
FILTERED = ("unshare_user", "int80", "io_uring_setup", "add_key", "keyctl_join", "perf_event_open")
# What `nslaunch run`'s own filter refuses and podman 4.3's default seccomp
# profile allows. nslaunch's floor (docs/oci.md) refuses them to a confined
# container all the same; other runtimes (runc, the reference) apply the
# profile as given and let them through.
PROFILE_ALLOWS = ("unshare_user", "keyctl_join")
NSLAUNCH = os.path.basename(RUNTIME) == "nslaunch-runc"


@pytest.fixture(scope="module")
def escalation(podman, progs):
    return escalate(podman, progs)


def escalate(podman, progs, *options):
    """escalate's results ({name: (result, errno)}) under podman's defaults
    and options, given a victim on the host (a sleep this test starts) and
    the test's pid."""
    victim = subprocess.Popen(["sleep", "60"])
    try:
        cp = attack(podman, progs, *options, IMAGE, "/attack/escalate", str(victim.pid), str(os.getpid()))
        assert cp.returncode == 0, cp.stderr
        r = lines(cp.stdout)
        assert set(ALWAYS_REFUSED + FILTERED + ("getpid",)) <= set(r), cp.stdout
        print(f"{os.path.basename(RUNTIME)}: {r}")
        return r, victim.pid, victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_escalation_refused(escalation):
    r, victim, survived = escalation
    if r["getpid"][0] == 1:
        # the probe is the container's pid 1 (runc: no runtime process stays
        # in the container): attaching to itself is refused by the kernel,
        # and pidfd_getfd on itself takes only its own fds, no runtime's
        assert r["ptrace_pid1"][0] == -1, r["ptrace_pid1"]
    else:
        # pid 1 is the runtime's init: neither ptrace nor its fds
        for name in ("ptrace_pid1", "pidfd_getfd_init"):
            assert r[name][0] == -1, (name, r[name])
    assert r["mount_tmpfs"][0] == -1, r["mount_tmpfs"]
    allowed = {name: r[name] for name in FILTERED if (NSLAUNCH or name not in PROFILE_ALLOWS) and r[name][0] >= 0}
    assert not allowed, f"allowed under podman's defaults: {allowed}"
    # host pids do not exist in the container's pid namespace
    for pid in (victim, os.getpid()):
        res, _ = r[f"kill_{pid}"]
        assert res == -1 or pid <= 3, (pid, r[f"kill_{pid}"])
    assert survived, "a host process was killed from inside the container"


@pytest.mark.parametrize("name", PROFILE_ALLOWS)
def test_what_podmans_profile_allows_is_refused_as_by_nslaunch_run(escalation, name):
    if not NSLAUNCH:
        pytest.skip("nslaunch's floor: other runtimes apply the profile as given")
    r, _, _ = escalation
    assert r[name][0] < 0, (name, r[name])
    # the limit of 0 in the container's user namespace; the profile's
    # default for what it does not list (ENOSYS), keyctl's rule taken out
    assert r[name][1] == {"unshare_user": errno.ENOSPC, "keyctl_join": errno.ENOSYS}[name], (name, r[name])


def test_the_annotation_lifts_the_floor(podman, progs):
    """org.nslaunch.allow gives one container what podman's profile allows
    (`podman run --annotation`), and nothing of what the profile refuses."""
    if not NSLAUNCH:
        pytest.skip("an annotation of nslaunch's own")
    r, _, survived = escalate(podman, progs, "--annotation", "org.nslaunch.allow=nested-userns keyrings")
    assert all(r[name][0] >= 0 for name in PROFILE_ALLOWS), r
    assert all(r[name][0] < 0 for name in FILTERED if name not in PROFILE_ALLOWS), r
    assert survived


# --------------------------------------------------------------------------
# ids and capabilities (whoami): podman's defaults, nothing more


CAP = {"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4, "KILL": 5, "SETGID": 6,
       "SETUID": 7, "SETPCAP": 8, "AUDIT_WRITE": 29, "NET_BIND_SERVICE": 10, "NET_ADMIN": 12, "NET_RAW": 13, "SYS_MODULE": 16,
       "SYS_RAWIO": 17, "SYS_CHROOT": 18, "SYS_PTRACE": 19, "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_TIME": 25,
       "MKNOD": 27, "AUDIT_CONTROL": 30, "SETFCAP": 31, "MAC_OVERRIDE": 32, "MAC_ADMIN": 33, "SYSLOG": 34,
       "PERFMON": 38, "BPF": 39, "CHECKPOINT_RESTORE": 40}
# podman 4.3's built-in default_capabilities (the session's containers.conf
# sets none): the eleven of newer releases plus AUDIT_WRITE, MKNOD, NET_RAW
PODMAN_DEFAULT = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "SETFCAP", "SETGID",
                  "SETPCAP", "SETUID", "SYS_CHROOT", "AUDIT_WRITE", "MKNOD", "NET_RAW")
NEVER = ("SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "NET_ADMIN", "DAC_READ_SEARCH", "SYS_BOOT",
         "SYS_TIME", "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "PERFMON", "AUDIT_CONTROL", "SYSLOG",
         "CHECKPOINT_RESTORE")


def mask(*names):
    return sum(1 << CAP[n] for n in names)


@pytest.mark.parametrize("user", [[], ["--user", "1000:1000"]], ids=["root", "uid1000"])
def test_ids_and_capabilities_are_podmans_defaults(podman, progs, user):
    cp = attack(podman, progs, *user, IMAGE, "/attack/whoami")
    assert cp.returncode == 0, cp.stderr
    words = cp.stdout.split()
    euid, capeff = int(words[1]), int(words[3], 16)
    if user:
        assert euid == 1000 and capeff == 0, cp.stdout
        return
    assert euid == 0, cp.stdout
    assert capeff & ~mask(*PODMAN_DEFAULT) == 0, f"beyond podman's defaults: {capeff:#x}"
    assert capeff & mask(*NEVER) == 0, f"{capeff:#x}"
    assert capeff == mask(*PODMAN_DEFAULT), f"{capeff:#x} is not podman's default set"


def vfs_cap(*caps):
    """security.capability (VFS_CAP_REVISION_2, effective) with the permitted set CAPS."""
    lo = sum(1 << c for c in caps if c < 32)
    hi = sum(1 << (c - 32) for c in caps if c >= 32)
    return struct.pack("<IIIII", 0x02000000 | 1, lo, 0, hi, 0)


# Setuid-root binaries and file capabilities reached through a bind mount
# (tests/attacks/test_escalation.py::test_setuid_and_file_caps_give_nothing):
# run as uid 1000 in the container, the program must stay uid 1000 with no
# capability.  nslaunch honours podman's noNewPrivileges: false as runc does,
# but mounts every bind nosuid (docs/oci.md).
@pytest.mark.parametrize("kind", ["setuid", "filecaps"])
def test_setuid_and_file_caps_give_nothing(podman, progs, session_dir, kind):
    d = tempfile.mkdtemp(prefix="suid.", dir=session_dir)
    os.chmod(d, 0o755)
    exe = os.path.join(d, "whoami")
    shutil.copy(progs["whoami"], exe)
    if kind == "setuid":
        os.chown(exe, 0, 0)
        os.chmod(exe, 0o4755)
    else:
        os.chmod(exe, 0o755)
        os.setxattr(exe, "security.capability", vfs_cap(CAP["DAC_OVERRIDE"], CAP["SYS_ADMIN"]))
    # the precondition: on the host, for an unprivileged user, it elevates
    outside = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", exe],
                             capture_output=True, text=True)
    want = "euid 0" if kind == "setuid" else "capeff 0000000000200002"
    if want not in outside.stdout:
        pytest.skip(f"{d} does not honour setuid/file capabilities here: {outside.stdout!r}")
    cp = podman.run("--rm", "-v", f"{d}:/suid:ro", "--user", "1000:1000", IMAGE, "/suid/whoami")
    assert cp.returncode == 0, cp.stderr
    words = cp.stdout.split()
    assert int(words[1]) == 1000, cp.stdout
    assert words[3] == "0000000000000000", cp.stdout


# --------------------------------------------------------------------------
# leaked fds and cwd (tests/attacks/test_leaked_fds.py)


def test_no_host_fd_reaches_the_container(podman, progs, session_dir):
    d = tempfile.mkdtemp(prefix="cwd.", dir=session_dir)
    with open(os.path.join(d, "secret"), "w") as f:
        f.write("host-secret-4b1d\n")
    script = ("ls -l /proc/self/fd; echo cwd $(pwd); "
              "for p in secret ../secret /proc/self/cwd/secret /proc/1/cwd/secret "
              "/proc/self/fd/3 /proc/self/fd/4 /proc/self/fd/5 /proc/self/fd/6 "
              "/proc/self/fd/200 /proc/self/fd/201 /proc/self/fd/202 /proc/self/fd/203; do "
              "grep -q host-secret $p 2>/dev/null && echo FOUND $p; done; "
              "ls /proc/self/fd/4 /proc/self/fd/201 2>/dev/null | grep -q cgroup.procs && echo FOUND cgroupfs; "
              "echo done")
    # inheritable fds to the host's /, the cgroup hierarchy, a host file and
    # the cwd, at low and high numbers, handed to podman (and so to conmon
    # and the runtime, if nothing closes them)
    setup = ("exec 3</ 4</sys/fs/cgroup 5<secret 6<. 200</ 201</sys/fs/cgroup 202<secret 203<. && "
             "ls -l /proc/self/fd/5 /proc/self/fd/202 >/dev/null && exec \"$@\"")
    cp = subprocess.run(["/bin/bash", "-c", setup, "bash",
                         *podman.run_argv("--rm", IMAGE, "sh", "-c", script)],
                        cwd=d, env=podman.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                        timeout=60)
    assert cp.returncode == 0, cp.stderr
    fds = {}
    for line in cp.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[-2] == "->":
            fds[int(parts[-3])] = parts[-1]
    assert set(fds) - {0, 1, 2, 3} == set(), fds
    if 3 in fds:
        assert fds[3].startswith("/proc/") and fds[3].endswith("/fd"), fds   # ls's own directory
    assert "cwd /\n" in cp.stdout, cp.stdout
    assert "FOUND" not in cp.stdout, cp.stdout
    assert cp.stdout.rstrip().endswith("done"), cp.stdout


# --------------------------------------------------------------------------
# overwriting the runtime's binary (tests/attacks/test_overwrite.py)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# CVE-2019-5736: a container sweeps /proc/*/exe and /proc/*/fd/* for writing
# (and reopens O_PATH handles) looking for the runtime's binary, while more
# containers start through the same binary.  The runtime is a copy in a
# directory of its own, 0777, named to podman as the runtime: only the
# container's isolation protects it.
def test_runtime_binary_cannot_be_overwritten(podman, progs, session_dir):
    d = tempfile.mkdtemp(prefix="victim.", dir=session_dir)
    os.chmod(d, 0o755)
    victim = os.path.join(d, os.path.basename(RUNTIME))
    shutil.copy(RUNTIME, victim)
    os.chmod(victim, 0o777)
    os.close(os.open(victim, os.O_WRONLY))      # the precondition: writable on the host
    before = digest(victim)
    st = os.stat(victim)

    def argv(*args):
        return [victim if a == RUNTIME else a for a in podman.run_argv(*args)]

    attacker = subprocess.Popen(
        argv("--rm", "-v", f"{progs['dir']}:/attack:ro", IMAGE, "/attack/overwrite",
             str(st.st_dev), str(st.st_ino), "8"),
        env=podman.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    starts = 0
    try:
        time.sleep(1)
        while attacker.poll() is None and starts < 6:
            cp = subprocess.run(argv("--rm", IMAGE, "true"), env=podman.env, capture_output=True, text=True,
                                timeout=60)
            assert cp.returncode == 0, cp.stderr
            starts += 1
        out, err = attacker.communicate(timeout=60)
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()
    assert attacker.returncode == 0, err
    assert "HIT" not in out, out
    tries, hits = int(out.split()[-3]), int(out.split()[-1])
    assert hits == 0 and tries > 100, out
    assert starts > 0, "no container started while the attack ran"
    assert digest(victim) == before, "the runtime's binary changed on the host"
    assert digest(RUNTIME) == before


# --------------------------------------------------------------------------
# denial of service stays inside (tests/attacks/test_dos.py)


LIMITS = {"fork": ["--pids-limit", "64"], "memory": ["--memory", "64m", "--memory-swap", "64m"],
          "disk": ["--tmpfs", "/tmp:size=8m"], "fds": ["--ulimit", "nofile=256:256",
                                                     # a --ulimit drops containers.conf's, and podman's own
                                                     # nproc is above this host's hard limit
                                                     "--ulimit", "nproc=4096:4096"]}
WORK = ("dd if=/dev/zero of=/tmp/w bs=1M count=1 2>/dev/null && i=0 && "
        "while [ $i -lt 5 ]; do /bin/true || exit 1; i=$((i+1)); done && echo ok")


@pytest.mark.parametrize("kind", ["fork", "memory", "disk", "fds"])
def test_dos_stays_inside(podman, progs, kind):
    args = ["/tmp"] if kind == "disk" else []
    attacker = subprocess.Popen(
        podman.run_argv("--rm", *LIMITS[kind], "-v", f"{progs['dir']}:/attack:ro", IMAGE,
                        "/attack/hog", kind, *args, "4"),
        env=podman.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)               # podman's start, then let it press
        start = time.monotonic()
        second = podman.run("--rm", IMAGE, "sh", "-c", WORK, timeout=60)
        second_took = time.monotonic() - start
        host_start = time.monotonic()
        for _ in range(10):
            subprocess.run(["/bin/true"], check=True, timeout=10)
        host_took = time.monotonic() - host_start
        out, err = attacker.communicate(timeout=60)
    finally:
        if attacker.poll() is None:
            attacker.kill()
            attacker.wait()
    assert second.returncode == 0 and second.stdout == "ok\n", (second.returncode, second.stderr)
    assert second_took < 30 and host_took < 10, (second_took, host_took)
    if kind == "fork":
        assert "fork refused" in out, (attacker.returncode, out, err)
    elif kind == "memory":
        assert attacker.returncode == 137 or "malloc refused" in out, (attacker.returncode, out, err)
    elif kind == "disk":
        kib = int(out.split()[3])
        assert 7 * 1024 <= kib <= 8 * 1024, out      # filled its own 8 MiB, no more
    else:
        assert "fds refused after" in out and int(out.split()[3].rstrip(":")) <= 256, (attacker.returncode, out, err)
    assert attacker.returncode in (0, 137), (attacker.returncode, err)


# --------------------------------------------------------------------------
# the mount-target race (tests/attacks/test_mount_race.py, runc CVE-2021-30465)


RACE_LAUNCHES = int(os.environ.get("NSL_ENGINE_RACE_LAUNCHES", "30"))


def host_mount_points():
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4] for line in f}


# The CVE's shape through an engine: a volume shared with the attacker, and
# a container whose mounts go below that volume.  A helper on the host (as
# in tests/attacks) exchanges the volume's directory t with a symlink l -> /
# in a tight loop while containers start with the volume at /vol and a
# tmpfs and a bind at /vol/t/NAME-*.  The runtime must resolve the targets
# inside the container's root: at most into the container's own /, never
# the host's.
def test_mount_target_exchange_race(podman, progs, session_dir):
    exchange = os.path.join(session_dir, "exchange")
    cp = subprocess.run([os.environ.get("CC", "cc"), "-std=c17", "-O1", "-Wall", "-Wextra", "-Werror", "-o",
                         exchange, os.path.join(PROGS_SRC, "exchange.c")], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    name = "nsl-race-" + os.urandom(4).hex()
    vol = tempfile.mkdtemp(prefix="race-vol.", dir=session_dir)
    src = tempfile.mkdtemp(prefix="race-src.", dir=session_dir)
    os.chmod(vol, 0o755)
    os.makedirs(os.path.join(vol, "t", f"{name}-tmp"))
    os.makedirs(os.path.join(vol, "t", f"{name}-bind"))
    os.symlink("/", os.path.join(vol, "l"))
    escaped = ["/" + name + "-tmp", "/" + name + "-bind"]
    mounts = ["-v", f"{vol}:/vol", "-v", f"{src}:/vol/t/{name}-bind", "--tmpfs", f"/vol/t/{name}-tmp"]
    allowed = {f"/vol/{d}/{name}-{k}" for d in ("t", "l") for k in ("tmp", "bind")}
    allowed |= {f"/{name}-tmp", f"/{name}-bind"}

    calm = podman.run("--rm", *mounts, IMAGE, "cat", "/proc/self/mountinfo")
    assert calm.returncode == 0, calm.stderr
    assert {l.split()[4] for l in calm.stdout.splitlines() if name in l} == {f"/vol/t/{name}-tmp",
                                                                           f"/vol/t/{name}-bind"}, calm.stdout

    helper = subprocess.Popen([exchange, os.path.join(vol, "t"), os.path.join(vol, "l")],
                              stdout=subprocess.PIPE, text=True)
    assert helper.stdout.readline() == "ready\n"
    results = []
    start = time.monotonic()
    try:
        for _ in range(RACE_LAUNCHES):
            cp = podman.run("--rm", *mounts, IMAGE, "cat", "/proc/self/mountinfo")
            if cp.returncode != 0:
                results.append(("refused", cp.returncode, cp.stderr.strip()))
                continue
            ours = {l.split()[4] for l in cp.stdout.splitlines() if name in l}
            results.append(("ran", sorted(ours - allowed), len(ours)))
    finally:
        helper.terminate()
        out, _ = helper.communicate(timeout=10)
    took = time.monotonic() - start
    on_host = [p for p in host_mount_points() if name in p]
    created = [p for p in escaped if os.path.lexists(p)]
    for p in created:
        if p not in on_host:
            os.rmdir(p)
    assert not on_host, f"a mount of the race is on the host: {on_host}"
    assert not created, f"the runtime created {created} on the host through the symlink"
    exchanges = int(out.split()[1])
    ran = [x for x in results if x[0] == "ran"]
    refused = [x for x in results if x[0] == "refused"]
    print(f"{os.path.basename(RUNTIME)}: {RACE_LAUNCHES} launches in {took:.1f}s, {exchanges} exchanges, "
          f"{len(refused)} refused: {refused[:2]}")
    assert exchanges > RACE_LAUNCHES, (exchanges, took)
    assert not [x for x in ran if x[1]], [x for x in ran if x[1]][:5]
    # a refusal is the runtime's error, one line naming the raced target
    # (never a crash, never a cause lost on the way to the engine)
    assert all(name in x[2] and "\n" not in x[2] for x in refused), refused[:5]
    assert ran, f"no launch got through: {refused[:3]}"
    assert all(x[2] == 2 for x in ran), [x for x in ran if x[2] != 2][:5]
