"""--seccomp-report: every call the profile refuses is refused exactly as the
profile says, and nslaunch names it on stderr and in --status-json. The
listener lives in nslaunch only."""
import json
import os
import signal
import time

import pytest

from conftest import PY
from platform_profile import MISSING, platform_profile


def write_profile(dirpath, profile, name="profile.json"):
    path = os.path.join(dirpath, name)
    with open(path, "w") as f:
        json.dump(profile, f)
    os.chmod(path, 0o644)
    return path


def report_lines(cp):
    return [line for line in cp.stderr.splitlines() if line.startswith("nslaunch: seccomp: ")]


def status(path):
    with open(path) as f:
        return json.load(f)


ERRNO_PROBE = (
    "import ctypes, os\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "out = []\n"
    "for call in (lambda: libc.mount(b'none', b'/tmp', b'tmpfs', 0, None),\n"
    "             lambda: libc.syscall({'x86_64': 95, 'aarch64': 166}[os.uname().machine], 0),\n"  # umask: EACCES below
    "             lambda: libc.getppid()):\n"
    "    ctypes.set_errno(0)\n"
    "    r = call()\n"
    "    out.append((r, ctypes.get_errno()))\n"
    "print(out)\n"
)


def custom_profile():
    return {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [
            {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
        ],
    }


def test_platform_profile_report_names_pread64(nsl, hostdir):
    if os.uname().machine != "x86_64":
        pytest.skip("x86_64's dynamic loader reads with pread64; aarch64's with read (seen in the arm64 guests)")
    d = hostdir()
    profile = write_profile(d, platform_profile())
    out = os.path.join(d, "status.json")
    cp = nsl.py("print('started')", "--seccomp", profile, "--seccomp-report", "--status-json", out)
    assert cp.returncode != 0 and "started" not in cp.stdout
    lines = report_lines(cp)
    assert any("denied pread64 (EPERM)" in line for line in lines), cp.stderr
    # the report alone says why the command never started
    assert any("after the profile refused" in line for line in lines), cp.stderr
    denials = status(out)["seccomp_denials"]
    assert any(d["syscall"] == "pread64" and d["errno"] == "EPERM" and d["action"] == "errno" for d in denials)
    assert all(d["syscall"] in MISSING + ["clone3"] or d["count"] >= 1 for d in denials)


def test_same_answers_with_and_without_report(nsl, hostdir):
    if os.uname().machine not in ("x86_64", "aarch64"):
        pytest.skip("the probe knows umask's number on x86_64 and aarch64")
    profile = write_profile(hostdir(), custom_profile())
    plain = nsl.py(ERRNO_PROBE, "--seccomp", profile)
    reported = nsl.py(ERRNO_PROBE, "--seccomp", profile, "--seccomp-report")
    assert plain.returncode == 0 and reported.returncode == 0, reported.stderr
    assert plain.stdout == reported.stdout
    assert "(-1, 1)" in plain.stdout and "(-1, 13)" in plain.stdout
    lines = report_lines(reported)
    assert any("python3 denied mount (EPERM) x1" in line for line in lines), lines
    assert any("python3 denied umask (EACCES) x1" in line for line in lines), lines
    assert not any("getppid" in line for line in lines)
    assert not report_lines(plain)


def test_counts_repeated_denials(nsl, hostdir):
    profile = write_profile(hostdir(), custom_profile())
    code = ("import ctypes\nlibc = ctypes.CDLL(None)\n"
            "[libc.mount(b'none', b'/tmp', b'tmpfs', 0, None) for _ in range(5)]\n")
    cp = nsl.py(code, "--seccomp", profile, "--seccomp-report")
    assert cp.returncode == 0, cp.stderr
    assert "nslaunch: seccomp: python3 denied mount (EPERM) x5" in cp.stderr


def test_kill_action_still_kills_and_is_named(nsl, hostdir):
    profile = write_profile(hostdir(), {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"}],
    })
    code = "import os, sys\nprint('before', flush=True)\nos.getppid()\nprint('after', flush=True)\n"
    plain = nsl.py(code, "--seccomp", profile)
    reported = nsl.py(code, "--seccomp", profile, "--seccomp-report")
    assert plain.returncode == 128 + signal.SIGSYS
    # the supervisor cannot raise the kernel's SIGSYS: it ends the process with SIGKILL
    assert reported.returncode == 128 + signal.SIGKILL
    assert reported.stdout == plain.stdout == "before\n"
    assert "python3 denied getppid (killed) x1" in reported.stderr


def test_default_builtin_profile_reports(nsl):
    cp = nsl.py("import ctypes\nprint(ctypes.CDLL(None).unshare(0x10000000))", "--seccomp-report")
    assert cp.returncode == 0 and cp.stdout == "-1\n", cp.stderr
    assert "python3 denied unshare (EPERM) x1" in cp.stderr


def test_nothing_refused_nothing_reported(nsl, hostdir):
    out = os.path.join(hostdir(), "status.json")
    cp = nsl.run("--seccomp-report", "--status-json", out, cmd=["/bin/true"])
    assert cp.returncode == 0 and not report_lines(cp), cp.stderr
    assert status(out)["seccomp_denials"] == []


def test_reporting_is_off_by_default(nsl, hostdir):
    out = os.path.join(hostdir(), "status.json")
    cp = nsl.py("import ctypes\nctypes.CDLL(None).unshare(0x10000000)", "--status-json", out)
    assert cp.returncode == 0 and not report_lines(cp)
    assert "seccomp_denials" not in status(out)


def test_report_needs_a_filter(nsl):
    cp = nsl.run("--seccomp", "unconfined", "--seccomp-report", cmd=["/bin/true"])
    assert cp.returncode == 125 and "no filter to report on" in cp.stderr


def test_payload_holds_no_listener(nsl):
    code = ("import os\n"
            "targets = []\n"
            "for fd in os.listdir('/proc/self/fd'):\n"
            "    try:\n"
            "        targets.append(os.readlink(f'/proc/self/fd/{fd}'))\n"
            "    except FileNotFoundError:\n"
            "        pass\n"   # the listing's own fd
            "print(len(targets) >= 3, sorted(t for t in targets if 'seccomp' in t or 'pidfd' in t))\n")
    cp = nsl.py(code, "--seccomp-report")
    assert cp.returncode == 0 and cp.stdout == "True []\n", (cp.stdout, cp.stderr)


def test_payload_cannot_take_fds_of_init(nsl):
    code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "pidfd = libc.syscall(434, 1, 0)\n"                       # pidfd_open(1)
            "got = [libc.syscall(438, pidfd, fd, 0) for fd in range(3, 16)] if pidfd >= 0 else []\n"
            "print(pidfd >= 0, [g for g in got if g >= 0])\n")   # the same numbers on every architecture
    cp = nsl.py(code, "--seccomp-report")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip().endswith("[]"), cp.stdout


