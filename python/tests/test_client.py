"""The client against the real binary: results read from the status JSON,
the error taxonomy, each description field doing what its option does,
handles, threads, asyncio and 100 MB streamed through a sandbox."""

import asyncio
import concurrent.futures
import hashlib
import json
import os
import signal
import subprocess
import threading
import time

import pytest

import nslaunch
import nslaunch.aio
from conftest import NSLAUNCH, PROFILE, PY, needs_limits


def test_result_comes_from_the_status_json():
    r = nslaunch.run(["/bin/sh", "-c", "echo out; echo err >&2"], capture_output=True)
    assert (r.exit_code, r.signal, r.timed_out, r.oom_killed) == (0, None, False, False)
    assert r.stdout == b"out\n" and r.stderr == b"err\n"
    assert r.ok and r.returncode == 0 and r.args == ("/bin/sh", "-c", "echo out; echo err >&2")
    assert 0 < r.setup_ms < r.wall_ms
    assert r.cpu_user_ms >= 0 and r.cpu_sys_ms >= 0
    assert r.seccomp_denials == ()
    burn = nslaunch.run([PY, "-c", "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.2: pass"])
    assert burn.exit_code == 0 and burn.cpu_user_ms + burn.cpu_sys_ms >= 150, burn


def test_status_arrives_on_a_pipe_not_a_file():
    with nslaunch.start(["/bin/true"]) as h:
        argv = list(h.argv)
        assert h.wait().exit_code == 0
    status = argv[argv.index("--status-json") + 1]
    assert status.startswith("fd:") and argv[argv.index("--") + 1:] == ["/bin/true"]


def test_exit_code_and_check_raise_plugin_error_not_launch_error():
    r = nslaunch.run(["/bin/sh", "-c", "echo partial; exit 3"], capture_output=True)
    assert r.exit_code == 3 and not r.ok
    with pytest.raises(nslaunch.PluginError) as e:
        nslaunch.run(["/bin/sh", "-c", "echo partial; exit 3"], capture_output=True, check=True)
    assert isinstance(e.value, subprocess.CalledProcessError)
    assert not isinstance(e.value, nslaunch.LaunchError)
    assert e.value.returncode == 3 and e.value.stdout == b"partial\n" and e.value.result.exit_code == 3


def test_signal_that_ended_the_command():
    r = nslaunch.run(["/bin/sh", "-c", "kill -USR1 $$"])
    assert (r.exit_code, r.signal, r.timed_out) == (128 + signal.SIGUSR1, signal.SIGUSR1, False)


def test_timeout():
    start = time.monotonic()
    r = nslaunch.run(["/bin/sleep", "30"], timeout=0.5)
    assert r.timed_out and r.exit_code == 124 and r.signal == signal.SIGTERM
    assert time.monotonic() - start < 10
    with pytest.raises(nslaunch.PluginError, match="timed out"):
        nslaunch.run(["/bin/sleep", "30"], nslaunch.Sandbox(timeout=0.3), check=True)


@needs_limits
def test_oom_killed():
    hog = "s = b'x' * (256 << 20)\nprint(len(s))\n"
    r = nslaunch.run([PY, "-c", hog], nslaunch.Sandbox(memory="48m"), capture_output=True)
    assert r.oom_killed and r.exit_code == 137 and r.signal == signal.SIGKILL, r
    assert r.peak_memory_bytes is not None and r.peak_memory_bytes <= 48 << 20
    with pytest.raises(nslaunch.PluginError, match="OOM"):
        nslaunch.run([PY, "-c", hog], nslaunch.Sandbox(memory=48 << 20), capture_output=True, check=True)
    ok = nslaunch.run([PY, "-c", "print(len(b'x' * (8 << 20)))"], nslaunch.Sandbox(memory="48m"))
    assert not ok.oom_killed and ok.exit_code == 0 and ok.peak_memory_bytes > 8 << 20


@pytest.mark.parametrize("capture", [True, False])
def test_launch_error_carries_stage_subject_message(capture):
    with pytest.raises(nslaunch.LaunchError) as e:
        nslaunch.run(["/bin/true"], nslaunch.Sandbox(rootfs="/nonexistent-rootfs"), capture_output=capture,
                     check=True)
    assert (e.value.stage, e.value.subject, e.value.exit_code) == ("plan", "--rootfs", 125)
    assert e.value.message.startswith("nslaunch: --rootfs: /nonexistent-rootfs: ")
    assert not isinstance(e.value, nslaunch.PluginError)


