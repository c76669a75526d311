"""The seccomp engine against the real kernel: real profiles (Docker's and
podman's), the ENOSYS fallback, the 32-bit entry point, 64-bit argument
tricks, precompiled filters, the cache, and bad profiles that must stop the
launch rather than run the command unfiltered."""

import ctypes
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import pytest

from conftest import IS_ROOT, NSLAUNCH, PY, assert_one_error_line

DOCKER = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
PODMAN = "/usr/share/containers/seccomp.json"
PLUGIN = os.path.join(os.path.dirname(__file__), "..", "..", "profiles", "plugin.json")

THREADS_AND_LS = (
    "import json, subprocess, threading\n"
    "out = []\n"
    "ts = [threading.Thread(target=out.append, args=(i,)) for i in range(4)]\n"
    "[t.start() for t in ts]; [t.join() for t in ts]\n"
    "ls = subprocess.run(['ls', '/usr'], capture_output=True, text=True, check=True)\n"
    "print(json.dumps({'threads': sorted(out), 'ls_has_bin': 'bin' in ls.stdout.split()}))\n"
)
THREADS_AND_LS_OK = '{"threads": [0, 1, 2, 3], "ls_has_bin": true}\n'


def needs(path):
    if not os.path.exists(path):
        pytest.skip(f"{path} is not installed")


def status_field(nsl, name, *opts):
    cp = nsl.run(*opts, cmd=["grep", f"^{name}:", "/proc/self/status"])
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.split(":", 1)[1].strip()


@pytest.fixture
def cache(hostdir):
    return os.path.join(hostdir(0o700), "cache")


@pytest.mark.parametrize("profile", [DOCKER, PODMAN], ids=["docker", "podman"])
def test_real_profiles_run_real_programs(nsl, profile, cache):
    needs(profile)
    cp = nsl.py(THREADS_AND_LS, "--seccomp", profile, "--seccomp-cache", cache)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == THREADS_AND_LS_OK
    assert status_field(nsl, "Seccomp", "--seccomp", profile, "--seccomp-cache", cache) == "2"
    sh = nsl.sh("ls / | sort | head -1; echo $((6*7))", "--seccomp", profile, "--seccomp-cache", cache)
    assert sh.returncode == 0, sh.stderr
    assert sh.stdout.splitlines() == ["bin", "42"]


@pytest.mark.parametrize("profile", [DOCKER, PODMAN], ids=["docker", "podman"])
def test_real_profiles_still_refuse(nsl, profile, cache):
    needs(profile)
    cp = nsl.py("import ctypes, os\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "r = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)\n"
                "print(r, os.strerror(ctypes.get_errno()))\n",
                "--seccomp", profile, "--seccomp-cache", cache)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.startswith("-1 "), cp.stdout
    assert "Operation not permitted" in cp.stdout or "Function not implemented" in cp.stdout


def old_profile(tmp_path):
    """The built-in profile as it would have been written before Linux 5.3:
    nothing it names is numbered 435 (clone3) or above, so clone3,
    faccessat2, close_range and the rest are simply not in it."""
    with open(PLUGIN) as f:
        prof = json.load(f)
    # libseccomp in-process: a resolver process per name took 40 s under
    # the VM matrix's emulation
    resolve = ctypes.CDLL("libseccomp.so.2").seccomp_syscall_resolve_name
    keep = []
    for rule in prof["syscalls"]:
        names = []
        for n in rule["names"]:
            if n in ("clone3", "faccessat2") or resolve(n.encode()) >= 435:
                continue
            names.append(n)
        if names:
            rule = dict(rule, names=names)
            keep.append(rule)
    prof["syscalls"] = keep
    path = tmp_path / "old.json"
    path.write_text(json.dumps(prof))
    os.chmod(tmp_path, 0o755)
    os.chmod(path, 0o644)
    return str(path)


def test_syscalls_newer_than_the_profile_get_enosys(nsl, tmp_path, cache):
    prof = old_profile(tmp_path)
    cp = nsl.py(THREADS_AND_LS, "--seccomp", prof, "--seccomp-cache", cache)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == THREADS_AND_LS_OK
    # and the numbers themselves answer ENOSYS, not EPERM
    probe = ("import ctypes\n"
             "libc = ctypes.CDLL(None, use_errno=True)\n"
             "print(libc.syscall(435, 0, 0), ctypes.get_errno(), libc.syscall(439, -100, b'/', 0, 0), ctypes.get_errno())\n")
    cp = nsl.py(probe, "--seccomp", prof, "--seccomp-cache", cache)
    assert cp.stdout.split() == ["-1", "38", "-1", "38"], cp.stdout