def test_marker_call_is_enosys_for_the_payload(nsl):
    code = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "r = libc.syscall(1023)\nprint(r, ctypes.get_errno())\n")
    cp = nsl.py(code, "--seccomp-report")
    assert cp.returncode == 0 and cp.stdout == "-1 38\n", (cp.stdout, cp.stderr)
    plain = nsl.py(code)
    assert plain.stdout == "-1 38\n"


def test_denial_never_succeeds_once_nslaunch_is_gone(nsl, hostdir):
    d = hostdir(0o777)
    log = os.path.join(d, "log")
    code = ("import ctypes, time\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "with open('/out/log', 'a', buffering=1) as f:\n"
            "    for _ in range(100000):\n"
            "        f.write(f'{libc.mount(b\"none\", b\"/tmp\", b\"tmpfs\", 0, None)} {ctypes.get_errno()}\\n')\n"
            "        time.sleep(0.001)\n")
    p = nsl.popen("run", "--bind", f"{d}:/out", "--seccomp-report", "--", PY, "-c", code)
    deadline = time.time() + 10
    while time.time() < deadline and (not os.path.exists(log) or os.path.getsize(log) < 40):
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    time.sleep(0.3)
    with open(log) as f:
        results = f.read().split("\n")
    answers = {line for line in results if line}
    assert answers and all(not a.startswith("0") for a in answers), answers


@pytest.mark.parametrize("mode", [(), ("--seccomp-report",), ("seccomp-learn",)])
def test_init_stays_out_of_reach(nsl, hostdir, mode):
    # The hand-off makes the payload dumpable; were its memory init's (as
    # it is without reporting), init would turn dumpable too, and visible
    # and writable through /proc/1/mem to the command.
    code = ("import os\n"
            "try:\n"
            "    open('/proc/1/mem', 'rb').close(); mem = 'opened'\n"
            "except OSError as e:\n"
            "    mem = type(e).__name__\n"
            "print(os.path.exists('/proc/1/status'), mem)\n")
    if mode == ("seccomp-learn",):
        cp = nsl("seccomp", "learn", "-o", os.path.join(hostdir(0o777), "p.json"), "--", PY, "-c", code)
    else:
        cp = nsl.py(code, *mode)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "False FileNotFoundError\n", cp.stdout
