"""The built-in profile against the workloads it was established from
(tests/workloads/): a Python plugin using what connectors use, a C program,
a Rust program and a shell script with coreutils, each run in the default
sandbox with the default filter. And a check that the profile is what the
filter says: its explicit deny list answers EPERM."""

import os
import shutil
import subprocess

import pytest

from conftest import PY

WORKLOADS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads")


@pytest.fixture
def workloads(hostdir):
    """A world-readable copy (the sandbox user may be 65534 on the host)."""
    d = hostdir(0o755)
    for name in os.listdir(WORKLOADS):
        src = os.path.join(WORKLOADS, name)
        if os.path.isfile(src):
            shutil.copy(src, d)
            os.chmod(os.path.join(d, name), 0o755)
    return d


def run_ok(nsl, d, cmd, *opts):
    cp = nsl.run("--ro-bind", f"{d}:/w", *opts, cmd=cmd, timeout=60)
    assert cp.returncode == 0, (cp.returncode, cp.stdout[-2000:], cp.stderr[-2000:])
    return cp


def test_python_plugin_under_builtin_profile(nsl, workloads):
    cp = run_ok(nsl, workloads, [PY, "/w/python_plugin.py"])
    assert '"ok": true' in cp.stdout


def test_c_program_under_builtin_profile(nsl, workloads):
    cc = shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler")
    subprocess.run([cc, "-O2", "-pthread", "-o", os.path.join(workloads, "hello-c"),
                    os.path.join(workloads, "hello.c")], check=True)
    cp = run_ok(nsl, workloads, ["/w/hello-c"])
    assert cp.stdout.strip().endswith("ok")


def test_rust_program_under_builtin_profile(nsl, workloads):
    rustc = shutil.which("rustc") or os.path.expanduser("~/.cargo/bin/rustc")
    if not os.path.exists(rustc):
        pytest.skip("no rustc")
    built = subprocess.run([rustc, "-O", "-o", os.path.join(workloads, "hello-rs"),
                            os.path.join(workloads, "hello.rs")], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"rustc cannot build here: {built.stderr[-300:]}")
    cp = run_ok(nsl, workloads, ["/w/hello-rs"])
    assert cp.stdout.strip().endswith("ok")


def test_shell_and_coreutils_under_builtin_profile(nsl, workloads):
    cp = run_ok(nsl, workloads, ["/bin/sh", "/w/shell.sh"])
    assert cp.stdout.strip().endswith("ok")


DENIED = ["mount", "umount2", "ptrace", "bpf", "unshare", "setns", "chroot", "pivot_root", "sethostname",
          "keyctl", "add_key", "perf_event_open", "open_by_handle_at", "name_to_handle_at",
          "io_uring_setup", "userfaultfd", "process_vm_readv", "open_tree", "move_mount", "fsopen",
          "fsconfig", "fsmount", "fspick", "mount_setattr", "kexec_load", "init_module", "swapon",
          "reboot", "settimeofday", "clock_settime", "iopl", "ioperm"]


def test_builtin_deny_list_answers_eperm(nsl):
    if os.uname().machine != "x86_64":
        pytest.skip("syscall numbers below are x86_64's")
    resolver = shutil.which("scmp_sys_resolver")
    if not resolver:
        pytest.skip("scmp_sys_resolver (package seccomp) is not installed")
    numbers = {n: int(subprocess.run([resolver, n], capture_output=True, text=True).stdout) for n in DENIED}
    # all-zero arguments: what the kernel would say without the filter is
    # EFAULT, EINVAL, EBADF..., never EPERM for most; the filter says EPERM
    code = ("import ctypes, sys\n"
            "libc = ctypes.CDLL(None, use_errno=True)\n"
            "libc.syscall.restype = ctypes.c_long\n"
            f"for name, nr in {sorted(numbers.items())!r}:\n"
            "    r = libc.syscall(ctypes.c_long(nr), ctypes.c_long(-1), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))\n"
            "    print(name, r, ctypes.get_errno())\n")
    def answers(*opts):
        cp = nsl.py(code, *opts)
        assert cp.returncode == 0, cp.stderr
        return {line.split()[0]: (int(line.split()[1]), int(line.split()[2])) for line in cp.stdout.splitlines()}

    filtered, free = answers(), answers("--seccomp", "unconfined")
    assert set(filtered) == set(DENIED)
    for name, (r, err) in filtered.items():
        assert (r, err) == (-1, 1), (name, r, err)
    # without the filter the kernel answers most of these otherwise (EBADF,
    # EFAULT, EINVAL...): the EPERMs above are the filter's own
    decided_by_filter = [n for n in DENIED if free[n] != (-1, 1)]
    assert len(decided_by_filter) >= 10, free
