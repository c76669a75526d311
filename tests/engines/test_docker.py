"""Docker 20.10 (dockerd started by the session, --add-runtime nslaunch=$NSL_OCI_RUNTIME)."""

import os
import subprocess
import time

import pytest

from conftest import IMAGE, cgroup_file, check_in_scope, describe, gone, root_only, wait_scope_gone
from host_facts import systemd_is_init, whole_disk

pytestmark = root_only


def test_run_rm_exit_code_and_runtime(docker):
    result = docker.run("--rm", IMAGE, "sh", "-c", "echo from docker; exit 42")
    assert result.returncode == 42, describe(result)
    assert result.stdout == "from docker\n", describe(result)


def test_init_is_the_containers_pid_1(docker):
    """docker run --init: docker's tini (docker-init) is the config's
    process, so the container's pid 1 (tini warns when it is not), and the
    command its child, whose status comes back through it."""
    result = docker.run("--rm", "--init", IMAGE, "sh", "-c", 'echo "$PPID $(cat /proc/1/comm)"; exit 3')
    assert result.returncode == 3, describe(result)
    assert result.stdout == "1 docker-init\n", describe(result)
    assert "PID 1" not in result.stderr, describe(result)


def test_host_pid_ipc_and_uts_namespaces(docker):
    """--pid=host --ipc=host --uts=host: the host's namespaces, joined;
    what the command leaves running ends with the container."""
    result = docker.run("--rm", "--pid=host", "--ipc=host", "--uts=host", IMAGE, "sh", "-c",
                        "for ns in pid ipc uts; do readlink /proc/self/ns/$ns; done; sleep 1000 & echo $!")
    assert result.returncode == 0, describe(result)
    *links, background = result.stdout.split()
    assert links == [os.readlink(f"/proc/self/ns/{ns}") for ns in ("pid", "ipc", "uts")], describe(result)
    assert gone(int(background)), "the background sleep outlived the container"


def test_added_runtime_is_the_one_used(docker):
    """A runtime that fails makes `docker run` fail: --runtime reaches the shim."""
    result = docker.run("--rm", IMAGE, "true", runtime="broken")
    assert result.returncode != 0, describe(result)


def test_read_only_root_with_tmpfs(docker):
    result = docker.run("--rm", "--read-only", "--tmpfs", "/tmp", IMAGE, "sh", "-c",
                        "touch /new-file 2>&1; echo stored > /tmp/f && cat /tmp/f; "
                        "grep ' /tmp ' /proc/mounts | tail -n 1 | cut -d' ' -f3")
    assert result.returncode == 0, describe(result)
    lines = result.stdout.splitlines()
    # the last mount at /tmp is the one a path resolves to
    assert "Read-only file system" in lines[0], describe(result)
    assert lines[1:] == ["stored", "tmpfs"], describe(result)


def test_bind_read_only_and_read_write(docker, host_dir):
    result = docker.run("--rm", "-v", f"{host_dir}:/data:ro", IMAGE, "sh", "-c", "cat /data/f; echo x > /data/g")
    assert result.returncode != 0, describe(result)
    assert result.stdout == "host data\n", describe(result)
    assert "Read-only file system" in result.stderr, describe(result)
    assert not os.path.exists(os.path.join(host_dir, "g"))
    result = docker.run("--rm", "-v", f"{host_dir}:/data", IMAGE, "sh", "-c", "echo written > /data/g")
    assert result.returncode == 0, describe(result)
    with open(os.path.join(host_dir, "g")) as f:
        assert f.read() == "written\n"


def test_device(docker):
    """docker's --device HOST:CONTAINER: the host's node, bound (docs/oci.md)."""
    result = docker.run("--rm", "--device", "/dev/zero:/dev/nsl-zero", IMAGE, "sh", "-c",
                        "head -c 3 /dev/nsl-zero | od -An -tx1")
    assert result.returncode == 0, describe(result)
    assert result.stdout.split() == ["00", "00", "00"], describe(result)


def test_memory_limit_oom_is_137(docker):
    result = docker.run("--rm", "--memory", "64m", IMAGE, "dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1")
    assert result.returncode == 137, describe(result)
    result = docker.run("--rm", "--memory", "64m", IMAGE, "dd", "if=/dev/zero", "of=/dev/null", "bs=16M", "count=1")
    assert result.returncode == 0, describe(result)


def test_seccomp_profile_denies_one_syscall(docker, seccomp_profile):
    result = docker.run("--rm", "--security-opt", f"seccomp={seccomp_profile}", IMAGE, "sh", "-c",
                        "touch /tmp/allowed && echo touched; mkdir /tmp/denied")
    assert result.returncode == 1, describe(result)
    assert result.stdout == "touched\n", describe(result)
    assert "Operation not permitted" in result.stderr, describe(result)


def state(docker, name, field):
    return docker("inspect", "--format", "{{.State.%s}}" % field, name, check=True).stdout.strip()