def test_cgroup_files_become_options_and_a_refusal_names_the_file():
    box = nslaunch.Sandbox(cgroup_files={"memory.high": "64M", "pids.max": "8"})
    assert box.options() == ["--cgroup-file", "memory.high=64M", "--cgroup-file", "pids.max=8"]
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        assert nslaunch.run(["/bin/true"], box.with_(limits="best-effort")).exit_code == 0
        return
    # this host's controllers are in cgroup v1: refused at the cgroup stage
    with pytest.raises(nslaunch.LaunchError) as e:
        nslaunch.run(["/bin/true"], box, capture_output=True)
    assert (e.value.stage, e.value.exit_code) == ("cgroup", 125)
    assert "memory.high: a cgroup v2 file" in e.value.message


def test_command_not_found_is_a_launch_error_at_exec():
    with pytest.raises(nslaunch.LaunchError) as e:
        nslaunch.run(["/no/such/plugin"], capture_output=True)
    assert (e.value.stage, e.value.exit_code) == ("exec", 127)
    assert "/no/such/plugin" in e.value.message


@pytest.mark.parametrize("capture", [True, False])
def test_usage_error_is_a_launch_error_with_stage_usage(capture):
    with pytest.raises(nslaunch.LaunchError) as e:
        nslaunch.run(["/bin/true"], nslaunch.Sandbox(memory="lots"), capture_output=capture)
    assert (e.value.stage, e.value.exit_code) == ("usage", 125)
    if capture:
        assert e.value.subject == "--memory"
        assert e.value.message.startswith("nslaunch: --memory: lots: ")


def test_binary_from_argument_environment_and_path(monkeypatch, shared_dir):
    assert nslaunch.run(["/bin/true"], binary=NSLAUNCH).exit_code == 0
    monkeypatch.setenv("NSLAUNCH", "/nonexistent/nslaunch")
    with pytest.raises(FileNotFoundError):
        nslaunch.run(["/bin/true"])
    monkeypatch.delenv("NSLAUNCH")
    os.symlink(NSLAUNCH, os.path.join(shared_dir, "nslaunch"))
    monkeypatch.setenv("PATH", shared_dir)
    assert nslaunch.find_binary() == os.path.join(shared_dir, "nslaunch")
    assert nslaunch.run(["/bin/true"]).exit_code == 0
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(nslaunch.BinaryNotFound):
        nslaunch.run(["/bin/true"])


def test_description_maps_onto_the_options(shared_dir):
    with open(os.path.join(shared_dir, "in.txt"), "w") as f:
        f.write("from the host\n")
    out = os.path.join(shared_dir, "out")
    os.mkdir(out)
    os.chmod(out, 0o777)
    box = nslaunch.Sandbox(
        ro_binds=[(shared_dir, "/data")], binds=[(out, "/out")],
        tmpfs={"/scratch": "size=1m,mode=1777"}, env={"GREETING": "hi there"}, cwd="/data",
        uid=1234, gid=2345, hostname="plugin-host", network="none")
    script = ("cat in.txt; echo \"$GREETING\"; id -u; id -g; uname -n; pwd; echo x > /out/made; "
              "dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>/dev/null && echo tmpfs-unbounded; "
              "touch /data/no 2>/dev/null || echo ro-bind-read-only; touch /no 2>/dev/null || echo root-read-only; "
              f"{PY} -c 'import socket; print(*[n for _, n in socket.if_nameindex()])'")
    r = nslaunch.run(["/bin/sh", "-c", script], box, capture_output=True, text=True)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.split("\n") == ["from the host", "hi there", "1234", "2345", "plugin-host", "/data",
                                    "ro-bind-read-only", "root-read-only", "lo", ""]
    with open(os.path.join(out, "made")) as f:
        assert f.read() == "x\n"


def _profile_without(names):
    with open(PROFILE) as f:
        profile = json.load(f)
    for rule in profile["syscalls"]:
        if "names" in rule:
            rule["names"] = [n for n in rule["names"] if n not in names]
    return profile


