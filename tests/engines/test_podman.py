"""podman 4.3 with --runtime $NSL_OCI_RUNTIME (cgroupfs, no network) on a local busybox image."""

import fcntl
import os
import pty
import select
import socket
import subprocess
import termios
import threading
import time

import pytest

from conftest import IMAGE, RUNTIME, cgroup_file, check_in_scope, describe, gone, root_only, wait_scope_gone
from host_facts import systemd_is_init

pytestmark = root_only


def test_run_rm_exit_code_is_the_commands(podman):
    result = podman.run("--rm", "--name", "exitcode", IMAGE, "sh", "-c", "echo from-the-container; exit 42")
    assert result.returncode == 42, describe(result)
    assert result.stdout == "from-the-container\n", describe(result)
    result = podman.run("--rm", IMAGE, "true")
    assert result.returncode == 0, describe(result)
    # --rm: nothing left of it
    assert "exitcode" not in podman("ps", "-a", "--format", "{{.Names}}", check=True).stdout


def test_read_only_root_with_tmpfs_tmp(podman):
    result = podman.run("--rm", "--read-only", "--tmpfs", "/tmp", IMAGE, "sh", "-c",
                        "touch /new-file 2>&1; echo stored > /tmp/f && cat /tmp/f; "
                        "grep ' /tmp ' /proc/mounts | tail -n 1 | cut -d' ' -f3")
    assert result.returncode == 0, describe(result)
    lines = result.stdout.splitlines()
    # the last mount at /tmp is the one a path resolves to
    assert "Read-only file system" in lines[0], describe(result)
    assert lines[1:] == ["stored", "tmpfs"], describe(result)


def test_bind_read_only_refuses_writes(podman, host_dir):
    result = podman.run("--rm", "-v", f"{host_dir}:/data:ro", IMAGE, "sh", "-c",
                        "cat /data/f; echo x > /data/g")
    assert result.returncode != 0, describe(result)
    assert result.stdout == "host data\n", describe(result)
    assert "Read-only file system" in result.stderr, describe(result)
    assert not os.path.exists(os.path.join(host_dir, "g"))
    # the same bind read-write does reach the host: the mount is real
    result = podman.run("--rm", "-v", f"{host_dir}:/data", IMAGE, "sh", "-c", "echo written > /data/g")
    assert result.returncode == 0, describe(result)
    with open(os.path.join(host_dir, "g")) as f:
        assert f.read() == "written\n"


def test_memory_limit_oom_is_137(podman):
    # dd's 200 MiB block is one buffer, filled from /dev/zero: it cannot fit in 64 MiB
    result = podman.run("--rm", "--memory", "64m", IMAGE, "dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1")
    assert result.returncode == 137, describe(result)
    result = podman.run("--rm", "--memory", "64m", IMAGE, "dd", "if=/dev/zero", "of=/dev/null", "bs=16M", "count=1")
    assert result.returncode == 0, describe(result)


def test_the_container_reads_its_limits_in_its_cgroup_mount(podman):
    """What a JVM or Go's runtime reads to size itself: the limits in the
    container's own /sys/fs/cgroup, v1's files where the host keeps its
    controllers there (as runc's and crun's), else v2's."""
    result = podman.run("--rm", "--memory", "64m", "--pids-limit", "50", IMAGE, "sh", "-c",
                        "cd /sys/fs/cgroup; cat memory/memory.limit_in_bytes pids/pids.max 2>/dev/null || "
                        "cat memory.max pids.max")
    assert result.returncode == 0, describe(result)
    assert result.stdout.split() == [str(64 << 20), "50"], describe(result)


FORK_TWELVE = "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 2 & done; wait; echo all-forked"


def test_pids_limit(podman):
    result = podman.run("--rm", "--pids-limit", "8", IMAGE, "sh", "-c", FORK_TWELVE)
    assert "all-forked" not in result.stdout, describe(result)
    assert "can't fork" in result.stderr, describe(result)
    result = podman.run("--rm", "--pids-limit", "64", IMAGE, "sh", "-c", FORK_TWELVE)
    assert result.returncode == 0 and result.stdout == "all-forked\n", describe(result)


def test_seccomp_profile_denies_one_syscall(podman, seccomp_profile):
    result = podman.run("--rm", "--security-opt", f"seccomp={seccomp_profile}", IMAGE, "sh", "-c",
                        "touch /tmp/allowed && echo touched; mkdir /tmp/denied")
    assert result.returncode == 1, describe(result)
    assert result.stdout == "touched\n", describe(result)
    assert "Operation not permitted" in result.stderr, describe(result)