LOOP_UNTIL_TERM = "trap 'exit 0' TERM; while :; do sleep 0.1; done"
SEE_THE_CONTAINER = "for p in /proc/[0-9]*; do tr '\\0' ' ' <$p/cmdline; echo; done; ls -d /proc/[0-9]* | wc -l"


def test_detach_stop(docker):
    name = "detached"
    result = docker.run("-d", "--name", name, IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        assert state(docker, name, "Status") == "running"
        pid = int(state(docker, name, "Pid"))
        assert os.path.exists(f"/proc/{pid}")
        started = time.monotonic()
        result = docker("stop", "--time", "20", name)
        assert result.returncode == 0, describe(result)
        assert time.monotonic() - started < 15
        assert state(docker, name, "Status") == "exited"
        assert state(docker, name, "ExitCode") == "0"
    finally:
        result = docker("rm", "--force", name)
    assert result.returncode == 0, describe(result)
    assert name not in docker("ps", "-a", "--format", "{{.Names}}", check=True).stdout


def test_exec(docker):
    name = "exec-target"
    result = docker.run("-d", "--name", name, IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        # in the container's pid namespace: its few processes, the loop among them
        result = docker("exec", name, "sh", "-c", SEE_THE_CONTAINER + "; exit 9")
        assert result.returncode == 9, describe(result)
        lines = result.stdout.splitlines()
        assert "sh -c " + LOOP_UNTIL_TERM + " " in lines and int(lines[-1]) < 10, describe(result)
    finally:
        docker("rm", "--force", name)


def test_update_changes_a_running_containers_limits(docker):
    """docker update goes through containerd's shim to the runtime's update
    --resources with the container's whole linux.resources: the new limits
    reach the cgroup, the container runs on."""
    name = "updated"
    result = docker.run("-d", "--name", name, "--memory", "64m", "--pids-limit", "50", IMAGE, "sh", "-c",
                        LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        pid = int(state(docker, name, "Pid"))
        assert cgroup_file(pid, "pids", "pids.max") == "50"
        result = docker("update", "--memory", "128m", "--memory-swap", "256m", "--pids-limit", "60", name)
        assert result.returncode == 0, describe(result)
        assert cgroup_file(pid, "pids", "pids.max") == "60"
        memory = "memory.limit_in_bytes" if os.path.isdir("/sys/fs/cgroup/memory") else "memory.max"
        assert cgroup_file(pid, "memory", memory) == str(128 << 20)
        assert state(docker, name, "Status") == "running"
    finally:
        docker("rm", "--force", name)


def test_device_io_throttles_reach_the_cgroup(docker):
    """--device-write-bps and --device-read-iops: docker resolves the node
    to its numbers, the runtime writes the throttles (v1 blkio.throttle
    files, v2 io.max)."""
    disk = whole_disk("/")
    if disk is None:
        pytest.skip("/ is on no block device")
    node, numbers = disk[0], "%d:%d" % disk[1:]
    name = "throttled"
    result = docker.run("-d", "--name", name, "--device-write-bps", f"{node}:1mb", "--device-read-iops",
                        f"{node}:1000", IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    try:
        pid = int(state(docker, name, "Pid"))
        if os.path.isdir("/sys/fs/cgroup/blkio"):
            assert f"{numbers} 1048576" in cgroup_file(pid, "blkio", "blkio.throttle.write_bps_device").splitlines()
            assert f"{numbers} 1000" in cgroup_file(pid, "blkio", "blkio.throttle.read_iops_device").splitlines()
        else:
            line = next(line for line in cgroup_file(pid, "io", "io.max").splitlines() if line.startswith(numbers))
            assert "wbps=1048576" in line.split() and "riops=1000" in line.split(), line
    finally:
        docker("rm", "--force", name)


@pytest.mark.skipif(not systemd_is_init(), reason="needs systemd as pid 1 (tests/vm: NSL_VM_SYSTEMD=1)")
def test_systemd_cgroup_driver(docker_systemd):
    """dockerd with systemd's cgroup driver, as Docker runs where systemd is
    pid 1 on cgroup v2 (Colima's VM): containerd's shim gives the runtime
    --systemd-cgroup and system.slice:docker:ID, the container runs in
    systemd's docker-ID.scope with its memory limit known to systemd, and
    the scope is gone with the container."""
    name = "systemd-driven"
    result = docker_systemd.run("-d", "--name", name, "--memory", "64m", IMAGE, "sh", "-c", LOOP_UNTIL_TERM)
    assert result.returncode == 0, describe(result)
    scope = f"system.slice/docker-{result.stdout.strip()}.scope"
    try:
        pid = int(state(docker_systemd, name, "Pid"))
        check_in_scope(docker_systemd, name, pid, scope, "memory.max", "MemoryMax", 64 << 20)
    finally:
        result = docker_systemd("rm", "--force", name)
    assert result.returncode == 0, describe(result)
    assert gone(pid)
    wait_scope_gone(scope)