def test_seccomp_profile_as_a_dict_and_its_report():
    profile = _profile_without({"mkdir", "mkdirat"})
    box = nslaunch.Sandbox(seccomp=profile, seccomp_report=True)
    r = nslaunch.run(["/bin/mkdir", "/tmp/d"], box, capture_output=True)
    assert r.exit_code == 1 and b"Operation not permitted" in r.stderr
    denied = {(d.syscall, d.action, d.errno) for d in r.seccomp_denials}
    assert denied & {("mkdir", "errno", "EPERM"), ("mkdirat", "errno", "EPERM")}, r.seccomp_denials
    assert all(d.comm == "mkdir" and d.count >= 1 for d in r.seccomp_denials)
    assert all(d.callers[0] == nslaunch.SeccompCaller("mkdir", d.pid) for d in r.seccomp_denials)
    assert r.seccomp_denials_dropped == 0 and not r.seccomp_suspected
    assert nslaunch.run(["/bin/mkdir", "/tmp/d"], nslaunch.Sandbox(seccomp=PROFILE)).exit_code == 0


def test_seccomp_profile_path_and_unconfined():
    r = nslaunch.run(["/bin/sh", "-c", "grep Seccomp: /proc/self/status"], nslaunch.Sandbox(seccomp="unconfined"),
                     capture_output=True)
    assert r.stdout.split() == [b"Seccomp:", b"0"]


def test_text_mode():
    r = nslaunch.run(["/bin/cat"], input="héllo", capture_output=True, text=True)
    assert r.stdout == "héllo"


def test_handle_wait_timeout_then_kill():
    with nslaunch.start(["/bin/sleep", "30"]) as h:
        with open(f"/proc/{h.pid}/stat") as f:      # nslaunch, our child
            assert int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
        with pytest.raises(subprocess.TimeoutExpired):
            h.wait(timeout=0.2)
        other = concurrent.futures.ThreadPoolExecutor(1)
        waiting = other.submit(h.wait)              # a second waiter, without a timeout
        time.sleep(0.1)
        start = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            h.wait(timeout=0.2)
        assert time.monotonic() - start < 2 and h.poll() is None
        h.kill()
        r = h.wait(timeout=10)
        assert waiting.result(timeout=10) is r
        other.shutdown()
    assert (r.exit_code, r.signal, r.wall_ms) == (137, signal.SIGKILL, None)


def test_handle_terminate_reaches_the_command():
    with nslaunch.start(["/bin/sleep", "30"]) as h:
        time.sleep(0.3)       # past the launch: init forwards the signal
        h.terminate()
        r = h.wait(timeout=10)
    assert (r.exit_code, r.signal, r.timed_out) == (128 + signal.SIGTERM, signal.SIGTERM, False)
    assert r.wall_ms is not None


def test_handle_streams_and_launch_error_from_wait():
    with nslaunch.start(["/bin/sh", "-c", "read line; echo got $line"], stdin=nslaunch.PIPE,
                        stdout=nslaunch.PIPE) as h:
        h.stdin.write(b"ping\n")
        h.stdin.flush()
        assert h.stdout.readline() == b"got ping\n"
        assert h.wait().exit_code == 0
    with nslaunch.start(["/no/such"], stderr=nslaunch.DEVNULL) as h:
        with pytest.raises(nslaunch.LaunchError):
            h.wait()
        with pytest.raises(nslaunch.LaunchError):   # the same answer again, from any thread
            h.wait()


def test_50_runs_from_8_threads():
    plain = nslaunch.Sandbox(timeout=60)
    # every other run hands its profile over in a memfd of its own
    with_profile = plain.with_(seccomp=_profile_without(set()))

    def one(i):
        box = with_profile if i % 2 else plain
        if i % 10 == 9:
            with pytest.raises(nslaunch.LaunchError) as e:
                nslaunch.run([f"/no/such/{i}"], box, capture_output=True)
            return i, e.value.stage, e.value.message
        r = nslaunch.run(["/bin/sh", "-c", f"cat; echo {i}; exit {i % 7}"], box, input=f"in-{i}\n".encode(),
                         capture_output=True)
        return i, r.exit_code, r.stdout

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(50)))
    for i, code, out in results:
        if i % 10 == 9:
            assert code == "exec" and f"/no/such/{i}" in out
        else:
            assert (code, out) == (i % 7, f"in-{i}\n{i}\n".encode())