def test_egress_allow_list_from_an_annotation(podman):
    """nslaunch's own annotation (docs/oci.md) gives the container podman's
    `--network none` namespace a private network with one allowed
    destination: the host's loopback port, at slirp4netns's 10.0.2.2."""
    if os.path.basename(RUNTIME) != "nslaunch-runc":
        pytest.skip("an annotation of nslaunch's own")
    allowed, other = (socket.create_server(("127.0.0.1", 0)) for _ in range(2))
    ports = [s.getsockname()[1] for s in (allowed, other)]
    threading.Thread(target=lambda: allowed.accept()[0].sendall(b"hello\n"), daemon=True).start()
    try:
        result = podman.run("--rm", "--annotation", f"org.nslaunch.allow-egress=host-loopback:{ports[0]}", IMAGE,
                            "sh", "-c", f"nc 10.0.2.2 {ports[0]} </dev/null; nc 10.0.2.2 {ports[1]} </dev/null; "
                                        "echo other=$?")
    finally:
        allowed.close()
        other.close()
    assert result.returncode == 0, describe(result)
    assert result.stdout.splitlines() == ["hello", "other=1"], describe(result)
    # init reports the refusal on the container's stderr, which podman shows
    refused = f"nslaunch: egress: refused 10.0.2.2:{ports[1]}/tcp"
    assert refused in result.stderr.splitlines() and refused + " x1" in result.stderr.splitlines(), \
        describe(result)


def test_device(podman):
    """podman's --device HOST:CONTAINER lists the container's path with the
    host's number (linux.devices): nslaunch binds the host's node, found by
    that number (a user namespace cannot make one)."""
    result = podman.run("--rm", "--device", "/dev/zero:/dev/nsl-zero", IMAGE, "sh", "-c",
                        "head -c 3 /dev/nsl-zero | od -An -tx1")
    assert result.returncode == 0, describe(result)
    assert result.stdout.split() == ["00", "00", "00"], describe(result)


def test_user_1000(podman):
    result = podman.run("--rm", "--user", "1000", IMAGE, "sh", "-c", "id -u; id -g; touch /etc/x")
    assert result.stdout.split() == ["1000", "0"], describe(result)
    assert result.returncode == 1 and "Permission denied" in result.stderr, describe(result)


@pytest.mark.parametrize("opts,want", [([], "0"), (["--security-opt", "no-new-privileges"], "1")])
def test_no_new_privileges_as_podman_asks(podman, opts, want):
    """podman's default config says noNewPrivileges false, as runc reads it;
    --security-opt no-new-privileges says true. Either way the command holds
    podman's capability set, which has no CAP_SYS_ADMIN (the payload keeps
    it only to load the filter without no_new_privs), and the filter."""
    result = podman.run("--rm", *opts, IMAGE, "sh", "-c",
                        "grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/self/status")
    assert result.returncode == 0, describe(result)
    status = dict(line.split(":\t") for line in result.stdout.splitlines())
    assert status["NoNewPrivs"] == want, describe(result)
    assert status["Seccomp"] == "2", describe(result)
    assert status["CapEff"] == status["CapBnd"], describe(result)
    assert int(status["CapEff"], 16) and not int(status["CapEff"], 16) & (1 << 21), describe(result)


def inspect(podman, name, template):
    return podman("inspect", "--format", template, name, check=True).stdout.strip()


LOOP_UNTIL_TERM = "trap 'exit 0' TERM; while :; do sleep 0.1; done"
SEE_THE_CONTAINER = "for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline; echo; done; ls -d /proc/[0-9]* | wc -l"