def test_builtin_clone3_is_enosys_and_namespaces_are_refused(nsl):
    cp = nsl.py("import ctypes, os\n"
                "libc = ctypes.CDLL(None, use_errno=True)\n"
                "print(libc.syscall(435, 0, 0), ctypes.get_errno())\n"
                "print(libc.unshare(0x10000000), ctypes.get_errno())\n"
                "import threading; t = threading.Thread(target=print, args=('thread',)); t.start(); t.join()\n")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["-1 38", "-1 1", "thread"]
    unshare = nsl.run(cmd=["unshare", "-U", "true"])
    assert unshare.returncode != 0


INT80 = r"""
#include <stdio.h>
int main(void)
{
        long ret;
        /* getpid through the 32-bit entry point (i386 number 20) */
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
        printf("%ld\n", ret);
        return 0;
}
"""


def probe_dir():
    """A directory for a module's probe program that the sandbox's uid can
    reach (the module's fixture removes it)."""
    d = tempfile.mkdtemp(prefix="nsl-it-", dir="/tmp")
    os.chmod(d, 0o755)
    return d


@pytest.fixture(scope="module")
def int80():
    # compiled once for the module (it takes seconds under emulation), in a
    # directory the sandbox's uid can reach
    if os.uname().machine != "x86_64" or not shutil.which("cc"):
        pytest.skip("needs x86_64 and a C compiler")
    d = probe_dir()
    with open(os.path.join(d, "int80.c"), "w") as f:
        f.write(INT80)
    subprocess.run(["cc", "-O0", "-o", os.path.join(d, "int80"), os.path.join(d, "int80.c")], check=True)
    os.chmod(os.path.join(d, "int80"), 0o755)
    yield d
    shutil.rmtree(d)


@pytest.mark.parametrize("profile", ["default", DOCKER], ids=["builtin", "docker"])
def test_32_bit_entry_point_cannot_slip_past(nsl, int80, profile, cache):
    if profile != "default":
        needs(profile)
    ok = nsl.run("--ro-bind", f"{int80}:/w", "--seccomp", "unconfined", cmd=["/w/int80"])
    if ok.returncode == 128 + signal.SIGSEGV:
        # some hypervisors (PVM) fault int 0x80 before the kernel's 32-bit
        # entry sees it: there is no entry point to slip past a filter with
        pytest.skip("int 0x80 faults on this host even without a filter")
    assert ok.returncode == 0 and int(ok.stdout) > 0, (ok.stdout, ok.stderr)   # the probe works
    cp = nsl.run("--ro-bind", f"{int80}:/w", "--seccomp", profile, "--seccomp-cache", cache, cmd=["/w/int80"])
    assert cp.returncode == 128 + 31, (cp.returncode, cp.stdout, cp.stderr)    # SIGSYS: killed
    assert cp.stdout == ""


def aarch32_exit_42():
    """A static AArch32 (A32, EABI5) executable, assembled here since no
    32-bit Arm compiler is on the machine: exit(42) through the compat
    entry point (svc #0 with r7 = 1, AArch32's exit)."""
    code = struct.pack("<3I", 0xE3A0002A,   # mov r0, #42
                       0xE3A07001,          # mov r7, #1
                       0xEF000000)          # svc #0
    base, headers = 0x10000, 52 + 32
    size = headers + len(code)
    elf = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)                  # 32-bit, little-endian
    elf += struct.pack("<HHIIIIIHHHHHH", 2, 40, 1, base + headers, 52, 0, 0x05000000, 52, 32, 1, 0, 0, 0)
    elf += struct.pack("<8I", 1, 0, base, base, size, size, 5, 0x1000)  # PT_LOAD, r-x
    return elf + code


@pytest.fixture(scope="module")
def aarch32():
    if os.uname().machine != "aarch64":
        pytest.skip("the AArch32 entry point is aarch64's")
    d = probe_dir()
    with open(os.path.join(d, "exit42"), "wb") as f:
        f.write(aarch32_exit_42())
    os.chmod(os.path.join(d, "exit42"), 0o755)
    yield d
    shutil.rmtree(d)