def test_asyncio_runs_handles_and_errors():
    async def main():
        results = await asyncio.gather(*(nslaunch.aio.run(["/bin/sh", "-c", f"echo {i}; exit {i % 3}"],
                                                           capture_output=True) for i in range(12)))
        assert [(r.exit_code, r.stdout) for r in results] == [(i % 3, f"{i}\n".encode()) for i in range(12)]
        r = await nslaunch.aio.run(["/bin/cat"], input=b"abc", capture_output=True)
        assert r.stdout == b"abc" and r.wall_ms > 0
        with pytest.raises(nslaunch.LaunchError) as e:
            await nslaunch.aio.run(["/bin/true"], nslaunch.Sandbox(rootfs="/nonexistent-rootfs"),
                                   capture_output=True)
        assert (e.value.stage, e.value.subject) == ("plan", "--rootfs")
        with pytest.raises(nslaunch.PluginError):
            await nslaunch.aio.run(["/bin/false"], check=True)
        t = await nslaunch.aio.run(["/bin/sleep", "30"], timeout=0.3)
        assert t.timed_out and t.exit_code == 124
        h = await nslaunch.aio.start(["/bin/sh", "-c", "read x; echo got $x; sleep 30"],
                                     stdin=nslaunch.PIPE, stdout=nslaunch.PIPE)
        h.stdin.write(b"ping\n")
        await h.stdin.drain()
        assert await h.stdout.readline() == b"got ping\n"
        h.kill()
        r = await h.wait()
        assert (r.exit_code, r.signal) == (137, signal.SIGKILL)

    asyncio.run(main())


def test_asyncio_from_several_threads_each_with_its_loop():
    async def batch(t):
        rs = await asyncio.gather(*(nslaunch.aio.run(["/bin/sh", "-c", f"echo {t}-{i}"], capture_output=True)
                                    for i in range(5)))
        return [r.stdout for r in rs]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda t: asyncio.run(batch(t)), range(4)))
    assert outs == [[f"{t}-{i}\n".encode() for i in range(5)] for t in range(4)]


HUNDRED_MB = 100 << 20
CHUNK = bytes(range(256)) * 4096          # 1 MiB