def test_detach_stop_rm(podman):
    name = "detached"
    result = podman.run("-d", "--name", name, IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        assert inspect(podman, name, "{{.State.Status}}") == "running"
        pid = int(inspect(podman, name, "{{.State.Pid}}"))
        assert os.path.exists(f"/proc/{pid}")

        started = time.monotonic()
        result = podman("stop", "--time", "20", name)
        assert result.returncode == 0, describe(result)
        # the container's sh exits 0 on SIGTERM: no need for the SIGKILL after 20 s
        assert time.monotonic() - started < 15
        assert inspect(podman, name, "{{.State.Status}}") == "exited"
        assert inspect(podman, name, "{{.State.ExitCode}}") == "0"
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    finally:
        result = podman("rm", "--force", name)
    assert result.returncode == 0, describe(result)
    assert name not in podman("ps", "-a", "--format", "{{.Names}}", check=True).stdout


def test_exec_in_a_detached_container(podman):
    name = "exec-target"
    result = podman.run("-d", "--name", name, IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        # in the container's pid namespace: its few processes, the loop among them
        result = podman("exec", name, "sh", "-c", SEE_THE_CONTAINER + "; exit 9")
        assert result.returncode == 9, describe(result)
        lines = result.stdout.splitlines()
        assert "sh -c " + LOOP_UNTIL_TERM + " " in lines and int(lines[-1]) < 10, describe(result)
        result = podman("exec", "--user", "1000", name, "id", "-u")
        assert result.returncode == 0 and result.stdout == "1000\n", describe(result)
    finally:
        podman("rm", "--force", "--time", "0", name)



def test_update_changes_a_running_containers_limits(podman):
    """podman update hands the container's whole linux.resources (its device
    rules included) to the runtime's update --resources: the new limits
    reach the cgroup, the container runs on."""
    name = "updated"
    result = podman.run("-d", "--name", name, "--memory", "64m", "--pids-limit", "50", IMAGE, "sh", "-c",
                        LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        pid = int(inspect(podman, name, "{{.State.Pid}}"))
        assert cgroup_file(pid, "pids", "pids.max") == "50"
        result = podman("update", "--memory", "128m", "--memory-reservation", "32m", name)
        assert result.returncode == 0, describe(result)
        v1 = os.path.isdir("/sys/fs/cgroup/memory")
        assert cgroup_file(pid, "memory", "memory.limit_in_bytes" if v1 else "memory.max") == str(128 << 20)
        assert cgroup_file(pid, "memory", "memory.soft_limit_in_bytes" if v1 else "memory.low") == str(32 << 20)
        assert cgroup_file(pid, "pids", "pids.max") == "50"
        assert inspect(podman, name, "{{.State.Status}}") == "running"
    finally:
        podman("rm", "--force", "--time", "0", name)


def test_host_pid_ipc_and_uts_namespaces_are_shared_and_nothing_is_left(podman):
    """--pid=host --ipc=host --uts=host (none of them in the config): the
    command is in the host's namespaces, and what it leaves running ends
    with the container."""
    result = podman.run("--rm", "--pid=host", "--ipc=host", "--uts=host", IMAGE, "sh", "-c",
                        "for ns in pid ipc uts; do readlink /proc/self/ns/$ns; done; hostname; "
                        "sleep 1000 & echo $!")
    assert result.returncode == 0, describe(result)
    *links, name, background = result.stdout.split()
    assert links == [os.readlink(f"/proc/self/ns/{ns}") for ns in ("pid", "ipc", "uts")], describe(result)
    assert name == socket.gethostname(), describe(result)
    assert gone(int(background)), "the background sleep outlived the container"


def test_pid_container_joins_another_containers_pid_namespace(podman):
    """--pid=container:NAME (the path of the other's namespace): the
    joining container sees the other's processes; the other lives on."""
    name = "pid-holder"
    result = podman.run("-d", "--name", name, IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        holder_ns = os.readlink(f"/proc/{inspect(podman, name, '{{.State.Pid}}')}/ns/pid")
        result = podman.run("--rm", f"--pid=container:{name}", IMAGE, "sh", "-c",
                            "readlink /proc/self/ns/pid; " + SEE_THE_CONTAINER)
        assert result.returncode == 0, describe(result)
        lines = result.stdout.splitlines()
        assert lines[0] == holder_ns, describe(result)
        assert "sh -c " + LOOP_UNTIL_TERM + " " in lines, describe(result)
        assert inspect(podman, name, "{{.State.Status}}") == "running"
    finally:
        podman("rm", "--force", "--time", "0", name)

def read_until_exit(fd, process, timeout):
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the other side is closed
                chunk = b""
            if not chunk and process.poll() is not None:
                break
            out += chunk
        elif process.poll() is not None:
            break
    return out.decode(errors="replace")


def run_interactive(argv, env=None):
    """argv on a new pty as its controlling terminal, fed a shell line that
    says whether it has a terminal; (exit status, what the pty showed)."""
    master, slave = pty.openpty()

    def controlling_terminal():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave,
                               preexec_fn=controlling_terminal)
    os.close(slave)
    try:
        os.write(master, b"tty; [ -t 0 ] && echo stdin-is-a-tty; echo $((6*7)); exit 5\n")
        out = read_until_exit(master, process, 30)
        rc = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return rc, out


def test_run_interactive_through_a_pty(podman):
    rc, out = run_interactive(podman.run_argv("-it", "--rm", IMAGE, "sh"), env=podman.env)
    assert rc == 5, out
    assert "/dev/pts/" in out and "stdin-is-a-tty" in out and "42" in out, out


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_systemd_cgroup_manager(podman_systemd):
    """podman with systemd's cgroup manager: it gives the runtime
    --systemd-cgroup and machine.slice:libpod:ID, the container runs in
    systemd's libpod-ID.scope with its pids limit known to systemd, exec
    is at its cgroup namespace's root, and the scope goes with rm."""
    name = "systemd-managed"
    result = podman_systemd.run("-d", "--name", name, "--pids-limit", "50", IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    scope = f"machine.slice/libpod-{inspect(podman_systemd, name, '{{.Id}}')}.scope"
    try:
        pid = int(inspect(podman_systemd, name, "{{.State.Pid}}"))
        check_in_scope(podman_systemd, name, pid, scope, "pids.max", "TasksMax", 50)
    finally:
        result = podman_systemd("rm", "--force", "--time", "0", name)
    assert result.returncode == 0, describe(result)
    wait_scope_gone(scope)