@pytest.mark.parametrize("profile", ["default", DOCKER], ids=["builtin", "docker"])
def test_aarch32_entry_point_cannot_slip_past(nsl, aarch32, profile, cache):
    if profile != "default":
        needs(profile)
    ok = nsl.run("--ro-bind", f"{aarch32}:/w", "--seccomp", "unconfined", cmd=["/w/exit42"])
    if ok.returncode == 127 and "Exec format error" in ok.stderr:
        pytest.skip("this CPU runs no AArch32 code (Apple's M1 and later have none)")
    assert ok.returncode == 42, (ok.returncode, ok.stderr)                    # the probe works
    cp = nsl.run("--ro-bind", f"{aarch32}:/w", "--seccomp", profile, "--seccomp-cache", cache, cmd=["/w/exit42"])
    assert cp.returncode == 128 + 31, (cp.returncode, cp.stdout, cp.stderr)  # SIGSYS: killed


IOCTL = ("import errno, fcntl, os\n"
         "fd = os.open('/dev/null', os.O_RDONLY)\n"
         "for req in (0x5412, 0x5412 | (1 << 32), 0x541C | (0xffffffff << 32)):\n"
         "    try:\n"
         "        fcntl.ioctl(fd, req, b'x'); print('ok')\n"
         "    except OSError as e:\n"
         "        print(errno.errorcode[e.errno])\n")


def test_ioctl_high_bits_do_not_bypass_the_filter(nsl):
    # without Landlock, whose device ioctl rule would answer EACCES first
    free = nsl.py(IOCTL, "--seccomp", "unconfined", "--landlock", "off")
    assert free.stdout.split() == ["ENOTTY"] * 3, free.stdout     # the kernel itself: not a tty
    cp = nsl.py(IOCTL)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["EPERM"] * 3, cp.stdout


def test_compile_then_run_precompiled(nsl, hostdir, cache):
    needs(DOCKER)
    d = hostdir(0o755)
    bpf = os.path.join(d, "docker.bpf")
    cp = nsl("seccomp", "compile", DOCKER, "-o", bpf)
    assert cp.returncode == 0, cp.stderr
    size = os.path.getsize(bpf)
    assert size > 0 and size % 8 == 0
    run = nsl.py(THREADS_AND_LS, "--seccomp-bpf", bpf)
    assert run.returncode == 0, run.stderr
    assert run.stdout == THREADS_AND_LS_OK
    assert status_field(nsl, "Seccomp", "--seccomp-bpf", bpf) == "2"