def test_stream_100mb_through_a_handle():
    expected = hashlib.sha256(CHUNK * (HUNDRED_MB // len(CHUNK))).hexdigest()
    with nslaunch.start(["/bin/cat"], stdin=nslaunch.PIPE, stdout=nslaunch.PIPE) as h:
        def feed():
            for _ in range(HUNDRED_MB // len(CHUNK)):
                h.stdin.write(CHUNK)
            h.stdin.close()
        writer = threading.Thread(target=feed)
        writer.start()
        digest, size = hashlib.sha256(), 0
        while True:
            block = h.stdout.read1(1 << 20)
            if not block:
                break
            digest.update(block)
            size += len(block)
        writer.join()
        r = h.wait(timeout=60)
    assert r.exit_code == 0 and size == HUNDRED_MB and digest.hexdigest() == expected


def test_stream_100mb_through_run_and_asyncio():
    data = CHUNK * (HUNDRED_MB // len(CHUNK))
    r = nslaunch.run(["/bin/cat"], input=data, capture_output=True)
    assert r.exit_code == 0 and len(r.stdout) == HUNDRED_MB and r.stdout == data

    async def main():
        h = await nslaunch.aio.start(["/bin/cat"], stdin=nslaunch.PIPE, stdout=nslaunch.PIPE)

        async def feed():
            for i in range(0, HUNDRED_MB, len(CHUNK)):
                h.stdin.write(data[i:i + len(CHUNK)])
                await h.stdin.drain()
            h.stdin.close()
        digest, size = hashlib.sha256(), 0
        feeding = asyncio.ensure_future(feed())
        while True:
            block = await h.stdout.read(1 << 20)
            if not block:
                break
            digest.update(block)
            size += len(block)
        await feeding
        result = await h.wait()
        return result, size, digest.hexdigest()

    result, size, digest = asyncio.run(main())
    assert result.exit_code == 0 and size == HUNDRED_MB and digest == hashlib.sha256(data).hexdigest()


def test_description_is_immutable_and_copied_with_changes():
    box = nslaunch.Sandbox(memory="64m")
    with pytest.raises(Exception):
        box.memory = "1g"
    bigger = box.with_(memory="1g", env={"A": "1"})
    assert (box.memory, bigger.memory) == ("64m", "1g")
    assert bigger.options()[:4] == ["--env", "A=1", "--memory", "1g"]
    with pytest.raises(TypeError):
        nslaunch.run("/bin/true")


def test_a_status_larger_than_a_pipe_with_captured_output(tmp_path):
    """run(capture_output=True) reads the status while it waits: a status
    larger than the pipe (many kinds of denials) cannot block nslaunch. A
    stand-in for nslaunch writes 1 MiB of status, then exits."""
    fake = tmp_path / "fake-nslaunch"
    fake.write_text(
        "#!/usr/bin/python3\n"
        "import json, os, sys\n"
        "fd = int(sys.argv[sys.argv.index('--status-json') + 1].split(':')[1])\n"
        "kinds = [{'syscall': '#%d' % i, 'arch': 'x86_64', 'pid': 2, 'comm': 'p', 'action': 'errno',\n"
        "          'errno': 'EPERM', 'count': 1, 'callers': [{'comm': 'p', 'pid': 2}], 'calls_by_others': 0}\n"
        "         for i in range(6000)]\n"
        "status = {'exit_code': 0, 'signal': None, 'timed_out': False, 'oom_killed': False,\n"
        "          'seccomp_denials': kinds, 'seccomp_denials_dropped': 0, 'error': None}\n"
        "os.write(1, b'out')\n"
        "data = json.dumps(status).encode() + b'\\n'\n"
        "while data:\n"
        "    data = data[os.write(fd, data):]\n")
    fake.chmod(0o755)
    result = []
    worker = threading.Thread(target=lambda: result.append(
        nslaunch.run(["/bin/true"], capture_output=True, binary=str(fake))))
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "run() blocked on a large status"
    assert result[0].stdout == b"out" and len(result[0].seccomp_denials) == 6000


def test_landlock_settings():
    """Landlock through the description: on by default (the ABI is in the
    Result), a file the command writes under /tmp cannot be executed unless
    allow_exec_writable, and off turns the stage off."""
    script = "printf '#!/bin/sh\\necho ran\\n' > /tmp/x && chmod +x /tmp/x && /tmp/x"
    on = nslaunch.run(["/bin/sh", "-c", script], capture_output=True)
    if on.landlock_abi == 0:
        pytest.skip("this kernel has no Landlock")
    assert on.exit_code == 126 and b"Permission denied" in on.stderr, on
    allowed = nslaunch.run(["/bin/sh", "-c", script], nslaunch.Sandbox(allow_exec_writable=True), capture_output=True)
    assert allowed.exit_code == 0 and allowed.stdout == b"ran\n", allowed
    off = nslaunch.run(["/bin/true"], nslaunch.Sandbox(landlock="off"))
    assert off.exit_code == 0 and off.landlock_abi == 0
    strict = nslaunch.Sandbox(landlock="strict", seccomp_strict=True).options()
    assert "--landlock" in strict and "strict" in strict and "--seccomp-strict" in strict


def test_dns_is_the_sandboxs_resolv_conf():
    import shutil
    if not shutil.which("slirp4netns"):
        pytest.skip("needs Debian's slirp4netns")
    sandbox = nslaunch.Sandbox(allow_egress=["198.51.100.9:80"], dns=["10.0.2.3", "fd00::3"])
    assert sandbox.options().count("--dns") == 2
    r = nslaunch.run(["/bin/cat", "/etc/resolv.conf"], sandbox, capture_output=True)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == b"nameserver 10.0.2.3\nnameserver fd00::3\n"


def test_allow_egress_reaches_only_what_it_names():
    """A private network through the client: the allowed port of a server
    on the host's loopback answers, another port of it is refused at once."""
    import shutil
    import socket
    if not shutil.which("slirp4netns"):
        pytest.skip("needs Debian's slirp4netns")
    servers = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
    allowed, other = (s.getsockname()[1] for s in servers)

    def answer():
        with servers[0].accept()[0] as c:
            c.sendall(b"hi")
    t = threading.Thread(target=answer, daemon=True)
    t.start()
    code = ("import socket, sys\n"
            "print(socket.create_connection(('10.0.2.2', int(sys.argv[1])), timeout=5).recv(2).decode())\n"
            "try:\n    socket.create_connection(('10.0.2.2', int(sys.argv[2])), timeout=5)\n"
            "except ConnectionRefusedError:\n    print('refused')\n")
    sandbox = nslaunch.Sandbox(allow_egress=[f"host-loopback:{allowed}"])
    try:
        r = nslaunch.run([PY, "-c", code, str(allowed), str(other)], sandbox, capture_output=True)
    finally:
        for s in servers:
            s.close()
    assert r.exit_code == 0, r.stderr
    assert r.stdout.decode().split() == ["hi", "refused"]
    assert r.egress_denials == (nslaunch.EgressDenial("10.0.2.2", other, "tcp", 1),)