def test_bad_bpf_file_is_refused(nsl, hostdir):
    d = hostdir(0o755)
    bad = os.path.join(d, "bad.bpf")
    with open(bad, "wb") as f:
        f.write(b"\x00" * 13)
    cp = nsl.run("--seccomp-bpf", bad, cmd=["true"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    garbage = os.path.join(d, "garbage.bpf")
    with open(garbage, "wb") as f:
        f.write(b"\xff" * 64)                       # 8 instructions the kernel rejects
    cp = nsl.run("--seccomp-bpf", garbage, cmd=["true"])
    assert cp.returncode == 125, (cp.returncode, cp.stderr)
    assert_one_error_line(cp)


def test_export_for_another_architecture(nsl):
    needs(DOCKER)
    # the other of the two, and mount's number there
    other, mount_nr = ("x86_64", 165) if os.uname().machine == "aarch64" else ("aarch64", 40)
    cp = nsl("seccomp", "export", "--arch", other, DOCKER)
    assert cp.returncode == 0, cp.stderr
    assert f"filter for arch {other}" in cp.stdout
    # inverted (compile.c), the program lists the refusals: mount among them
    assert f"$syscall == {mount_nr}" in cp.stdout and "# nslaunch inverts" in cp.stdout
    native = nsl("seccomp", "export", DOCKER)
    assert native.returncode == 0 and native.stdout != cp.stdout


def test_check_reports_unknown_syscalls(nsl, hostdir):
    d = hostdir(0o755)
    prof = os.path.join(d, "p.json")
    with open(prof, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mount", "frobnicate"], "action": "SCMP_ACT_ERRNO"}]}, f)
    cp = nsl("seccomp", "check", prof)
    assert cp.returncode == 0, cp.stderr
    assert "syscalls[0].names[1]: unknown syscall 'frobnicate' (skipped)" in cp.stderr
    strict = nsl("seccomp", "check", "--strict", prof)
    assert strict.returncode == 125
    assert_one_error_line(strict)


@pytest.mark.parametrize("text,expect", [
    ('{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [}', "line 2, column"),
    ('', "empty profile"),
    ('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_NOPE"}]}',
     "syscalls[0].action: unknown action 'SCMP_ACT_NOPE'"),
    ('{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}',
     "the plugin could never start"),
], ids=["malformed", "empty", "bad-action", "denies-execve"])
def test_bad_profile_stops_the_launch(nsl, hostdir, text, expect):
    d = hostdir(0o777)
    prof = os.path.join(d, "p.json")
    with open(prof, "w") as f:
        f.write(text)
    os.chmod(prof, 0o644)
    marker = os.path.join(d, "ran")
    cp = nsl.run("--bind", f"{d}:/out", "--seccomp", prof, cmd=["touch", "/out/ran"])
    assert cp.returncode == 125
    assert_one_error_line(cp)
    assert expect in cp.stderr, cp.stderr
    assert not os.path.exists(marker), "the command ran although the profile could not be loaded"


def settled(path):
    """Whether nslaunch stores a cache entry by this file's identity: its
    mtime and ctime are more than a second old."""
    st, now = os.stat(path), int(time.time())
    return st.st_mtime_ns // 10**9 < now - 1 and st.st_ctime_ns // 10**9 < now - 1


def cache_entries(cache):
    """{kind: path} of the cache's entries: 'bytes' keyed by the profile's
    bytes, 'file' by the profile file's identity."""
    kinds = {}
    for name in os.listdir(cache):
        path = os.path.join(cache, name)
        with open(path, "rb") as f:
            kinds["bytes" if b"\nfile=\n" in f.read(512) else "file"] = path
    return kinds


def test_cache_is_used_and_corruption_is_rebuilt(nsl, cache):
    needs(DOCKER)
    cp = nsl.py(THREADS_AND_LS, "--seccomp", DOCKER, "--seccomp-cache", cache)
    assert cp.returncode == 0, cp.stderr
    entries = cache_entries(cache)
    assert sorted(entries) == (["bytes", "file"] if settled(DOCKER) else ["bytes"])
    assert all(name.endswith(".bpf") for name in os.listdir(cache))
    assert os.stat(cache).st_mode & 0o077 == 0
    assert all(os.stat(e).st_mode & 0o077 == 0 for e in entries.values())
    good = {e: open(e, "rb").read() for e in entries.values()}
    # flip a byte inside each compiled filter
    for entry, data in good.items():
        bad = bytearray(data)
        bad[-20] ^= 0xff
        with open(entry, "wb") as f:
            f.write(bad)
    cp = nsl.py(THREADS_AND_LS, "--seccomp", DOCKER, "--seccomp-cache", cache)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == THREADS_AND_LS_OK
    for entry, data in good.items():
        assert open(entry, "rb").read() == data, f"a corrupt entry was not rebuilt: {entry}"


def test_a_settled_profile_hits_by_identity_and_a_changed_one_does_not(nsl, cache, hostdir):
    needs(DOCKER)
    prof = os.path.join(hostdir(0o755), "profile.json")
    shutil.copy(DOCKER, prof)
    old = time.time() - 3600
    os.utime(prof, (old, old))
    while not settled(prof):        # its ctime is now: wait until it is not
        time.sleep(0.2)
    assert nsl.run("--seccomp", prof, "--seccomp-cache", cache, cmd=["true"]).returncode == 0
    entries = cache_entries(cache)
    assert sorted(entries) == ["bytes", "file"]
    # a hit by identity reads nothing of the profile: the entry keyed by its
    # bytes is not looked for, so not made again
    os.unlink(entries["bytes"])
    cp = nsl.py(THREADS_AND_LS, "--seccomp", prof, "--seccomp-cache", cache)
    assert cp.returncode == 0 and cp.stdout == THREADS_AND_LS_OK, cp.stderr
    assert sorted(cache_entries(cache)) == ["file"]
    # changed, even to the same bytes and times: its ctime is new, so a miss,
    # and a changed profile is compiled anew (here: it now refuses getppid)
    with open(prof) as f:
        text = f.read()
    with open(prof, "w") as f:
        f.write(text.replace('"getppid",', ""))
    cp = nsl.py("import os; print(os.getppid())", "--seccomp", prof, "--seccomp-cache", cache)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout != "1\n", "the filter of the profile before the change was used"
    assert sorted(cache_entries(cache)) == ["bytes", "file"]      # this one only by its bytes


@pytest.mark.skipif(not IS_ROOT, reason="needs root to give the entry to another user")
def test_cache_entry_of_another_user_is_not_trusted(nsl, cache):
    needs(DOCKER)
    cp = nsl.run("--seccomp", DOCKER, "--seccomp-cache", cache, cmd=["true"])
    assert cp.returncode == 0, cp.stderr
    entries = [os.path.join(cache, name) for name in os.listdir(cache)]
    for entry in entries:
        os.chown(entry, 65534, 65534)
    cp = nsl.run("--seccomp", DOCKER, "--seccomp-cache", cache, cmd=["true"])
    assert cp.returncode == 0, cp.stderr
    for entry in entries:
        assert os.stat(entry).st_uid == os.geteuid(), "a foreign entry was used instead of rebuilt"


def test_seccomp_default_prints_the_builtin_profile(nsl):
    cp = nsl("seccomp", "default")
    assert cp.returncode == 0
    prof = json.loads(cp.stdout)
    with open(PLUGIN) as f:
        assert prof == json.load(f)
    assert prof["defaultAction"] == "SCMP_ACT_ERRNO"


# Mistakes are loud: a misspelt name, a filter for another machine, a cache
# that cannot be used, and a command that died of a refusal nobody reported.

def profile_with(hostdir, edit):
    d = hostdir(0o755)
    with open(PLUGIN) as f:
        profile = json.load(f)
    edit(profile)
    path = os.path.join(d, "p.json")
    with open(path, "w") as f:
        json.dump(profile, f)
    return path


def test_run_warns_about_unknown_names_every_time_and_strict_refuses(nsl, hostdir, cache):
    path = profile_with(hostdir, lambda p: p["syscalls"][0]["names"].append("raed"))
    index = len(json.load(open(path))["syscalls"][0]["names"]) - 1
    warning = f"nslaunch: warning: {path}: syscalls[0].names[{index}]: unknown syscall 'raed' (skipped)\n"
    for _ in range(2):      # the second launch would be a cache hit: a warned profile is not cached
        cp = nsl.run("--seccomp", path, "--seccomp-cache", cache, cmd=["/bin/true"])
        assert cp.returncode == 0 and cp.stderr == warning, cp.stderr
    strict = nsl.run("--seccomp", path, "--seccomp-strict", cmd=["/bin/true"])
    assert strict.returncode == 125
    assert strict.stderr == f"nslaunch: --seccomp: {path}: syscalls[0].names[{index}]: unknown syscall 'raed'\n"


def test_a_filter_for_another_architecture_is_refused_before_the_launch(nsl, hostdir):
    d = hostdir(0o755)
    other = "aarch64" if os.uname().machine == "x86_64" else "x86_64"
    native = "x86_64" if other == "aarch64" else "aarch64"
    bpf = os.path.join(d, "other.bpf")
    cp = nsl("seccomp", "compile", "--arch", other, "-o", bpf, PLUGIN)
    assert cp.returncode == 0, cp.stderr
    run = nsl.run("--seccomp-bpf", bpf, cmd=["/bin/true"])
    assert run.returncode == 125
    assert run.stderr == (f"nslaunch: --seccomp-bpf: {bpf}: kills every call of this machine's architecture "
                          f"({native}): compiled for another one (nslaunch seccomp compile --arch)\n")


def test_a_filter_refusing_execve_is_refused_before_the_launch(nsl, hostdir):
    bpf = os.path.join(hostdir(0o755), "errno.bpf")
    with open(bpf, "wb") as f:      # one instruction: every call gets EPERM
        f.write((0x06).to_bytes(2, "little") + bytes(2) + (0x00050001).to_bytes(4, "little"))
    run = nsl.run("--seccomp-bpf", bpf, cmd=["/bin/true"])
    assert run.returncode == 125
    assert run.stderr == f"nslaunch: --seccomp-bpf: {bpf}: does not allow execve: the command could never start\n"


def test_an_unusable_cache_is_a_warning(nsl, hostdir):
    d = hostdir(0o755)
    path = profile_with(hostdir, lambda p: None)
    not_a_dir = os.path.join(d, "file")
    open(not_a_dir, "w").close()
    shared = hostdir(0o1777)
    for where, why in ((not_a_dir, "Not a directory"), (shared, "not a private directory of this user")):
        cp = nsl.run("--seccomp", path, "--seccomp-cache", where, cmd=["/bin/true"])
        assert cp.returncode == 0, cp.stderr
        assert cp.stderr == (f"nslaunch: warning: --seccomp-cache: {where}: not used ({why}): "
                             "every launch compiles the profile again\n")


def test_a_start_up_refusal_gets_a_hint(nsl, hostdir, cache):
    # a call the dynamic loader needs, refused with an errno it reports:
    # on x86_64 it reads a library's headers with pread64 (the platform's old
    # profile refused it); aarch64's reads them with read (seen in the arm64
    # guests: without pread64 python3 ran), so there it is openat
    call = "pread64" if os.uname().machine == "x86_64" else "openat"
    path = profile_with(hostdir, lambda p: p["syscalls"][0]["names"].remove(call))
    cp = nsl.run("--seccomp", path, "--seccomp-cache", cache, cmd=[PY, "-c", "print(1)"])
    assert cp.returncode == 127, (cp.returncode, cp.stderr)
    assert cp.stderr.endswith("nslaunch: the seccomp filter refused a call; "
                              "rerun with --seccomp-report to see which\n"), cp.stderr
    reported = nsl.run("--seccomp", path, "--seccomp-cache", cache, "--seccomp-report", cmd=[PY, "-c", "print(1)"])
    assert f"denied {call}" in reported.stderr and "rerun with" not in reported.stderr
    # a command of its own that exits 127 under the built-in profile gets no hint
    plain = nsl.sh("exit 127")
    assert plain.returncode == 127 and plain.stderr == ""


def test_builtin_profile_is_derived(nsl):
    """profiles/plugin.json is what profiles/derive.py makes of Docker's
    default and profiles/platform.json, and nslaunch carries that profile."""
    needs(DOCKER)
    derive = os.path.join(os.path.dirname(PLUGIN), "derive.py")
    cp = subprocess.run([sys.executable, derive, DOCKER, "--check"], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    with open(PLUGIN) as f:
        assert json.loads(nsl("seccomp", "default").stdout) == json.load(f)


# What Docker's default allows a plugin must work under the built-in profile
# too: each of these was refused by the profile traced from four workloads.
POSIX_PROBES = r"""
import ctypes, os, select, signal, stat, subprocess, time
libc = ctypes.CDLL(None, use_errno=True)
results = {}
def probe(name, fn):
    try:
        fn()
        results[name] = 'ok'
    except OSError as e:
        results[name] = e.strerror
probe('getgroups', os.getgroups)
probe('nice', lambda: os.nice(1))
probe('getpriority', lambda: os.getpriority(os.PRIO_PROCESS, 0))
def chown_own():
    open('/tmp/own', 'w').close()
    os.chown('/tmp/own', os.getuid(), os.getgid())
probe('chown-own-file', chown_own)
probe('setpgid', lambda: subprocess.run(['true'], process_group=0, check=True))  # a session leader's own setpgid is EPERM from the kernel
probe('mkfifo', lambda: os.mkfifo('/tmp/fifo'))
def inotify():
    fd = libc.inotify_init1(0)
    if fd < 0 or libc.inotify_add_watch(fd, b'/tmp', 0x100) < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
probe('inotify', inotify)
def timerfd():
    if libc.timerfd_create(1, 0) < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
probe('timerfd', timerfd)
probe('id', lambda: subprocess.run(['id'], check=True, capture_output=True))
print(sorted(results.items()))
"""


def test_ordinary_posix_calls_work_under_the_builtin_profile(nsl):
    cp = nsl.py(POSIX_PROBES, "--seccomp-report")
    assert cp.returncode == 0, cp.stderr
    got = dict(eval(cp.stdout))
    assert got == {k: "ok" for k in got} and len(got) == 9, got
    assert "denied" not in cp.stderr, cp.stderr


def test_the_builtin_filter_is_the_inverted_one(nsl, hostdir):
    # inverted: the plain form would be about twice as long (see compile.c)
    d = hostdir(0o755)
    path = os.path.join(d, "builtin.json")
    with open(path, "w") as f:
        f.write(nsl("seccomp", "default").stdout)
    cp = nsl("seccomp", "export", path)
    assert cp.returncode == 0 and "# nslaunch inverts" in cp.stdout, cp.stdout[-500:]
