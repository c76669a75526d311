"""nslaunch-runc: runc's command line (docs/oci.md), driven as podman's conmon
and containerd's shim drive it: the real binary under its second name, real
bundles, real namespaces.  pytest is a child subreaper (conftest), so the
containers' inits, detached by create, are reparented to it as they are to
conmon or the shim."""

import fcntl
import glob
import json
import os
import pty
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import termios
import threading
import time

import pytest

from conftest import IS_ROOT, NSLAUNCH, pids_in_pid_ns
from host_facts import whole_disk

TIMEOUT = 20


def run_to_files(argv, input=None, timeout=TIMEOUT, **kw):
    """subprocess.run with stdout and stderr in files, not pipes: a created
    container keeps create's stdio (as conmon's pipes), so a pipe would not
    see its end before the container's."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        cp = subprocess.run(argv, input=input, stdout=out, stderr=err, text=True, timeout=timeout, **kw)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(argv, cp.returncode, out.read(), err.read())


@pytest.fixture
def runc(hostdir):
    """Calls nslaunch-runc (a symlink to the binary under test) with a
    private --root; returns a function (*args) -> CompletedProcess."""
    bindir = hostdir(0o755, prefix="nsl-runc-bin-")
    link = os.path.join(bindir, "nslaunch-runc")
    os.symlink(os.path.abspath(NSLAUNCH), link)
    root = os.path.join(hostdir(0o700, prefix="nsl-runc-root-"), "state")

    def call(*args, root_dir=None, **kw):
        return run_to_files([link, "--root", root_dir or root, *args], **kw)

    call.link = link
    call.root = root
    call.ids = []
    yield call
    for cid in call.ids:
        call("delete", "--force", cid)


def spec_config(runc, bundle, rootless=not IS_ROOT):
    cp = runc("spec", "--bundle", bundle, *(["--rootless"] if rootless else []))
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(bundle, "config.json")) as f:
        return json.load(f)


@pytest.fixture
def bundle(hostdir, rootfs, runc):
    """A bundle: a minimal rootfs with the host's /usr bound read-only, and
    `nslaunch-runc spec`'s config, edited by the test through write()."""
    root, _ = rootfs(extra_dirs=("sys", "run"))
    top = os.path.dirname(root)
    config = spec_config(runc, top)
    config["root"]["path"] = root
    config["process"]["terminal"] = False
    config["mounts"].append({"destination": "/usr", "type": "bind", "source": "/usr",
                             "options": ["rbind", "ro", "nosuid", "nodev"]})

    class Bundle:
        path = top

        def write(self, args=None, **edits):
            if args is not None:
                config["process"]["args"] = args
            for key, value in edits.items():
                config[key] = value
            os.unlink(os.path.join(top, "config.json"))
            with open(os.path.join(top, "config.json"), "w") as f:
                json.dump(config, f)
            return config

    b = Bundle()
    b.config = config
    b.write(["/bin/sleep", "60"])
    return b


def state(runc, cid):
    cp = runc("state", cid)
    assert cp.returncode == 0, cp.stderr
    return json.loads(cp.stdout)


def wait_status(runc, cid, want, seconds=10):
    deadline = time.monotonic() + seconds
    while True:
        s = state(runc, cid)
        if s["status"] == want or time.monotonic() > deadline:
            return s
        time.sleep(0.05)


def create(runc, bundle, cid, *opts):
    runc.ids.append(cid)
    cp = runc("create", "--bundle", bundle.path, *opts, cid)
    assert cp.returncode == 0, cp.stderr
    return cp


def cgroup_hierarchies():
    """Each hierarchy's root: the v1 ones and a hybrid host's unified/, or
    the cgroup2 mount itself."""
    return [os.path.join("/sys/fs/cgroup", h) for h in os.listdir("/sys/fs/cgroup")] + ["/sys/fs/cgroup"]


@pytest.fixture
def cgroup_top(runc):
    """The test's own top cgroup path, removed from every hierarchy at its
    end, pass or fail, once its containers are deleted (delete leaves the
    parents of an absolute path)."""
    top = f"/nsl-test-{os.getpid()}"
    yield top
    for cid in runc.ids:
        runc("delete", "--force", cid)
    for h in cgroup_hierarchies():
        for dirpath, _, _ in os.walk(h + top, topdown=False):
            os.rmdir(dirpath)


def delete_reaping(runc, cid, pid):
    """delete --force of a container with a detached exec'd process, which
    is ours now (we are the subreaper, as conmon or the shim are): the pid
    namespace's end waits until its zombie is reaped."""
    p = subprocess.Popen([runc.link, "--root", runc.root, "delete", "--force", cid])
    while p.poll() is None:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.02)
    return p.returncode


def one_error_line(cp, status=1):
    lines = [line for line in cp.stderr.splitlines() if line.strip()]
    assert cp.returncode == status, (cp.returncode, cp.stderr)
    assert len(lines) == 1 and lines[0].startswith("nslaunch-runc: "), cp.stderr
    return lines[0]


# ------------------------------------------------------------------ lifecycle


def test_create_start_kill_delete(runc, bundle):
    create(runc, bundle, "life")
    s = state(runc, "life")
    assert s["status"] == "created" and s["id"] == "life" and s["ociVersion"]
    assert s["bundle"] == os.path.realpath(bundle.path)
    pid = s["pid"]
    assert os.path.exists(f"/proc/{pid}")
    cp = runc("start", "life")
    assert cp.returncode == 0, cp.stderr
    assert state(runc, "life")["status"] == "running"
    one_error_line(runc("start", "life"))             # once only
    one_error_line(runc("delete", "life"))            # running: refused without --force
    cp = runc("kill", "life", "KILL")
    assert cp.returncode == 0, cp.stderr
    s = wait_status(runc, "life", "stopped")
    assert s["status"] == "stopped" and "pid" not in s
    cp = runc("delete", "life")
    assert cp.returncode == 0, cp.stderr
    assert "does not exist" in one_error_line(runc("state", "life"))
    assert not os.path.exists(os.path.join(runc.root, "life"))


def test_create_returns_while_init_waits_for_start(runc, bundle, hostdir):
    out = os.path.join(hostdir(0o777), "started")
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": os.path.dirname(out),
                                    "options": ["rbind", "rw"]})
    bundle.write(["/bin/sh", "-c", "echo yes > /out/started; exec sleep 60"])
    create(runc, bundle, "waits")
    time.sleep(0.3)
    assert not os.path.exists(out), "the command ran before start"
    assert runc("start", "waits").returncode == 0
    deadline = time.monotonic() + 5
    while not os.path.exists(out) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.path.exists(out)
    assert runc("delete", "--force", "waits").returncode == 0


def test_run_foreground_exit_status_and_output(runc, bundle):
    bundle.write(["/bin/sh", "-c", "echo from-the-container; exit 7"])
    runc.ids.append("fg")
    cp = runc("run", "--bundle", bundle.path, "fg")
    assert cp.returncode == 7, cp.stderr
    assert cp.stdout == "from-the-container\n"
    assert not os.path.exists(os.path.join(runc.root, "fg")), "run deletes what it created"


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_run_keep_leaves_the_stopped_container_and_its_cgroup_to_delete(runc, bundle, cgroup_top):
    """runc's --keep: the container stays, stopped, with its cgroup and
    what it used there (its pids limit, its memory's peak), until delete
    removes both."""
    path = f"{cgroup_top}/ct"
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = path
    linux["resources"] = dict(linux.get("resources", {}), pids={"limit": 20})
    bundle.write(["/bin/sh", "-c", "exit 3"])
    runc.ids.append("kept")
    cp = runc("run", "--keep", "--bundle", bundle.path, "kept")
    assert cp.returncode == 3, cp.stderr
    assert state(runc, "kept")["status"] == "stopped"
    pids = f"/sys/fs/cgroup/pids{path}" if os.path.isdir("/sys/fs/cgroup/pids") else f"/sys/fs/cgroup{path}"
    with open(f"{pids}/pids.max") as f:
        assert f.read().strip() == "20"
    with open(f"{pids}/cgroup.procs") as f:
        assert f.read() == ""
    assert runc("delete", "kept").returncode == 0
    assert runc("state", "kept").returncode != 0
    assert [h for h in cgroup_hierarchies() if os.path.exists(h + path)] == []
    # without --keep, run removes both
    runc.ids.append("notkept")
    assert runc("run", "--bundle", bundle.path, "notkept").returncode == 3
    assert runc("state", "notkept").returncode != 0
    assert [h for h in cgroup_hierarchies() if os.path.exists(h + path)] == []


def test_run_foreground_of_a_command_that_goes_on(runc, bundle):
    """A foreground run of a command that does not end at once: the
    container is running (start's lock let go) while run waits for it, an
    exec reaches it, and a kill from outside ends it and run with it. (The
    command is the container's init: no word of its execve comes from
    init, so run sees it by the sync socket's close-on-exec end.)"""
    bundle.write(["/bin/sleep", "60"])
    runc.ids.append("fglong")
    proc = subprocess.Popen([runc.link, "--root", runc.root, "run", "--bundle", bundle.path, "fglong"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            cp = runc("state", "fglong")
            if cp.returncode == 0 and json.loads(cp.stdout)["status"] == "running":
                break
            time.sleep(0.05)
        assert cp.returncode == 0 and json.loads(cp.stdout)["status"] == "running", cp.stdout + cp.stderr
        cp = runc("exec", "fglong", "/bin/true", timeout=10)
        assert cp.returncode == 0, cp.stderr
        assert runc("kill", "fglong", "KILL", timeout=10).returncode == 0
        assert proc.wait(timeout=10) == 128 + signal.SIGKILL
    finally:
        proc.kill()
        proc.wait()


def exe_after_start(pid):
    """What pid runs once start has returned: start waits for the command's
    execve (init holds the start FIFO until then), rootless too, where init
    cannot be inspected before that execve (it is not dumpable): the link
    must be readable at once."""
    return os.path.realpath(f"/proc/{pid}/exe")


def test_the_command_is_the_containers_pid_1(runc, bundle):
    """runc's process model: the config's process is pid 1 of the
    container's pid namespace, no process of nslaunch's stays beside it,
    and a signal it has no handler for does not end it (a pid 1's), while
    SIGKILL from outside does; its status is the container's."""
    bundle.write(["/bin/sh", "-c", 'echo "$$ $PPID"; ls /proc | grep -c "^[0-9]"; ls /proc/1/fd | tr "\\n" " "; '
                  'exit 4'])
    runc.ids.append("pid1")
    cp = runc("run", "--bundle", bundle.path, "pid1")
    assert cp.returncode == 4, cp.stderr
    pid, ppid, processes, *fds = cp.stdout.split()
    assert (pid, ppid, processes) == ("1", "0", "3"), cp.stdout         # sh, ls, grep: nothing else
    assert fds == ["0", "1", "2"], "an fd of init's crossed the execve: " + cp.stdout

    bundle.write(["/bin/sleep", "1000"])
    create(runc, bundle, "pid1-sleep")
    init = state(runc, "pid1-sleep")["pid"]
    assert runc("start", "pid1-sleep").returncode == 0
    assert exe_after_start(init).endswith("/sleep"), "start returned before the execve"
    assert runc("kill", "pid1-sleep", "TERM").returncode == 0
    time.sleep(0.3)
    assert state(runc, "pid1-sleep")["status"] == "running", "a pid 1 without a handler ended on SIGTERM"
    assert runc("kill", "pid1-sleep", "KILL").returncode == 0
    assert wait_status(runc, "pid1-sleep", "stopped")["status"] == "stopped"
    assert runc("delete", "pid1-sleep").returncode == 0


def test_run_detach_then_kill_all(runc, bundle):
    bundle.write(["/bin/sh", "-c", "sleep 60 & exec sleep 60"])
    runc.ids.append("det")
    cp = runc("run", "--detach", "--bundle", bundle.path, "det")
    assert cp.returncode == 0, cp.stderr
    assert state(runc, "det")["status"] == "running"
    cp = runc("ps", "--format", "json", "det")
    assert cp.returncode == 0, cp.stderr
    pids = json.loads(cp.stdout)
    assert pids[0] == state(runc, "det")["pid"]
    comms = [open(f"/proc/{p}/comm").read().strip() for p in pids]
    assert comms.count("sleep") == 2, comms
    table = runc("ps", "det").stdout.splitlines()
    assert table[0].split() == ["PID", "CMD"] and len(table) == len(pids) + 1
    cp = runc("kill", "--all", "det", "9")
    assert cp.returncode == 0, cp.stderr
    assert wait_status(runc, "det", "stopped")["status"] == "stopped"
    assert runc("delete", "det").returncode == 0


def test_pid_file_written(runc, bundle, hostdir):
    pid_file = os.path.join(hostdir(), "pid")
    create(runc, bundle, "pidf", "--pid-file", pid_file)
    with open(pid_file) as f:
        assert int(f.read()) == state(runc, "pidf")["pid"]
    assert runc("delete", "--force", "pidf").returncode == 0


def test_kill_signal_names_and_numbers(runc, bundle):
    bundle.write(["/bin/sh", "-c", "trap 'exit 3' USR1; trap 'exit 4' TERM; while :; do sleep 0.1; done"])
    create(runc, bundle, "sig")
    assert runc("start", "sig").returncode == 0
    assert "not a signal" in one_error_line(runc("kill", "sig", "NOPE"))
    assert "not a signal" in one_error_line(runc("kill", "sig", "-1"))
    assert runc("kill", "sig", "0").returncode == 0, "signal 0 asks only whether it is there"
    time.sleep(0.3)     # the traps are set
    cp = runc("kill", "sig", "SIGUSR1")
    assert cp.returncode == 0, cp.stderr
    assert wait_status(runc, "sig", "stopped")["status"] == "stopped"
    assert "not running" in one_error_line(runc("kill", "sig", "15"))
    assert "not running" in one_error_line(runc("kill", "sig", "0"))
    assert runc("kill", "--all", "sig", "KILL").returncode == 0, "nothing left to signal: done, as runc"
    assert runc("delete", "sig").returncode == 0


def test_delete_force_of_created_and_of_nothing(runc, bundle):
    create(runc, bundle, "forced")
    pid = state(runc, "forced")["pid"]
    assert runc("delete", "--force", "forced").returncode == 0
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z"
    assert runc("delete", "--force", "never-was").returncode == 0


def test_delete_of_a_crashed_create_and_of_a_vanished_container(runc, bundle):
    # a create that died before writing its state leaves only its directory
    os.makedirs(os.path.join(runc.root, "crashed"))
    assert "no state" in one_error_line(runc("state", "crashed"))
    assert runc("delete", "crashed").returncode == 0
    assert not os.path.exists(os.path.join(runc.root, "crashed"))
    # a container whose init was killed behind the runtime's back
    create(runc, bundle, "vanished")
    os.kill(state(runc, "vanished")["pid"], signal.SIGKILL)
    assert wait_status(runc, "vanished", "stopped")["status"] == "stopped"
    assert runc("delete", "vanished").returncode == 0


def test_concurrent_create_of_one_id(runc, bundle):
    runc.ids.append("race")
    argv = [runc.link, "--root", runc.root, "create", "--bundle", bundle.path, "race"]
    errs = [tempfile.TemporaryFile("w+") for _ in range(4)]
    procs = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, text=True) for err in errs]
    results = []
    for p, err in zip(procs, errs):
        rc = p.wait(TIMEOUT)
        err.seek(0)
        results.append((rc, err.read()))
        err.close()
    assert sorted(rc for rc, _ in results) == [0, 1, 1, 1], results
    assert all("exists already" in err for rc, err in results if rc), results
    assert state(runc, "race")["status"] == "created"
    assert runc("delete", "--force", "race").returncode == 0


# ------------------------------------------------------------------ hooks


def bind_into_container(bundle, directory):
    """The host's directory at the same path in the container, read-write."""
    config = bundle.write()
    return bundle.write(mounts=config["mounts"] + [{"destination": directory, "type": "bind", "source": directory,
                                                     "options": ["rbind", "rw"]}])


# the container's hooks enter its init, which takes root (tests below)
HOOK_KINDS = ("prestart", "createRuntime", *(("createContainer", "startContainer") if IS_ROOT else ()),
              "poststart", "poststop")


def test_hooks_order_with_state_on_stdin(runc, bundle, hostdir):
    logdir = hostdir(0o777)
    log = os.path.join(logdir, "hooks.log")
    hook = lambda kind: {"path": "/bin/sh", "args": ["sh", "-c", f'{{ echo {kind}; cat; echo; }} >> {log}']}
    bind_into_container(bundle, logdir)
    bundle.write(["/bin/sh", "-c", "exit 0"], hooks={k: [hook(k)] for k in HOOK_KINDS})
    create(runc, bundle, "hooked")
    assert runc("start", "hooked").returncode == 0
    wait_status(runc, "hooked", "stopped")
    assert runc("delete", "hooked").returncode == 0
    with open(log) as f:
        lines = [line for line in f.read().splitlines() if line]
    kinds = lines[0::2]
    states = [json.loads(line) for line in lines[1::2]]
    assert kinds == list(HOOK_KINDS)
    assert all(s["id"] == "hooked" and s["bundle"] == os.path.realpath(bundle.path) for s in states)
    assert states[0]["pid"] > 0
    statuses = {"poststart": "running", "poststop": "stopped"}
    assert [s["status"] for s in states] == [statuses.get(k, "created") for k in kinds]


def test_start_and_delete_read_the_kept_config_only_for_their_hooks(runc, bundle, hostdir):
    """state.json says whether the config has startContainer, poststart or
    poststop hooks: start and delete read the config create kept only then,
    and always where state.json does not say (an earlier nslaunch's)."""
    bundle.write(["/bin/true"])
    create(runc, bundle, "plain")
    os.unlink(os.path.join(runc.root, "plain", "config.json"))
    assert runc("start", "plain").returncode == 0
    wait_status(runc, "plain", "stopped")
    cp = runc("delete", "plain")
    assert cp.returncode == 0 and not cp.stderr, cp.stderr

    log = os.path.join(hostdir(0o777), "hooks.log")
    bundle.write(["/bin/true"], hooks={"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", f"echo ran >> {log}"]}]})
    create(runc, bundle, "earlier")
    state_file = os.path.join(runc.root, "earlier", "state.json")
    with open(state_file) as f:
        saved = json.load(f)
    assert saved.pop("laterHooks") is True
    with open(state_file, "w") as f:
        json.dump(saved, f)
    assert runc("start", "earlier").returncode == 0
    wait_status(runc, "earlier", "stopped")
    assert runc("delete", "earlier").returncode == 0
    with open(log) as f:
        assert f.read() == "ran\n"

    # with such hooks and the kept config gone, delete still does its work:
    # no hook runs, the debug log says why, stderr nothing
    debug_log = os.path.join(hostdir(), "debug.log")
    hook = {"path": "/bin/sh", "args": ["sh", "-c", f"echo configless >> {log}"]}
    bundle.write(["/bin/true"], hooks={"poststop": [hook]})
    create(runc, bundle, "configless")
    assert runc("start", "configless").returncode == 0
    wait_status(runc, "configless", "stopped")
    os.unlink(os.path.join(runc.root, "configless", "config.json"))
    cp = runc("--debug", "--log", debug_log, "delete", "configless")
    assert cp.returncode == 0 and not cp.stderr, cp.stderr
    assert not os.path.exists(os.path.join(runc.root, "configless"))
    with open(debug_log) as f:
        assert "poststop: no hooks run: " in f.read()
    with open(log) as f:
        assert f.read() == "ran\n"


def test_create_hooks_read_the_status_state_reports(runc, bundle, hostdir):
    """create's hooks run once init waits for start: what they read on stdin
    is what `state` tells them at that moment ("created", as runtime-tools'
    hooks_stdin and crun have it)."""
    logdir = hostdir(0o777)
    log = os.path.join(logdir, "hooks.log")
    ask = f'{{ cat; echo; {runc.link} --root {runc.root} state told; echo; }} >> {log}'
    bundle.write(["/bin/true"], hooks={k: [{"path": "/bin/sh", "args": ["sh", "-c", ask]}]
                                       for k in ("prestart", "createRuntime")})
    create(runc, bundle, "told")
    with open(log) as f:
        text, told, decoder = f.read(), [], json.JSONDecoder()
    while text.strip():
        obj, end = decoder.raw_decode(text.lstrip())
        told.append(obj["status"])
        text = text.lstrip()[end:]
    assert told == ["created"] * 4, told


DEVICES_V1 = "/sys/fs/cgroup/devices"
FUSE = {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666, "uid": 0, "gid": 0}
OPENS = "for how in '<' '<>'; do for d in fuse null; do (eval \": $how /dev/$d\") 2>/dev/null && echo $d$how; done; done"


@pytest.mark.skipif(not IS_ROOT or not os.path.isfile(f"{DEVICES_V1}/devices.list") or not os.path.exists("/dev/fuse"),
                    reason="the v1 devices cgroup (root, a hybrid or v1 host) and a fuse driver to open")
def test_device_rules_go_to_the_devices_cgroup_in_order(runc, bundle):
    """linux.resources.devices in order, then the nodes every container
    has; a node the config lists is made but opens only as its rules say."""
    bundle.config["linux"]["devices"] = [FUSE]
    rules = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "r"},
             {"allow": True, "type": "b", "major": 8, "minor": 20, "access": "rw"}]
    bundle.config["linux"]["resources"] = {"devices": rules}
    bundle.write(["/bin/sh", "-c", OPENS + "; exec sleep 60"])
    create(runc, bundle, "devs")
    with open(f"{DEVICES_V1}/nslaunch-runc-devs/devices.list") as f:
        listed = f.read().splitlines()
    assert listed == ["c 10:229 r", "b 8:20 rw", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                      "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm"], listed
    assert runc("start", "devs").returncode == 0
    assert runc("delete", "--force", "devs").returncode == 0
    assert not os.path.exists(f"{DEVICES_V1}/nslaunch-runc-devs")

    bundle.write(["/bin/sh", "-c", OPENS])
    runc.ids.append("fuse-read")
    assert runc("run", "--bundle", bundle.path, "fuse-read").stdout.split() == ["fuse<", "null<", "null<>"]
    bundle.config["linux"]["resources"] = {"devices": rules[:1]}
    bundle.write()
    runc.ids.append("fuse-denied")
    assert runc("run", "--bundle", bundle.path, "fuse-denied").stdout.split() == ["null<", "null<>"]
    bundle.config["linux"].pop("resources")
    bundle.write()
    runc.ids.append("no-rules")
    assert runc("run", "--bundle", bundle.path, "no-rules").stdout.split() == ["fuse<", "null<", "fuse<>", "null<>"]


@pytest.mark.parametrize("rule, cause", [
    ({"type": "x"}, "expected type a (all), c or b"),
    ({"type": "c", "access": "rwx"}, "expected an access of r, w and m, each once"),
    ({"type": "c", "access": "rr"}, "expected an access of r, w and m, each once"),
    ({"type": "c", "major": -2}, "linux.resources.devices[0].major: expected an integer"),
    ({"type": "a", "access": "r"}, "a rule for all devices covers every number and access"),
])
def test_a_bad_device_rule_is_refused_naming_it(runc, bundle, rule, cause):
    bundle.config["linux"]["resources"] = {"devices": [{"allow": True, **rule}]}
    bundle.write()
    runc.ids.append("badrule")
    line = one_error_line(runc("create", "--bundle", bundle.path, "badrule"))
    assert "linux.resources.devices[0]" in line and cause in line, line


NAMESPACES = "for n in mnt pid net uts ipc user cgroup; do readlink /proc/self/ns/$n; done"


@pytest.mark.skipif(not IS_ROOT, reason="entering the container takes ptrace access to its init (root)")
def test_container_hooks_run_in_the_containers_namespaces(runc, bundle, hostdir):
    """createContainer and startContainer hooks (config.md) run in the
    container's namespaces as its root: the first's path is the runtime's
    (a script nowhere in the container), the second's the container's."""
    out = hostdir(0o777)
    runtime_only = hostdir(0o755)
    report = lambda name: f"{{ {NAMESPACES}; hostname; id -u; cat; }} > {out}/{name}"
    create_hook = os.path.join(runtime_only, "create-hook")
    with open(create_hook, "w") as f:
        f.write(f"#!/bin/sh\n{report('createContainer')}\n")
    os.chmod(create_hook, 0o755)
    config = bind_into_container(bundle, out)
    with open(os.path.join(config["root"]["path"], "start-hook"), "w") as f:
        f.write(f"#!/bin/sh\n{report('startContainer')}\n")
    os.chmod(os.path.join(config["root"]["path"], "start-hook"), 0o755)
    assert not os.path.exists("/start-hook")
    bundle.write(["/bin/sh", "-c", f"{{ {NAMESPACES}; }} > {out}/command"], hostname="hooked-host",
                 hooks={"createContainer": [{"path": create_hook}], "startContainer": [{"path": "/start-hook"}]})
    create(runc, bundle, "inside")
    assert runc("start", "inside").returncode == 0
    wait_status(runc, "inside", "stopped")
    assert runc("delete", "inside").returncode == 0
    with open(os.path.join(out, "command")) as f:
        container = f.read().split()
    runtime = [os.readlink(f"/proc/self/ns/{n}") for n in ("mnt", "pid", "net", "uts", "ipc", "user", "cgroup")]
    assert len(container) == 7 and not set(container) & set(runtime), container
    for kind, status in (("createContainer", "created"), ("startContainer", "created")):
        with open(os.path.join(out, kind)) as f:
            lines = f.read().splitlines()
        assert lines[:7] == container, (kind, lines)
        assert lines[7:9] == ["hooked-host", "0"], (kind, lines)
        assert json.loads(lines[9])["status"] == status, (kind, lines)


def hooks_writing_in(place):
    """A createRuntime hook that enters the container's mount namespace from
    the runtime's (as GPU hooks do) and writes place/from-runtime, and a
    createContainer hook, in that namespace already, that writes
    place/from-container."""
    env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    pid_of_state = "python3 -c 'import json, sys; print(json.load(sys.stdin)[\"pid\"])'"
    enter_and_write = f'nsenter -t "$({pid_of_state})" -m sh -c "echo runtime > {place}/from-runtime"'
    return {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", enter_and_write], "env": env}],
            "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", f"echo container > {place}/from-container"],
                                 "env": env}]}


@pytest.mark.skipif(not IS_ROOT, reason="entering the container takes ptrace access to its init (root)")
def test_create_hooks_find_the_root_at_root_path_before_pivot_root(runc, bundle):
    """Where runc runs them: the container's root built at root.path in its
    mount namespace, its mounts in place, not yet pivoted into. A
    createRuntime hook that enters that namespace from the runtime's (as GPU
    hooks do) and a createContainer hook, in it already, each write under
    root.path into the container's /run tmpfs (hooks_writing_in); the
    command reads both."""
    root = bundle.config["root"]["path"]
    config = bundle.config
    config["mounts"].append({"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]})
    bundle.write(["/bin/cat", "/run/from-runtime", "/run/from-container"], hooks=hooks_writing_in(f"{root}/run"))
    runc.ids.append("at-root-path")
    cp = runc("run", "--bundle", bundle.path, "at-root-path")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["runtime", "container"]
    assert not os.path.exists(os.path.join(root, "run", "from-runtime"))     # the host's tree is untouched


@pytest.mark.skipif(not IS_ROOT, reason="entering the container takes ptrace access to its init (root)")
def test_a_read_only_image_is_writable_to_create_hooks_only(runc, bundle):
    """root.readonly, as runc has it: the create hooks may write into the
    image (a GPU hook makes its mountpoints there), the command may not. A
    createRuntime hook entering the container's mount namespace and a
    createContainer hook in it each leave a file (hooks_writing_in); the
    command reads both and is refused a third."""
    config = bundle.config
    assert config["root"]["readonly"] is True
    root = config["root"]["path"]
    bundle.write(["/bin/sh", "-c", "cat /from-runtime /from-container; echo command > /from-command"],
                 hooks=hooks_writing_in(root))
    runc.ids.append("hooks-write-the-image")
    cp = runc("run", "--bundle", bundle.path, "hooks-write-the-image")
    assert cp.returncode != 0, cp.stdout
    assert cp.stdout.split() == ["runtime", "container"], (cp.stdout, cp.stderr)
    assert "Read-only file system" in cp.stderr, cp.stderr
    for name, text in (("from-runtime", "runtime\n"), ("from-container", "container\n")):
        with open(os.path.join(root, name)) as f:
            assert f.read() == text
    assert not os.path.exists(os.path.join(root, "from-command"))


@pytest.mark.skipif(IS_ROOT, reason="rootless: the container's init cannot be entered")
def test_container_hooks_refused_rootless_in_one_line(runc, bundle):
    bundle.write(hooks={"createContainer": [{"path": "/bin/true"}]})
    line = one_error_line(runc("create", "--bundle", bundle.path, "rootless-hook"))
    assert "hooks.createContainer[0]: /bin/true: cannot enter the container's namespaces" in line, line
    assert "not dumpable" in line, line
    assert runc("state", "rootless-hook").returncode == 1


# ------------------------------------------------------------------ exec


def test_failing_start_container_hook_stops_the_container(runc, bundle):
    bundle.write(hooks={"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]})
    create(runc, bundle, "badhook")
    line = one_error_line(runc("start", "badhook"))
    # rootless, the hook cannot enter the container: that fails start alike
    assert "startContainer" in line and ("status 3" if IS_ROOT else "not dumpable") in line, line
    assert wait_status(runc, "badhook", "stopped")["status"] == "stopped"
    assert runc("delete", "badhook").returncode == 0


def test_exec_in_a_running_container(runc, bundle):
    create(runc, bundle, "ex")
    assert runc("start", "ex").returncode == 0
    cp = runc("exec", "ex", "/bin/sh", "-c", "echo in-$(hostname); exit 5")
    assert cp.returncode == 5, cp.stderr
    assert cp.stdout == "in-nslaunch\n"
    cp = runc("exec", "--env", "X=42", "--cwd", "/etc", "ex", "/bin/sh", "-c", 'echo "$X $PWD"')
    assert cp.returncode == 0 and cp.stdout == "42 /etc\n", cp.stderr
    assert runc("delete", "--force", "ex").returncode == 0


def test_exec_is_confined_by_the_config_the_container_was_created_with(runc, bundle, hostdir):
    """An exec'd process gets the container's seccomp filter and no Landlock
    of nslaunch's own (a program outside /usr runs), and a config changed in
    the bundle after create reaches neither exec nor the hooks (runtime.md)."""
    tools = hostdir(0o755)
    shutil.copy("/bin/busybox", os.path.join(tools, "busybox"))
    marks = hostdir(0o777)
    config = bundle.write(["/bin/sleep", "30"])
    config["mounts"].append({"destination": "/run/tools", "type": "bind", "source": tools,
                             "options": ["rbind", "ro"]})
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                                  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
    config["hooks"] = {"poststart": [{"path": "/bin/sh", "args": ["sh", "-c", f"echo created > {marks}/poststart"]}]}
    bundle.write()
    create(runc, bundle, "confined")
    config.pop("hooks")
    config["linux"].pop("seccomp")
    bundle.write()
    assert runc("start", "confined").returncode == 0
    with open(os.path.join(marks, "poststart")) as f:
        assert f.read() == "created\n"
    cp = runc("exec", "confined", "/run/tools/busybox", "sh", "-c",
              "grep ^Seccomp: /proc/self/status; /run/tools/busybox mkdir /tmp/x 2>&1; true")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines()[0].split() == ["Seccomp:", "2"], cp.stdout
    assert "Operation not permitted" in cp.stdout, cp.stdout
    assert runc("delete", "--force", "confined").returncode == 0


@pytest.mark.parametrize("no_new_privileges", [False, True])
def test_no_new_privileges_of_the_config_and_of_exec(runc, bundle, no_new_privileges):
    """process.noNewPrivileges reaches the command and, unless exec says
    --no-new-privs, an exec'd process; the filter applies either way and no
    capability comes with it."""
    config = bundle.write(["/bin/sleep", "30"])
    config["process"]["noNewPrivileges"] = no_new_privileges
    config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
    bundle.write()
    cid = f"nnp{int(no_new_privileges)}"
    create(runc, bundle, cid)
    assert runc("start", cid).returncode == 0
    script = "grep -E '^(NoNewPrivs|Seccomp|CapEff|CapPrm|CapBnd):' /proc/self/status"
    for opts, nnp in (([], no_new_privileges), (["--no-new-privs"], True)):
        cp = runc("exec", *opts, cid, "/bin/sh", "-c", script)
        assert cp.returncode == 0, cp.stderr
        st = dict(line.split(":\t") for line in cp.stdout.splitlines())
        assert st["NoNewPrivs"] == str(int(nnp)), (opts, cp.stdout)
        assert st["Seccomp"] == "2", cp.stdout
        # what the config's process asks for, in every set, and never CAP_SYS_ADMIN
        assert st["CapEff"] == st["CapPrm"] == st["CapBnd"] != "0000000000000000", cp.stdout
        assert not int(st["CapEff"], 16) & (1 << 21), cp.stdout
    assert runc("delete", "--force", cid).returncode == 0


def test_exec_process_file_and_detach(runc, bundle, hostdir):
    create(runc, bundle, "exproc")
    assert runc("start", "exproc").returncode == 0
    proc = os.path.join(hostdir(), "process.json")
    with open(proc, "w") as f:
        json.dump({"args": ["/bin/sh", "-c", "echo $((6*7)) $(id -u); exit 9"], "cwd": "/",
                   "env": ["PATH=/usr/bin:/bin"], "user": {"uid": 0, "gid": 0}}, f)
    cp = runc("exec", "--process", proc, "exproc")
    assert cp.returncode == 9 and cp.stdout == "42 0\n", cp.stderr
    # from a pipe, as a shell's <(...) gives it (runc's suite does)
    cp = subprocess.run(["/bin/bash", "-c", 'exec "$@" -p <(cat "$0") exproc', proc, runc.link, "--root", runc.root,
                         "exec"], capture_output=True, text=True, timeout=TIMEOUT)
    assert cp.returncode == 9 and cp.stdout == "42 0\n", cp.stderr
    pid_file = os.path.join(hostdir(), "exec.pid")
    cp = runc("exec", "--detach", "--pid-file", pid_file, "exproc", "/bin/sleep", "30")
    assert cp.returncode == 0, cp.stderr
    with open(pid_file) as f:
        exec_pid = int(f.read())
    assert exec_pid in json.loads(runc("ps", "--format", "json", "exproc").stdout)
    assert delete_reaping(runc, "exproc", exec_pid) == 0


def test_debug_log(runc, hostdir):
    log = os.path.join(hostdir(), "debug.log")
    assert runc("--debug", "--log", log, "list").returncode == 0
    with open(log) as f:
        assert "level=debug" in f.read()


def test_create_reports_the_sandboxs_own_error(runc, bundle, hostdir):
    """A set-up step that fails inside the sandbox (here, a sysctl the kernel
    refuses) is what create says, not the consequence (a gone sandbox); the
    state and the pid file, written while init worked, are not left."""
    config = bundle.write()
    config["linux"]["sysctl"] = {"kernel.shmmax": "not-a-number"}
    bundle.write()
    runc.ids.append("badsysctl")
    pid_dir = hostdir()
    line = one_error_line(runc("create", "--bundle", bundle.path, "--pid-file", f"{pid_dir}/pid", "badsysctl"))
    assert "kernel.shmmax" in line and "gone" not in line, line
    assert runc("state", "badsysctl").returncode != 0
    assert os.listdir(pid_dir) == [] and os.listdir(runc.root) == []


def test_exec_into_a_created_container(runc, bundle):
    """As runc's (its create.bats "runc create exec"): the process joins
    the container as create built it, its root, hostname and namespaces,
    while init waits for start; the container stays created, and start
    then runs the command. Rootless, init is nslaunch's until start, and a
    plain user cannot enter it (not dumpable), as with a container whose
    pid 1 stays nslaunch's init (docs/oci.md)."""
    root = bundle.config["root"]["path"]
    with open(os.path.join(root, "in-the-image"), "w") as f:
        f.write("image\n")
    bundle.write(["/bin/sh", "-c", "exit 7"], hostname="made-by-create")
    create(runc, bundle, "early")
    cp = runc("exec", "early", "/bin/sh", "-c",
              "cat /in-the-image /proc/sys/kernel/hostname; readlink /proc/self/ns/pid /proc/self/ns/mnt")
    if not IS_ROOT:
        assert "not dumpable" in one_error_line(cp, status=255)
        return
    assert cp.returncode == 0, cp.stderr
    init = state(runc, "early")["pid"]
    namespaces = [os.readlink(f"/proc/{init}/ns/{ns}") for ns in ("pid", "mnt")]
    assert cp.stdout.split() == ["image", "made-by-create", *namespaces], cp.stdout
    assert state(runc, "early")["status"] == "created"
    assert runc("start", "early").returncode == 0
    assert wait_status(runc, "early", "stopped")["status"] == "stopped"


@pytest.mark.skipif(not IS_ROOT, reason="exec into a created container needs root (its init is not dumpable)")
def test_exec_refused_while_create_still_builds(runc, bundle, hostdir):
    """create's hooks run with state.json saying created, while init waits
    before pivot_root (where runc runs them): an exec from a createRuntime
    hook must not join a half-built mount namespace, and is refused in one
    line (255, as runc's: a process that exits 1 is not exec failing); once
    create has returned, exec joins."""
    out = hostdir()
    exec_early = (f'"{runc.link}" --root "{runc.root}" exec half-built /bin/true 2>"{out}/stderr"; '
                  f'echo $? >"{out}/status"')
    bundle.write(hooks={"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", exec_early],
                                           "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}]})
    create(runc, bundle, "half-built")
    with open(os.path.join(out, "status")) as f:
        assert f.read().strip() == "255"
    with open(os.path.join(out, "stderr")) as f:
        text = f.read()
    assert text.startswith("nslaunch-runc: ") and "not running" in text and text.count("\n") == 1, text
    cp = runc("exec", "half-built", "/bin/true")
    assert cp.returncode == 0, cp.stderr


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
@pytest.mark.parametrize("how", ["start", "run --detach"])
def test_exec_right_after_start_finds_the_command_running(runc, bundle, how):
    """start (and run --detach) return once the command has reached its
    execve, as an engine's exec right after them expects. The container's
    cgroup gets 1% of a CPU, so init's last stages after the start byte take
    far longer than start's own return whenever the quota is spent (five
    rounds: without the wait, most of them failed here). The exec runs at
    1% too: in an emulated VM guest its 100-200 ms of CPU took up to 19 s."""
    linux = bundle.config["linux"]
    linux.setdefault("resources", {})["cpu"] = {"quota": 1000, "period": 100000}
    bundle.write(linux=linux)
    for round in range(5):
        cid = f"soon-{how.split()[0]}-{round}"
        if how == "start":
            create(runc, bundle, cid)
            assert runc("start", cid).returncode == 0
        else:
            runc.ids.append(cid)
            assert runc("run", "--detach", "--bundle", bundle.path, cid).returncode == 0
        cp = runc("exec", cid, "/bin/true", timeout=120)
        assert cp.returncode == 0, (round, cp.stderr)
        assert state(runc, cid)["status"] == "running"
        assert runc("delete", "--force", cid).returncode == 0


def own_cgroup_dirs(pid):
    """Where the container whose init is pid has a cgroup of its own (not
    this process's): controllers ("" for cgroup2) -> the host's directory."""
    with open("/proc/self/cgroup") as f:
        mine = dict(line.split(":", 2)[1:] for line in f.read().splitlines())
    dirs = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f.read().splitlines():
            _, controllers, path = line.split(":", 2)
            if mine.get(controllers) == path:
                continue
            if controllers:
                root = "/sys/fs/cgroup/" + controllers.replace("name=", "")
            else:
                root = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
            dirs[controllers] = root + path
    return dirs


def make_cgroup_below(parent, name):
    os.mkdir(os.path.join(parent, name))
    for f in ("cpuset.cpus", "cpuset.mems"):    # v1: a new cpuset takes no task until filled
        if os.path.exists(os.path.join(parent, name, f)) and "cgroup.clone_children" in os.listdir(parent):
            with open(os.path.join(parent, f)) as src, open(os.path.join(parent, name, f), "w") as dst:
                dst.write(src.read())


def cgroups_seen_inside(output):
    return dict(line.split(":", 2)[1:] for line in output.splitlines())


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_exec_cgroup_puts_the_process_below_the_containers_cgroup(runc, bundle):
    """exec --cgroup PATH (every hierarchy of the container's) or
    CONTROLLER[,CONTROLLER]:PATH (cgroup v1) puts the process in an existing
    cgroup below the container's, as runc's does; the container's cgroup
    namespace shows it as /PATH. A path out of it, a cgroup that does not
    exist and a controller the container has no hierarchy of are refused,
    each in one line naming it; delete removes what was made below."""
    create(runc, bundle, "below")
    assert runc("start", "below").returncode == 0
    dirs = own_cgroup_dirs(state(runc, "below")["pid"])
    assert dirs, "the container has no cgroup of its own"
    for d in dirs.values():
        make_cgroup_below(d, "sub")
    cp = runc("exec", "--cgroup", "sub", "below", "cat", "/proc/self/cgroup")
    assert cp.returncode == 0, cp.stderr
    seen = cgroups_seen_inside(cp.stdout)
    assert {c: seen[c] for c in dirs} == {c: "/sub" for c in dirs}, cp.stdout
    cp = runc("exec", "below", "cat", "/proc/self/cgroup")
    assert {c: cgroups_seen_inside(cp.stdout)[c] for c in dirs} == {c: "/" for c in dirs}, cp.stdout
    v1 = [c for c in dirs if c and not c.startswith("name=")]
    if v1:
        named, others = v1[0], [c for c in dirs if c != v1[0]]
        cp = runc("exec", "--cgroup", f"{named.split(',')[0]}:sub", "below", "cat", "/proc/self/cgroup")
        assert cp.returncode == 0, cp.stderr
        seen = cgroups_seen_inside(cp.stdout)
        assert seen[named] == "/sub" and all(seen[c] == "/" for c in others), cp.stdout
    line = one_error_line(runc("exec", "--cgroup", "..", "below", "true"), 255)
    assert "--cgroup: ..: not a path below the container's cgroup" in line, line
    line = one_error_line(runc("exec", "--cgroup", "nowhere", "below", "true"), 255)
    assert "/nowhere/cgroup.procs" in line and "No such file or directory" in line, line
    line = one_error_line(runc("exec", "--cgroup", "whaaat:/", "below", "true"), 255)
    assert "--cgroup: whaaat:: unknown controller" in line, line
    assert runc("delete", "--force", "below").returncode == 0
    assert [d for d in dirs.values() if os.path.exists(d)] == []


@pytest.mark.skipif(IS_ROOT, reason="rootless: a container without a cgroup of its own")
def test_exec_cgroup_is_refused_where_the_container_has_no_cgroup(runc, bundle):
    """A rootless container has no cgroup here (the tree is root's): there
    is nothing of the container's to go below, and exec --cgroup says so
    in one line instead of running the process in the caller's cgroup."""
    create(runc, bundle, "nocg")
    assert runc("start", "nocg").returncode == 0
    line = one_error_line(runc("exec", "--cgroup", "sub", "nocg", "true"), 255)
    assert "--cgroup: sub: the container has no cgroup of its own" in line, line
    assert runc("exec", "nocg", "true").returncode == 0


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_the_default_cgroups_are_each_containers_own_at_the_top_and_go_with_it(runc, bundle):
    """The default cgroups are /nslaunch-runc-ID in every hierarchy, one
    container's each, with no parent shared by others: made by create,
    removed by delete, and none left by a create that fails."""
    def made(cid):
        return [h for h in cgroup_hierarchies() if os.path.isdir(os.path.join(h, "nslaunch-runc-" + cid))]

    create(runc, bundle, "first")
    create(runc, bundle, "second")
    assert made("first") and made("first") == made("second")
    assert not any(os.path.exists(os.path.join(h, "nslaunch-runc")) for h in cgroup_hierarchies())
    assert runc("delete", "--force", "first").returncode == 0
    assert made("first") == [] and made("second")
    assert runc("delete", "--force", "second").returncode == 0
    assert made("second") == []
    bundle.write(hooks={"createRuntime": [{"path": "/bin/false"}]})
    runc.ids.append("broken")
    assert runc("create", "--bundle", bundle.path, "broken").returncode != 0
    assert made("broken") == []


def start_held_to_a_sliver_of_cpu(runc, bundle, path, pid_ns):
    """Container "sliver" at cgroup path: 200 processes, then 1 ms of CPU a
    second for them."""
    linux = dict(bundle.config["linux"], cgroupsPath=path)
    if pid_ns != "own":
        linux["namespaces"] = [ns for ns in linux["namespaces"] if ns["type"] != "pid"]
    bundle.write(["/bin/sh", "-c", "for i in $(seq 200); do sleep 1000 & done; exec sleep 1000"], linux=linux)
    create(runc, bundle, "sliver")
    assert runc("start", "sliver").returncode == 0
    deadline = time.monotonic() + 60
    while len(json.loads(runc("ps", "--format", "json", "sliver").stdout)) < 201:
        assert time.monotonic() < deadline, "the 200 processes did not start"
        time.sleep(0.05)
    cp = runc("update", "--cpu-period", "1000000", "--cpu-quota", "1000", "sliver")
    assert cp.returncode == 0, cp.stderr


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
@pytest.mark.parametrize("pid_ns", ["own", "host's"])
def test_delete_force_ends_a_container_held_to_a_sliver_of_cpu(runc, bundle, cgroup_top, pid_ns):
    """A killed process needs CPU time to end: at 1 ms of CPU a second, 200
    processes took longer to end than delete waits, and delete failed with
    its cgroup left. Now delete lifts their quota as it kills."""
    path = f"{cgroup_top}/sliver"
    start_held_to_a_sliver_of_cpu(runc, bundle, path, pid_ns)
    cp = runc("delete", "--force", "sliver", timeout=60)
    assert cp.returncode == 0, cp.stderr
    assert [h for h in cgroup_hierarchies() if os.path.exists(h + path)] == []


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
@pytest.mark.parametrize("pid_ns, kill", [("own", ["KILL"]), ("host's", ["--all", "KILL"])])
def test_kill_ends_a_container_held_to_a_sliver_of_cpu_at_once(runc, bundle, cgroup_top, pid_ns, kill):
    """The same for kill, which an engine's stop sends before it waits for
    the container's end: without the quota lifted, the 200 took minutes."""
    path = f"{cgroup_top}/sliver"
    start_held_to_a_sliver_of_cpu(runc, bundle, path, pid_ns)
    procs = [f"{h}{path}/cgroup.procs" for h in cgroup_hierarchies() if os.path.isdir(h + path)]
    assert runc("kill", *kill[:-1], "sliver", kill[-1]).returncode == 0
    deadline = time.monotonic() + 5
    while any(open(f).read() for f in procs):
        assert time.monotonic() < deadline, "the container's processes did not end"
        time.sleep(0.05)
    assert state(runc, "sliver")["status"] == "stopped"


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_kill_lifts_the_cpu_quota_as_it_kills_the_container(runc, bundle, cgroup_top):
    """What the two tests above measure, at the cgroup's own file, v1's or
    v2's (the kernel matrix runs this one in its cgroup v2 guests, where the
    200 processes take long to start and end at any quota)."""
    path = f"{cgroup_top}/lift"
    bundle.write(linux=dict(bundle.config["linux"], cgroupsPath=path))
    create(runc, bundle, "lift")
    assert runc("start", "lift").returncode == 0
    assert runc("update", "--cpu-period", "1000000", "--cpu-quota", "1000", "lift").returncode == 0
    v1 = f"/sys/fs/cgroup/cpu{path}/cpu.cfs_quota_us"
    quota = v1 if os.path.exists(v1) else f"/sys/fs/cgroup{path}/cpu.max"
    assert open(quota).read().split()[0] == "1000"
    assert runc("kill", "lift", "KILL").returncode == 0
    assert open(quota).read().split()[0] in ("-1", "max")


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_delete_removes_the_parents_create_made_for_a_relative_path(runc, bundle):
    """A relative cgroupsPath is under /nslaunch: delete removes the
    container's cgroup and the parents below /nslaunch once empty (a
    sibling's keeps them), whether the container was started or not."""
    hierarchies = cgroup_hierarchies()
    top = f"nsl-rel-{os.getpid()}"
    had_parent = {h: os.path.isdir(os.path.join(h, "nslaunch")) for h in hierarchies}
    linux = bundle.config["linux"]
    for cid in ("one", "two"):
        bundle.write(linux=dict(linux, cgroupsPath=f"{top}/deeper/{cid}"))
        create(runc, bundle, cid)
    made = [h for h in hierarchies if os.path.isdir(os.path.join(h, "nslaunch", top, "deeper", "one"))]
    assert made, "no cgroup made under /nslaunch"
    assert runc("start", "one").returncode == 0
    assert runc("delete", "--force", "one").returncode == 0
    assert all(os.path.isdir(os.path.join(h, "nslaunch", top, "deeper", "two")) for h in made)
    assert not any(os.path.exists(os.path.join(h, "nslaunch", top, "deeper", "one")) for h in made)
    assert runc("delete", "--force", "two").returncode == 0
    assert not any(os.path.exists(os.path.join(h, "nslaunch", top)) for h in hierarchies)
    for h in made:
        if not had_parent[h]:
            os.rmdir(os.path.join(h, "nslaunch"))


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_creates_beside_deletes_all_succeed_and_leave_no_cgroup(runc, bundle):
    """Creates and deletes at the same time, as an engine starts and
    removes containers concurrently: all succeed, and leave no cgroup."""
    failures = []

    def churn(worker):
        for round in range(8):
            cid = f"churn-{worker}-{round}"
            runc.ids.append(cid)
            for cp in (runc("create", "--bundle", bundle.path, cid), runc("delete", "--force", cid)):
                if cp.returncode != 0:
                    failures.append(cp.stderr)

    workers = [threading.Thread(target=churn, args=(w,)) for w in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    assert not [d for h in cgroup_hierarchies() if os.path.isdir(h)
                for d in os.listdir(h) if d.startswith("nslaunch-runc")]


@pytest.mark.skipif(not IS_ROOT, reason="joining namespaces needs root")
def test_a_pods_ipc_and_uts_namespaces_are_joined_by_path(runc, bundle):
    """linux.namespaces[].path for ipc and uts, as podman and containerd
    hand a pod's shared namespaces over (mount stays refused)."""
    holder = subprocess.Popen(["unshare", "--ipc", "--uts", "sh", "-c", "hostname pod && echo ready && exec sleep 60"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n"
        linux = bundle.config["linux"]
        for ns in linux["namespaces"]:
            if ns["type"] in ("ipc", "uts"):
                ns["path"] = f"/proc/{holder.pid}/ns/{ns['type']}"
        bundle.config.pop("hostname", None)
        bundle.write(["/bin/sh", "-c", "readlink /proc/self/ns/ipc /proc/self/ns/uts; hostname"], linux=linux)
        runc.ids.append("inpod")
        cp = runc("run", "--bundle", bundle.path, "inpod")
        assert cp.returncode == 0, cp.stderr
        assert cp.stdout.split() == [os.readlink(f"/proc/{holder.pid}/ns/ipc"),
                                     os.readlink(f"/proc/{holder.pid}/ns/uts"), "pod"]
    finally:
        holder.kill()
        holder.wait()



def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def without_pid_namespace(bundle, args):
    linux = bundle.config["linux"]
    linux["namespaces"] = [ns for ns in linux["namespaces"] if ns["type"] != "pid"]
    bundle.write(args, linux=linux)


@pytest.mark.skipif(not IS_ROOT, reason="joining namespaces needs root")
def test_a_pods_pid_namespace_is_joined_by_path(runc, bundle, pid_ns_holder):
    """A pid namespace given by path (a pod's, shared between its
    containers): the container's processes are born there, its /proc is
    that namespace's, and what the command leaves behind ends with it, as
    it would with a namespace of its own."""
    target, link = pid_ns_holder
    linux = bundle.config["linux"]
    for ns in linux["namespaces"]:
        if ns["type"] == "pid":
            ns["path"] = target
    # a sysctl: init may make no procfs of this namespace to write it through
    linux["sysctl"] = {"net.ipv4.ip_unprivileged_port_start": "80"}
    bundle.write(["/bin/sh", "-c", "readlink /proc/self/ns/pid; cat /proc/1/comm; "
                  "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; sleep 1000 & echo $!"], linux=linux)
    host_port_start = open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read()
    runc.ids.append("inpod")
    cp = runc("run", "--bundle", bundle.path, "inpod")
    assert cp.returncode == 0, cp.stderr
    ns, first, port_start, _ = cp.stdout.split()
    assert (ns, first) == (link, "sleep")       # the pod's pid 1 is the holder's sleep
    assert port_start == "80" and open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read() == host_port_start
    assert len(pids_in_pid_ns(link)) == 1, "the background sleep outlived it"

    create(runc, bundle, "inpod-created")
    init = state(runc, "inpod-created")["pid"]
    assert os.readlink(f"/proc/{init}/ns/pid") == link


@pytest.mark.skipif(not IS_ROOT, reason="the host's pid namespace is joined, which needs root")
def test_without_a_pid_namespace_the_container_has_the_hosts(runc, bundle):
    """No pid namespace listed: the runtime's own (docker run --pid=host).
    ps and kill --all then take the container's cgroup, never the
    namespace's other processes: a process of the test's own, started
    beside it, is neither listed nor signalled."""
    without_pid_namespace(bundle, ["/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait"])
    sentinel = subprocess.Popen(["sleep", "1000"])
    try:
        create(runc, bundle, "hostpid")
        init = state(runc, "hostpid")["pid"]
        assert os.readlink(f"/proc/{init}/ns/pid") == os.readlink("/proc/self/ns/pid")
        assert runc("start", "hostpid").returncode == 0
        deadline = time.monotonic() + 5
        while True:
            cp = runc("ps", "--format", "json", "hostpid")
            assert cp.returncode == 0, cp.stderr
            listed = json.loads(cp.stdout)
            if len(listed) == 4 or time.monotonic() > deadline:    # init, sh, two sleeps
                break
            time.sleep(0.05)
        assert len(listed) == 4 and listed[0] == init, listed
        assert sentinel.pid not in listed and 1 not in listed and os.getpid() not in listed

        assert runc("kill", "--all", "hostpid", "TERM").returncode == 0
        assert wait_status(runc, "hostpid", "stopped")["status"] == "stopped"
        assert not any(alive(pid) for pid in listed)
        assert sentinel.poll() is None, "kill --all reached a process outside the container"
    finally:
        sentinel.kill()
        sentinel.wait()


@pytest.mark.skipif(not IS_ROOT, reason="the host's pid namespace is joined, which needs root")
def test_init_is_named_as_built_only_while_it_waits_for_start(runc, bundle):
    """Without a pid namespace nslaunch's init stays, the command's parent:
    named nslaunch/init (exec's proof that the container is built) only
    while it waits for start; once started it takes its name back, and
    exec's proof is the command's execve, as in a container never created
    apart (after the command has ended, exec is refused)."""
    without_pid_namespace(bundle, ["/bin/sleep", "60"])
    create(runc, bundle, "named")
    init = state(runc, "named")["pid"]
    comm = lambda: open(f"/proc/{init}/comm").read().strip()
    assert comm() == "nslaunch/init"
    assert runc("exec", "named", "/bin/true").returncode == 0
    assert runc("start", "named").returncode == 0
    assert comm() == "nslaunch-runc"
    assert runc("exec", "named", "/bin/true").returncode == 0


@pytest.mark.skipif(not IS_ROOT, reason="the host's namespaces are joined, which needs root")
def test_without_ipc_and_uts_namespaces_the_container_has_the_hosts(runc, bundle):
    """docker run --ipc=host --uts=host: no IPC or UTS namespace listed
    (nor a hostname): the runtime's own, joined, and left as they are."""
    linux = bundle.config["linux"]
    linux["namespaces"] = [ns for ns in linux["namespaces"] if ns["type"] not in ("ipc", "uts")]
    bundle.config.pop("hostname", None)
    bundle.write(["/bin/sh", "-c", "readlink /proc/self/ns/ipc /proc/self/ns/uts; hostname"], linux=linux)
    runc.ids.append("hostipcuts")
    cp = runc("run", "--bundle", bundle.path, "hostipcuts")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == [os.readlink("/proc/self/ns/ipc"), os.readlink("/proc/self/ns/uts"),
                                 socket.gethostname()]


@pytest.mark.skipif(not IS_ROOT, reason="the host's pid namespace is joined, which needs root")
def test_delete_ends_what_a_killed_init_left_in_a_shared_pid_namespace(runc, bundle):
    """A pid namespace the container shares does not end with its init: a
    SIGKILLed init takes the command with it (its parent-death signal), and
    delete ends the rest, through the cgroup."""
    without_pid_namespace(bundle, ["/bin/sh", "-c", "sleep 1000 & exec sleep 999"])
    create(runc, bundle, "orphans")
    init = state(runc, "orphans")["pid"]
    assert runc("start", "orphans").returncode == 0
    deadline = time.monotonic() + 5
    while len(listed := json.loads(runc("ps", "--format", "json", "orphans").stdout)) < 3:
        assert time.monotonic() < deadline, listed
        time.sleep(0.05)
    os.kill(init, signal.SIGKILL)
    assert wait_status(runc, "orphans", "stopped")["status"] == "stopped"
    command, left = None, []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        cmdlines = {pid: open(f"/proc/{pid}/cmdline").read() if alive(pid) else None for pid in listed[1:]}
        left = [pid for pid, cmd in cmdlines.items() if cmd and "1000" in cmd]
        command = [pid for pid, cmd in cmdlines.items() if cmd and "999" in cmd]
        if not command:
            break
        time.sleep(0.05)
    assert command == [], "the command outlived init"
    assert len(left) == 1, "the background sleep should be left for delete"
    assert runc("delete", "orphans").returncode == 0
    runc.ids.remove("orphans")
    deadline = time.monotonic() + 5
    while alive(left[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(left[0])


# ------------------------------------------------------------------ pause


@pytest.mark.skipif(not IS_ROOT, reason="the cgroup freezer needs a cgroup nslaunch can make: root only here")
def test_pause_resume(runc, bundle):
    create(runc, bundle, "frozen")
    assert runc("start", "frozen").returncode == 0
    cp = runc("pause", "frozen")
    assert cp.returncode == 0, cp.stderr
    assert state(runc, "frozen")["status"] == "paused"
    cp = runc("resume", "frozen")
    assert cp.returncode == 0, cp.stderr
    assert state(runc, "frozen")["status"] == "running"
    assert runc("delete", "--force", "frozen").returncode == 0


@pytest.mark.skipif(not IS_ROOT, reason="the cgroup freezer needs a cgroup nslaunch can make: root only here")
def test_exec_into_a_paused_container_only_with_ignore_paused(runc, bundle):
    """Refused, saying how; with --ignore-paused the process starts frozen
    with the container and runs at resume (runc's suite does this)."""
    create(runc, bundle, "pausedexec")
    assert runc("start", "pausedexec").returncode == 0
    assert runc("pause", "pausedexec").returncode == 0
    line = one_error_line(runc("exec", "pausedexec", "/bin/echo", "ok"), status=255)
    assert line.endswith("the container is paused, not running (--ignore-paused starts the process frozen with it)")
    p = subprocess.Popen([runc.link, "--root", runc.root, "exec", "--ignore-paused", "pausedexec", "/bin/echo", "ok"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        assert p.poll() is None, p.communicate()
        assert runc("resume", "pausedexec").returncode == 0
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0 and out == "ok\n", err
    finally:
        p.kill()
        p.wait()
    assert runc("delete", "--force", "pausedexec").returncode == 0


@pytest.mark.skipif(not IS_ROOT, reason="uid 1000 and groups 100 and 65534 are mapped in root's containers only")
def test_exec_additional_gids(runc, bundle):
    """--additional-gids (-g): added to the process's groups, as runc adds them."""
    create(runc, bundle, "gids")
    assert runc("start", "gids").returncode == 0
    cp = runc("exec", "--user", "1000:1000", "--additional-gids", "100", "-g", "65534", "gids", "/usr/bin/id", "-G")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split() == ["1000", "100", "65534"], cp.stdout
    line = one_error_line(runc("exec", "--additional-gids", "-5", "gids", "/bin/true"), status=255)
    assert line.endswith("--additional-gids: -5: expected a group id"), line
    assert runc("delete", "--force", "gids").returncode == 0


@pytest.mark.skipif(not IS_ROOT, reason="the cgroup freezer needs a cgroup nslaunch can make: root only here")
def test_delete_force_of_a_paused_container(runc, bundle):
    """The SIGKILL waits for the thaw: delete --force thaws after it."""
    bundle.write(["/bin/sleep", "60"])
    create(runc, bundle, "pausedkill")
    assert runc("start", "pausedkill").returncode == 0
    pid = state(runc, "pausedkill")["pid"]
    assert runc("pause", "pausedkill").returncode == 0
    assert state(runc, "pausedkill")["status"] == "paused"
    cp = runc("delete", "--force", "pausedkill")
    assert cp.returncode == 0, cp.stderr
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z"
    assert not os.path.exists(os.path.join(runc.root, "pausedkill"))


def cgroups_of(pid):
    """/proc/PID/cgroup as {hierarchy's controllers ("" for cgroup2): path}."""
    with open(f"/proc/{pid}/cgroup") as f:
        return dict(line.rstrip("\n").split(":", 2)[1:] for line in f)


HYBRID = os.path.isdir("/sys/fs/cgroup/unified/") and os.path.isdir("/sys/fs/cgroup/memory/")


@pytest.mark.skipif(not IS_ROOT or not HYBRID, reason="a hybrid host's cgroups, root's")
def test_a_hybrid_hosts_container_is_at_its_path_in_every_hierarchy(runc, bundle, hostdir, cgroup_top):
    """As runc's: the controllers are in v1, yet the container is also at
    its path in the controller-less cgroup2 beside (where systemd tracks
    processes) and in name=systemd; exec joins it there, ps and pause see
    every process, and delete removes it from each."""
    path = f"{cgroup_top}/ct"
    bundle.config["linux"]["cgroupsPath"] = path
    bundle.write()
    create(runc, bundle, "hybrid")
    init = state(runc, "hybrid")["pid"]
    where = cgroups_of(init)
    assert where[""] == path and where["name=systemd"] == path and where["memory"] == path, where
    assert runc("start", "hybrid").returncode == 0
    pid_file = os.path.join(hostdir(), "exec.pid")
    cp = runc("exec", "--detach", "--pid-file", pid_file, "hybrid", "/bin/sleep", "30")
    assert cp.returncode == 0, cp.stderr
    with open(pid_file) as f:
        joined = int(f.read())
    assert cgroups_of(joined) == where
    with open(f"/sys/fs/cgroup/unified{path}/cgroup.procs") as f:
        assert sorted(int(p) for p in f.read().split()) == sorted([init, joined])
    assert sorted(json.loads(runc("ps", "--format", "json", "hybrid").stdout)) == sorted([init, joined])
    assert runc("pause", "hybrid").returncode == 0
    with open(f"/sys/fs/cgroup/freezer{path}/freezer.state") as f:
        assert f.read().strip() == "FROZEN"
    assert runc("resume", "hybrid").returncode == 0
    assert delete_reaping(runc, "hybrid", joined) == 0
    assert [h for h in cgroup_hierarchies() if os.path.exists(h + path)] == []


V1_HOST = os.path.isdir("/sys/fs/cgroup/memory/")


@pytest.mark.skipif(not IS_ROOT or not V1_HOST, reason="a host whose controllers are in cgroup v1, root's cgroups")
def test_a_v1_hosts_cgroup_mount_shows_the_containers_own_hierarchies(runc, bundle, cgroup_top):
    """As runc's and crun's: where the controllers are in v1, the config's
    cgroup mount is a tmpfs of the hierarchies the container has a cgroup
    of its own in, each rooted there (software finds its limits at
    /sys/fs/cgroup/memory/memory.limit_in_bytes), read-only; none it has no
    cgroup in (their roots would be its caller's)."""
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = f"{cgroup_top}/ct"
    linux["resources"] = dict(linux.get("resources", {}), memory={"limit": 64 << 20}, pids={"limit": 50},
                              cpu={"quota": 20000, "period": 100000})
    bundle.write(["/bin/sh", "-c",
                  "cd /sys/fs/cgroup && echo *; cat memory/memory.limit_in_bytes pids/pids.max cpu/cpu.cfs_quota_us; "
                  "cat memory/tasks | wc -l; cat /proc/self/cgroup | cut -d: -f3 | sort -u; "
                  "grep ' /sys/fs/cgroup' /proc/self/mountinfo | cut -d' ' -f5,6,9; "
                  "mkdir memory/x 2>&1; touch x 2>&1; ls unified/cgroup.procs"])
    cp = runc("run", "--bundle", bundle.path, "v1mount")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    own = sorted(h for h in ("blkio", "cpu", "cpuset", "devices", "freezer", "memory", "pids", "systemd")
                 if os.path.isdir(f"/sys/fs/cgroup/{h}"))
    assert lines[0].split() == sorted(own + (["unified"] if HYBRID else [])), lines
    assert lines[1:4] == [str(64 << 20), "50", "20000"], lines
    assert int(lines[4]) >= 1, lines
    assert lines[5] == "/", lines       # its cgroup namespace's root, in every hierarchy
    mounts = [line.split() for line in lines[6:6 + len(own) + 1 + HYBRID]]
    assert mounts[0] == ["/sys/fs/cgroup", "ro,nosuid,nodev,noexec,relatime", "tmpfs"], mounts
    assert sorted(m[0] for m in mounts[1:]) == sorted(f"/sys/fs/cgroup/{h}" for h in own + ["unified"][:HYBRID])
    assert all(m[1].startswith("ro,nosuid,nodev,noexec") and m[2] in ("cgroup", "cgroup2") for m in mounts[1:]), mounts
    rest = lines[6 + len(mounts):]
    assert "Read-only file system" in rest[0] and "Read-only file system" in rest[1], rest
    assert rest[2:] == (["unified/cgroup.procs"] if HYBRID else []), rest


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_create_in_a_frozen_cgroup_is_refused(runc, bundle):
    """init would wait in it, and create with it, for ever: one line, and
    the cgroup, which is not create's, is left as it was."""
    name = f"nsl-frozen-{os.getpid()}"
    v1 = "/sys/fs/cgroup/freezer"
    parent = os.path.join(v1, name) if os.path.isdir(v1) else os.path.join("/sys/fs/cgroup", name)
    os.mkdir(parent)
    try:
        with open(os.path.join(parent, "freezer.state" if parent.startswith(v1) else "cgroup.freeze"), "w") as f:
            f.write("FROZEN" if parent.startswith(v1) else "1")
        bundle.config["linux"]["cgroupsPath"] = f"/{name}/ct"
        bundle.write()
        runc.ids.append("infrozen")
        cp = subprocess.run([runc.link, "--root", runc.root, "create", "--bundle", bundle.path, "infrozen"],
                            capture_output=True, text=True, timeout=TIMEOUT)
        assert cp.returncode == 1, cp.stderr
        assert cp.stderr == f"nslaunch-runc: cgroup: {parent}: is frozen: a container there could not start " \
                            "(thaw it first)\n"
        assert os.listdir(runc.root) == [] or "infrozen" not in os.listdir(runc.root)
        assert not os.path.exists(os.path.join(parent, "ct"))
    finally:
        for h in os.listdir("/sys/fs/cgroup"):
            for d in (os.path.join("/sys/fs/cgroup", h, name, "ct"), os.path.join("/sys/fs/cgroup", h, name)):
                if os.path.isdir(d):
                    os.rmdir(d)
        if os.path.isdir(os.path.join("/sys/fs/cgroup", name)):
            os.rmdir(os.path.join("/sys/fs/cgroup", name))


# ------------------------------------------------------------------ reports


def test_list_formats(runc, bundle):
    create(runc, bundle, "b-listed")
    create(runc, bundle, "a-listed")
    cp = runc("list", "--format", "json")
    assert cp.returncode == 0, cp.stderr
    listed = json.loads(cp.stdout)
    assert [c["id"] for c in listed] == ["a-listed", "b-listed"]
    assert all(c["status"] == "created" and c["pid"] > 0 for c in listed)
    assert runc("list", "-q").stdout == "a-listed\nb-listed\n"
    table = runc("list").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "PID", "STATUS"] and len(table) == 3
    for cid in ("a-listed", "b-listed"):
        assert runc("delete", "--force", cid).returncode == 0
    assert json.loads(runc("list", "--format", "json").stdout) == []


def test_features(runc):
    cp = runc("features")
    assert cp.returncode == 0, cp.stderr
    f = json.loads(cp.stdout)
    assert f["ociVersionMin"] == "1.0.0" and f["ociVersionMax"].startswith("1.")
    assert "createRuntime" in f["hooks"] and "poststop" in f["hooks"]
    assert set(f["linux"]["namespaces"]) >= {"user", "pid", "mount", "network", "ipc", "uts", "cgroup"}
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
    assert f["linux"]["cgroup"]["systemd"] is True and f["linux"]["cgroup"]["systemdUser"] is True
    assert f["linux"]["seccomp"]["enabled"] and "SCMP_ACT_ERRNO" in f["linux"]["seccomp"]["actions"]
    assert "SCMP_ARCH_X86_64" in f["linux"]["seccomp"]["archs"]


def test_features_mount_options_are_accepted(runc, bundle, hostdir):
    options = json.loads(runc("features").stdout)["mountOptions"]
    assert {"ro", "noexec", "nosuid", "nodev", "rbind"} <= set(options) and "suid" not in options
    bind_words = [o for o in options if o not in ("idmap", "ridmap", "tmpcopyup", "exec", "rw")]
    bundle.config["mounts"].append({"destination": "/mnt", "type": "bind", "source": hostdir(),
                                    "options": bind_words})
    bundle.write(["/bin/true"])
    runc.ids.append("opts")
    cp = runc("run", "--bundle", bundle.path, "opts")
    assert cp.returncode == 0, cp.stderr


def test_spec_writes_once_and_rootless(runc, hostdir):
    d = hostdir()
    config = spec_config(runc, d, rootless=False)
    assert config["ociVersion"] and config["root"]["path"] == "rootfs"
    assert config["process"]["terminal"] is True, "runc's and crun's default"
    assert "exists already" in one_error_line(runc("spec", "--bundle", d))
    d2 = hostdir()
    config = spec_config(runc, d2, rootless=True)
    types = [n["type"] for n in config["linux"]["namespaces"]]
    assert "user" in types and "network" not in types
    assert config["linux"]["uidMappings"] == [{"containerID": 0, "hostID": os.getuid(), "size": 1}]


# ------------------------------------------------------------------ errors


def test_json_log_lines(runc, hostdir):
    log = os.path.join(hostdir(), "log.json")
    cp = runc("--log", log, "--log-format", "json", "state", "missing")
    line = one_error_line(cp)
    assert line == "nslaunch-runc: container: missing: does not exist"
    with open(log) as f:
        last = json.loads(f.read().splitlines()[-1])
    assert last["level"] == "error" and last["msg"] == "container: missing: does not exist"
    assert time.strptime(last["time"][:19], "%Y-%m-%dT%H:%M:%S")
    runc("--log", log, "state", "missing")
    with open(log) as f:
        assert f.read().splitlines()[-1].endswith('level=error msg="container: missing: does not exist"')


def test_refusals(runc):
    assert "checkpoint/restore" in one_error_line(runc("checkpoint", "x"))
    assert "checkpoint/restore" in one_error_line(runc("restore", "x"))
    assert "unknown option" in one_error_line(runc("--bogus", "list"))
    assert "unknown command" in one_error_line(runc("frobnicate"))
    assert "--log-format" in one_error_line(runc("--log-format", "xml", "list"))
    for bad in ("../x", "a/b", "..", "x" * 300):
        assert one_error_line(runc("state", bad)).startswith("nslaunch-runc: id: ")
    cp = subprocess.run([runc.link, "--version"], capture_output=True, text=True)
    assert cp.returncode == 0 and cp.stdout.startswith("nslaunch-runc version ")
    assert [line.split(":")[0] for line in cp.stdout.splitlines()[1:]] == ["commit", "spec"], "runc's lines"


def test_bad_bundle_names_itself(runc, hostdir):
    d = hostdir()
    runc.ids.append("nobundle")
    line = one_error_line(runc("create", "--bundle", d, "nobundle"))
    assert "config.json" in line
    assert not os.path.exists(os.path.join(runc.root, "nobundle")), "a failed create leaves nothing"


# every field oci-config refuses reaches the engine as one line naming it
REFUSED = [
    (lambda c: c["linux"].__setitem__("intelRdt", {"closID": "x"}), "linux.intelRdt"),
    (lambda c: c["linux"].__setitem__("seccomp", {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "x", "syscalls": [
        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}), "linux.seccomp.listenerPath"),
    (lambda c: c["linux"].__setitem__("personality", {"domain": "LINUX32"}), "linux.personality.domain"),
    (lambda c: c["linux"].__setitem__("rootfsPropagation", "rbind"), "linux.rootfsPropagation"),
    (lambda c: c["linux"]["namespaces"].append({"type": "time"}), "linux.namespaces["),
    (lambda c: [ns for ns in c["linux"]["namespaces"] if ns["type"] == "mount"][0].__setitem__("path", "/proc/1/ns/mnt"),
     "linux.namespaces["),
    # with line breaks: refused whether AppArmor is enabled or not (test_oci_apparmor.py applies one)
    (lambda c: c["process"].__setitem__("apparmorProfile", "x\ny"), "process.apparmorProfile"),
    (lambda c: c["process"].__setitem__("selinuxLabel", "x"), "process.selinuxLabel"),
    (lambda c: c["linux"].__setitem__("timeOffsets", {}), "linux.timeOffsets"),
    (lambda c: c["process"].__setitem__("ioPriority", {"class": "IOPRIO_CLASS_RT"}), "process.ioPriority"),
    (lambda c: c["process"].__setitem__("scheduler", {"policy": "SCHED_FIFO"}), "process.scheduler"),
    (lambda c: c["mounts"].append({"destination": "/x", "type": "bind", "source": "/tmp", "options": ["suid"]}),
     "option suid"),
    (lambda c: c.setdefault("linux", {}).setdefault("resources", {}).__setitem__(
        "hugepageLimits", [{"pageSize": "2M", "limit": 1}]), "linux.resources.hugepageLimits[0]"),
    # the host's UTS namespace (none listed) is never renamed: the spec's hostname refused
    (lambda c: c["linux"].__setitem__("namespaces", [ns for ns in c["linux"]["namespaces"] if ns["type"] != "uts"]),
     "hostname"),
]


@pytest.mark.parametrize("edit,name", REFUSED, ids=[name for _, name in REFUSED])
def test_refused_config_field_names_itself(runc, bundle, hostdir, edit, name):
    edit(bundle.config)
    bundle.write()
    log = os.path.join(hostdir(), "log.json")
    runc.ids.append("refused")
    cp = runc("--log", log, "--log-format", "json", "create", "--bundle", bundle.path, "refused")
    line = one_error_line(cp)
    assert name in line and "config.json" in line, line
    with open(log) as f:
        assert name in json.loads(f.read().splitlines()[-1])["msg"]
    assert not os.path.exists(os.path.join(runc.root, "refused"))


SELINUX = os.path.exists("/sys/fs/selinux/enforce")


def test_a_mount_label_is_refused_only_where_selinux_is_enabled(runc, bundle):
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"
    bundle.write(["/bin/true"])
    runc.ids.append("labelled")
    cp = runc("run", "--bundle", bundle.path, "labelled")
    if SELINUX:
        line = one_error_line(cp)
        assert "linux.mountLabel" in line and "SELinux is enabled" in line, line
    else:
        assert cp.returncode == 0, cp.stderr


def create_with_console(runc, bundle, sock_dir, cid):
    """Creates cid (its config asks for a terminal) with a console socket in
    sock_dir; the pty master init sent over it."""
    sock_path = os.path.join(sock_dir, "console.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(1)
    runc.ids.append(cid)
    # create blocks until init has sent the master: accept meanwhile
    got = {}

    def accept():
        conn, _ = server.accept()
        with conn:
            msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            got["fds"] = fds

    t = threading.Thread(target=accept)
    t.start()
    cp = runc("create", "--bundle", bundle.path, "--console-socket", sock_path, cid)
    t.join(TIMEOUT)
    server.close()
    assert cp.returncode == 0, cp.stderr
    assert len(got.get("fds", [])) == 1
    return got["fds"][0]


def read_until(fd, want, seconds=5):
    """What fd gave until want was in it, it ended, or the time was up."""
    out = b""
    deadline = time.monotonic() + seconds
    while want not in out and time.monotonic() < deadline:
        try:
            out += os.read(fd, 1024)
        except OSError:
            break
    return out


def test_console_socket_gets_the_pty_master(runc, bundle, hostdir):
    bundle.config["process"]["terminal"] = True
    bundle.write(["/bin/sh", "-c", "test -t 0 && test -t 1 && echo on-a-tty"])
    master = create_with_console(runc, bundle, hostdir(), "tty")
    try:
        assert runc("start", "tty").returncode == 0
        assert b"on-a-tty" in read_until(master, b"on-a-tty")
    finally:
        os.close(master)
    wait_status(runc, "tty", "stopped")
    assert runc("delete", "tty").returncode == 0


def test_create_with_a_console_lets_go_of_its_callers_output(runc, bundle, hostdir):
    """An engine that reads create's output to its end (Go's exec with a
    pipe) must get that end when create exits: init holds the terminal
    then, not create's stdout and stderr, while it waits for start."""
    bundle.config["process"]["terminal"] = True
    bundle.write(["/bin/sh", "-c", "echo on-the-console"])
    d = hostdir()
    sock_path = os.path.join(d, "console.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(1)
    runc.ids.append("letgo")
    proc = subprocess.Popen([runc.link, "--root", runc.root, "create", "--bundle", bundle.path,
                             "--console-socket", sock_path, "letgo"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    conn, _ = server.accept()
    _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    conn.close()
    server.close()
    try:
        out, err = proc.communicate(timeout=10)     # EOF on both, not only create's exit
        assert proc.returncode == 0, err
        assert state(runc, "letgo")["status"] == "created"
        assert runc("start", "letgo").returncode == 0
        assert b"on-the-console" in read_until(fds[0], b"on-the-console")
    finally:
        os.close(fds[0])


def test_terminal_without_console_socket_refused(runc, bundle):
    """Only a foreground run or exec can give its caller the terminal."""
    bundle.config["process"]["terminal"] = True
    bundle.write()
    runc.ids.append("notty")
    assert "--console-socket" in one_error_line(runc("create", "--bundle", bundle.path, "notty"))
    assert "--console-socket" in one_error_line(runc("run", "--detach", "--bundle", bundle.path, "notty"))
    assert not os.path.exists(os.path.join(runc.root, "notty"))
    bundle.config["process"]["terminal"] = False
    bundle.write(["/bin/sleep", "60"])
    create(runc, bundle, "notty")
    assert runc("start", "notty").returncode == 0
    line = one_error_line(runc("exec", "--tty", "--detach", "notty", "/bin/true"), status=255)
    assert "--console-socket" in line and line.startswith("nslaunch-runc: --tty: ")


def on_a_pty(argv, typed=b"", rows=33, cols=101, seconds=TIMEOUT):
    """argv run on a new pty of that size, as from a terminal, typed sent
    once it wrote "ready": what it wrote there and its exit code."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = read_until(fd, b"ready", seconds)
    if typed:
        os.write(fd, typed)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:         # EIO: every end of the pty is closed
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_a_foreground_run_gives_its_caller_the_terminal(runc, bundle):
    """runc's spec (terminal: true) run from a terminal, as `runc run` is:
    the command's 0, 1 and 2 are one pty, sized like the caller's, and what
    the caller types reaches it through the pty's line discipline."""
    bundle.config["process"]["terminal"] = True
    bundle.write(["/bin/sh", "-c", "test -t 0 && test -t 1 && test -t 2 && stty size && echo ready && "
                                   "read line && echo got-$line && exit 7"])
    runc.ids.append("fgtty")
    out, code = on_a_pty([runc.link, "--root", runc.root, "run", "--bundle", bundle.path, "fgtty"],
                               typed=b"hello\r")
    assert code == 7, out
    assert "33 101" in out and "got-hello" in out, out
    assert not os.path.exists(os.path.join(runc.root, "fgtty"))


def test_a_foreground_run_leaves_the_callers_terminal_as_it_was(runc, bundle):
    """raw while the container has the terminal, given back after"""
    bundle.config["process"]["terminal"] = True
    bundle.write(["/bin/sh", "-c", "sleep 1; echo ready"])
    runc.ids.append("fgmode")
    script = ("import subprocess, sys, termios, time\n"
              "before = termios.tcgetattr(0)\n"
              "p = subprocess.Popen(sys.argv[1:])\n"
              "raw = False\n"
              "while p.poll() is None:\n"
              "    raw = raw or not termios.tcgetattr(0)[3] & termios.ECHO\n"
              "    time.sleep(0.01)\n"
              "after = termios.tcgetattr(0)\n"
              "print('raw' if raw else 'cooked', 'same' if before == after else 'changed')\n"
              "sys.exit(p.returncode)\n")
    out, code = on_a_pty(["/usr/bin/python3", "-c", script, runc.link, "--root", runc.root, "run",
                          "--bundle", bundle.path, "fgmode"])
    assert code == 0, out
    assert "raw same" in out, out


def exec_tty_on_a_pty(runc, bundle, cid, script):
    """script run by exec --tty, from a pty, in a started container"""
    bundle.write(["/bin/sleep", "60"])
    create(runc, bundle, cid)
    assert runc("start", cid).returncode == 0
    return on_a_pty([runc.link, "--root", runc.root, "exec", "--tty", cid, "/bin/sh", "-c", script])


@pytest.mark.skipif(not IS_ROOT, reason="uid 1000 is mapped in root's containers only")
def test_exec_tty_belongs_to_the_process(runc, bundle):
    """exec --tty as the config's user 1000: its terminal is its own, as a
    login's is, so that it can reopen it by name; its group is the tty
    group of the config's devpts (gid=5, as `spec` writes it for root)."""
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 100}
    out, code = exec_tty_on_a_pty(runc, bundle, "ttyowner", "echo ready; stat -c owner=%u:%g $(tty) && : < $(tty)")
    assert code == 0, out
    assert "owner=1000:5" in out, out


def test_the_devpts_gid_option_groups_the_terminals(runc, bundle):
    """The config's devpts gid=5 (the tty group of runc's and Docker's
    configs): a terminal the container opens is group 5's. Rootless, where
    the container maps its user's group only, refused naming it; a gid that
    is not a number, naming the mount."""
    pts = next(m for m in bundle.config["mounts"] if m["destination"] == "/dev/pts")
    pts["options"].append("gid=tty")
    bundle.write()
    runc.ids.append("ttygid")
    line = one_error_line(runc("create", "--bundle", bundle.path, "ttygid"))
    assert re.search(r"config\.json: mounts\[\d+\]: gid=tty: expected a group id$", line), line
    pts["options"][-1] = "gid=5"
    if not IS_ROOT:
        bundle.write()
        line = one_error_line(runc("create", "--bundle", bundle.path, "ttygid"))
        assert line.endswith("/dev/pts: gid=5: not a group of the sandbox's user namespace"), line
        return
    out, code = exec_tty_on_a_pty(runc, bundle, "ttygid", "echo ready; stat -c group=%g $(tty)")
    assert code == 0, out
    assert "group=5" in out, out


def test_exec_tty_in_the_foreground(runc, bundle):
    out, code = exec_tty_on_a_pty(runc, bundle, "exectty",
                                  "test -t 0 && test -t 1 && stty size && echo ready; exit 5")
    assert code == 5, out
    assert "33 101" in out and "ready" in out, out


def test_a_foreground_terminal_keeps_the_processs_console_size(runc, bundle, hostdir):
    """process.consoleSize, of the config (run) or of exec's --process: the
    pty has that size, not the caller's (runc's suite checks it)."""
    bundle.config["process"].update(terminal=True, consoleSize={"height": 12, "width": 90})
    bundle.write(["/bin/sh", "-c", "echo ready; sleep 0.2; stty size"])
    runc.ids.append("runsize")
    out, code = on_a_pty([runc.link, "--root", runc.root, "run", "--bundle", bundle.path, "runsize"])
    assert code == 0, out
    assert "12 90" in out, out
    del bundle.config["process"]["consoleSize"]
    bundle.config["process"]["terminal"] = False
    proc = os.path.join(hostdir(), "process.json")
    with open(proc, "w") as f:
        json.dump({"terminal": True, "consoleSize": {"height": 10, "width": 110}, "cwd": "/",
                   "args": ["/bin/sh", "-c", "echo ready; sleep 0.2; stty size"], "env": ["PATH=/usr/bin:/bin"],
                   "user": {"uid": 0, "gid": 0}}, f)
    bundle.write(["/bin/sleep", "60"])
    create(runc, bundle, "execsize")
    assert runc("start", "execsize").returncode == 0
    out, code = on_a_pty([runc.link, "--root", runc.root, "exec", "--tty", "--process", proc, "execsize"])
    assert code == 0, out
    assert "10 110" in out, out


def test_preserve_fds(runc, bundle, hostdir):
    path = os.path.join(hostdir(0o777), "passed")
    bundle.write(["/bin/sh", "-c", "echo through-fd-3 >&3"])
    runc.ids.append("fds")
    # fd 3 opened by a shell that then becomes nslaunch-runc (pytest's own fd 3 stays alone)
    cp = subprocess.run(["/bin/sh", "-c", 'exec 3>"$1"; shift; exec "$@"', "sh", path, runc.link, "--root", runc.root,
                         "run", "--preserve-fds", "1", "--bundle", bundle.path, "fds"],
                        capture_output=True, text=True, timeout=TIMEOUT)
    assert cp.returncode == 0, cp.stderr
    with open(path) as f:
        assert f.read() == "through-fd-3\n"


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_update_pids_limit(runc, bundle):
    create(runc, bundle, "upd")
    cg = state(runc, "upd") and "/sys/fs/cgroup/pids/nslaunch-runc-upd/pids.max"
    cp = runc("update", "--pids-limit", "33", "upd")
    assert cp.returncode == 0, cp.stderr
    if os.path.exists(cg):
        assert open(cg).read().strip() == "33"
    cp = runc("update", "--resources", "-", "upd", input=json.dumps({"pids": {"limit": 44}}))
    assert cp.returncode == 0, cp.stderr
    if os.path.exists(cg):
        assert open(cg).read().strip() == "44"
    cp = runc("update", "upd", "--pids-limit", "55")     # flags after the ID, as runc's suite gives them
    assert cp.returncode == 0, cp.stderr
    if os.path.exists(cg):
        assert open(cg).read().strip() == "55"
    assert "one container ID only" in one_error_line(runc("update", "upd", "--pids-limit", "5", "upd"))
    # as runc's: -1 lifts the limit, on the command line and in a resources object
    cp = runc("update", "upd", "--pids-limit", "-1")
    assert cp.returncode == 0, cp.stderr
    if os.path.exists(cg):
        assert open(cg).read().strip() == "max"
    assert runc("update", "upd", "--pids-limit", "66").returncode == 0
    cp = runc("update", "--resources", "-", "upd", input=json.dumps({"pids": {"limit": -1}}))
    assert cp.returncode == 0, cp.stderr
    if os.path.exists(cg):
        assert open(cg).read().strip() == "max"
    cp = runc("update", "upd", "--memory-reservation", "32m")
    assert cp.returncode == 0, cp.stderr
    soft = [f for f in ("/sys/fs/cgroup/memory/nslaunch-runc-upd/memory.soft_limit_in_bytes",
                        "/sys/fs/cgroup/nslaunch-runc-upd/memory.low") if os.path.exists(f)]
    assert [open(f).read().strip() for f in soft] == [str(32 << 20)]
    assert "not supported" in one_error_line(runc("update", "--kernel-memory", "1m", "upd"))
    assert runc("delete", "--force", "upd").returncode == 0


def cgroup_file(path):
    with open(path) as f:
        return f.read().strip()


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_update_lifts_and_sets_memory_and_swap_as_runcs(runc, bundle):
    run_detached_with(runc, bundle, "mem", memory={"limit": 32 << 20})
    v1, v2 = "/sys/fs/cgroup/memory/nslaunch-runc-mem", "/sys/fs/cgroup/nslaunch-runc-mem"

    def update(*args, resources=None):
        if resources is not None:
            return runc("update", "--resources", "-", "mem", input=json.dumps({"memory": resources}))
        return runc("update", "mem", *args)

    if os.path.isdir(v1):
        limit, memsw = v1 + "/memory.limit_in_bytes", v1 + "/memory.memsw.limit_in_bytes"
        none = cgroup_file("/sys/fs/cgroup/memory/memory.limit_in_bytes")
        assert cgroup_file(limit) == str(32 << 20)
        if os.path.exists(memsw):
            assert cgroup_file(memsw) == str(32 << 20)
            # v1 counts memory and swap together: either changes alone
            assert update("--memory-swap", "-1").returncode == 0
            assert (cgroup_file(limit), cgroup_file(memsw)) == (str(32 << 20), none)
            assert update("--memory-swap", "96m").returncode == 0
            assert (cgroup_file(limit), cgroup_file(memsw)) == (str(32 << 20), str(96 << 20))
            assert "memory.memsw.limit_in_bytes" in one_error_line(update("--memory-swap", "16m"))
        # no memory limit is no swap limit either, unless one is given
        cp = update("--memory", "-1")
        assert cp.returncode == 0, cp.stderr
        assert cgroup_file(limit) == none
        if os.path.exists(memsw):
            assert cgroup_file(memsw) == none
        assert update(resources={"limit": 48 << 20}).returncode == 0
        assert cgroup_file(limit) == str(48 << 20)
        assert update(resources={"limit": -1}).returncode == 0
        assert cgroup_file(limit) == none
    else:
        assert cgroup_file(v2 + "/memory.max") == str(32 << 20)
        if os.path.exists(v2 + "/memory.swap.max"):
            assert update("--memory-swap", "-1").returncode == 0
            assert cgroup_file(v2 + "/memory.swap.max") == "max"
        # v2 counts swap alone: a memory-plus-swap figure needs the memory with it
        assert "memory.swap.max" in one_error_line(update("--memory-swap", "96m"))
        cp = update("--memory", "-1")
        assert cp.returncode == 0, cp.stderr
        assert cgroup_file(v2 + "/memory.max") == "max"
        assert update(resources={"limit": 48 << 20, "swap": 64 << 20}).returncode == 0
        assert cgroup_file(v2 + "/memory.max") == str(48 << 20)
        if os.path.exists(v2 + "/memory.swap.max"):
            assert cgroup_file(v2 + "/memory.swap.max") == str(16 << 20)
    assert "expected a size" in one_error_line(update("--memory", "-2"))
    assert runc("delete", "--force", "mem").returncode == 0


def write_cgroup_file(path, value):
    with open(path, "w") as f:
        f.write(str(value))


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_update_sets_the_realtime_cpu_budget_on_cgroup_v1(runc, bundle):
    run_detached_with(runc, bundle, "rt")
    own = "/sys/fs/cgroup/cpu/nslaunch-runc-rt"

    def update(**cpu):
        return runc("update", "--resources", "-", "rt", input=json.dumps({"cpu": cpu}))

    if not os.path.exists(own + "/cpu.rt_runtime_us"):
        # cgroup v2 (or a kernel without realtime group scheduling)
        assert "cpu.rt_runtime_us" in one_error_line(update(realtimeRuntime=500001))
        assert runc("delete", "--force", "rt").returncode == 0
        return
    # a new cgroup has no realtime time; its parent, the root, has it to give
    period = cgroup_file("/sys/fs/cgroup/cpu/cpu.rt_period_us")
    try:
        cp = update(realtimeRuntime=500001)
        assert cp.returncode == 0, cp.stderr
        assert (cgroup_file(own + "/cpu.rt_runtime_us"), cgroup_file(own + "/cpu.rt_period_us")) == ("500001", period)
        assert update(realtimePeriod=800001, realtimeRuntime=500001).returncode == 0
        assert (cgroup_file(own + "/cpu.rt_runtime_us"), cgroup_file(own + "/cpu.rt_period_us")) == ("500001", "800001")
        cp = runc("update", "rt", "--cpu-rt-period", "900001", "--cpu-rt-runtime", "600001")
        assert cp.returncode == 0, cp.stderr
        assert (cgroup_file(own + "/cpu.rt_runtime_us"), cgroup_file(own + "/cpu.rt_period_us")) == ("600001", "900001")
        assert "no longer than its period" in one_error_line(
            runc("update", "rt", "--cpu-rt-period", "100000", "--cpu-rt-runtime", "200000"))
        assert "--cpu-rt-runtime" in one_error_line(runc("update", "rt", "--cpu-rt-runtime", "-2"))
        assert runc("delete", "--force", "rt").returncode == 0
    finally:
        if os.path.exists(own):
            write_cgroup_file(own + "/cpu.rt_runtime_us", 0)


def run_detached_with(runc, bundle, cid, **resources):
    linux = bundle.config["linux"]
    linux.setdefault("resources", {}).update(resources)
    bundle.write(["/bin/sh", "-c", "sleep 60"], linux=linux)
    runc.ids.append(cid)
    cp = runc("run", "--detach", "--bundle", bundle.path, cid)
    assert cp.returncode == 0, cp.stderr


def follow_events(runc, cid, *opts):
    """events following the container, its lines going to a file."""
    out = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([runc.link, "--root", runc.root, "events", *opts, cid], stdout=out,
                            stderr=subprocess.STDOUT, text=True)
    return proc, out


def events_so_far(out):
    out.seek(0)
    return [json.loads(line) for line in out.read().splitlines()]


def wait_for_events(out, enough, seconds=10):
    deadline = time.monotonic() + seconds
    while not enough(events_so_far(out)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return events_so_far(out)


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_events_stats_once_and_every_interval(runc, bundle):
    """events --stats prints one "stats" event of the container's cgroup in
    runc's JSON, "type" and "id" first (what runc's suite matches); without
    it, one at once and one every --interval, until the container is
    deleted, when events ends by itself, with status 0."""
    run_detached_with(runc, bundle, "ev", pids={"limit": 50})
    cp = runc("events", "--stats", "ev")
    assert cp.returncode == 0, cp.stderr
    [event] = [json.loads(line) for line in cp.stdout.splitlines()]
    assert list(event) == ["type", "id", "data"] and event["type"] == "stats" and event["id"] == "ev"
    assert cp.stdout.startswith('{"type":"stats","id":"ev",')
    data = event["data"]
    assert data["pids"] == {"current": 2, "limit": 50}, data      # sh and its sleep
    assert data["memory"]["usage"]["usage"] > 0 and data["memory"]["usage"]["max"] >= data["memory"]["usage"]["usage"]
    proc, out = follow_events(runc, "ev", "--interval", "100ms")
    lines = wait_for_events(out, lambda lines: len(lines) >= 3)
    assert len(lines) >= 3 and all(e["type"] == "stats" and e["id"] == "ev" for e in lines), lines
    assert proc.poll() is None, "events ends with the container only"
    assert runc("delete", "--force", "ev").returncode == 0
    assert proc.wait(timeout=5) == 0
    out.close()
    assert "ev" in one_error_line(runc("events", "--stats", "ev"))


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_events_reports_an_oom_kill(runc, bundle):
    """An OOM kill in the container's cgroup is an "oom" event, exactly
    runc's line, while the stats go on."""
    run_detached_with(runc, bundle, "evoom", memory={"limit": 32 << 20, "swap": 32 << 20})
    proc, out = follow_events(runc, "evoom", "--interval", "1s")
    wait_for_events(out, lambda lines: len(lines) >= 1)
    cp = runc("exec", "evoom", "/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived")
    assert "survived" not in cp.stdout, "the memory hog was not killed"
    lines = wait_for_events(out, lambda lines: {"type": "oom", "id": "evoom"} in lines)
    assert {"type": "oom", "id": "evoom"} in lines, lines
    out.seek(0)
    assert '{"type":"oom","id":"evoom"}\n' in out.read()
    assert runc("delete", "--force", "evoom").returncode == 0
    assert proc.wait(timeout=5) == 0
    out.close()


def test_events_refusals(runc, bundle):
    """A bad --interval, no ID, an unknown one, a stopped container: one line
    each, naming what is wrong."""
    assert "--interval" in one_error_line(runc("events", "--interval", "0s", "x"))
    assert "--interval" in one_error_line(runc("events", "--interval", "5", "x"))
    assert "no container ID" in one_error_line(runc("events"))
    assert "nope" in one_error_line(runc("events", "--stats", "nope"))
    bundle.write(["/bin/true"])
    create(runc, bundle, "evdone")
    assert runc("start", "evdone").returncode == 0
    wait_status(runc, "evdone", "stopped")
    assert "stopped" in one_error_line(runc("events", "--stats", "evdone"))


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_cpu_quota_and_period_as_given(runc, bundle):
    """linux.resources.cpu quota and period reach the cgroup as written (the
    kernel's throttling depends on both, not only on their ratio), and so do
    update's --cpu-quota and --cpu-period; as runc's, either alone leaves
    the other as it is, and a quota of -1 is none. A period alone in a
    config is written with no quota."""
    linux = bundle.config["linux"]
    linux.setdefault("resources", {})["cpu"] = {"quota": 50000, "period": 500000}
    bundle.write(linux=linux)
    create(runc, bundle, "cpuq")
    v1 = "/sys/fs/cgroup/cpu/nslaunch-runc-"
    v2 = next((p for p in ("/sys/fs/cgroup/nslaunch-runc-", "/sys/fs/cgroup/unified/nslaunch-runc-")
               if os.path.exists(p + "cpuq/cpu.max")), None)

    def quota_period(cid="cpuq"):
        if os.path.exists(f"{v1}{cid}/cpu.cfs_quota_us"):
            values = [open(f"{v1}{cid}/cpu.cfs_{f}_us").read().strip() for f in ("quota", "period")]
        else:
            assert v2, "no cpu controller for the container's cgroup"
            values = open(f"{v2}{cid}/cpu.max").read().split()
        return ["max" if v == "-1" else v for v in values]

    assert quota_period() == ["50000", "500000"]
    for flags, seen in ((["--cpu-quota", "30000", "--cpu-period", "300000"], ["30000", "300000"]),
                        (["--cpu-period", "400000"], ["30000", "400000"]),
                        (["--cpu-quota", "20000"], ["20000", "400000"]),
                        (["--cpu-quota", "-1"], ["max", "400000"])):
        cp = runc("update", "cpuq", *flags)
        assert cp.returncode == 0, cp.stderr
        assert quota_period() == seen, flags
    assert "expected a period of 1000 to 1000000" in one_error_line(runc("update", "cpuq", "--cpu-period", "100"))
    assert runc("delete", "--force", "cpuq").returncode == 0
    linux["resources"]["cpu"] = {"period": 700000}
    bundle.write(linux=linux)
    create(runc, bundle, "cpup")
    assert quota_period("cpup") == ["max", "700000"]
    assert runc("delete", "--force", "cpup").returncode == 0


@pytest.mark.skipif(not IS_ROOT or not os.path.isdir("/sys/fs/cgroup/cpu"),
                    reason="cgroup v1's cpu hierarchy, root's (v2 writes quota and period at once, in cpu.max)")
def test_update_to_a_shorter_period_under_a_limited_parent(runc, bundle):
    """cgroup v1 checks each of cfs_period_us and cfs_quota_us against the
    parent's share with the other as it stands: a new period written before
    a new quota may, with the old quota, claim more than the parent allows.
    update finds the order in which every step fits (runc's suite limits a
    pod's cgroup this way)."""
    parent = f"/sys/fs/cgroup/cpu/nsl-test-cpu-{os.getpid()}"
    os.mkdir(parent)
    try:
        for name, value in (("period", "100000"), ("quota", "50000")):
            with open(f"{parent}/cpu.cfs_{name}_us", "w") as f:
                f.write(value)
        linux = bundle.config["linux"]
        linux["cgroupsPath"] = f"/{os.path.basename(parent)}/c"
        linux.setdefault("resources", {})["cpu"] = {"quota": 40000, "period": 100000}
        bundle.write(linux=linux)
        create(runc, bundle, "shorter")
        cp = runc("update", "--cpu-quota", "4000", "--cpu-period", "10000", "shorter")
        assert cp.returncode == 0, cp.stderr
        assert [open(f"{parent}/c/cpu.cfs_{f}_us").read().strip() for f in ("quota", "period")] == ["4000", "10000"]
        cp = runc("update", "--cpu-quota", "40000", "--cpu-period", "100000", "shorter")
        assert cp.returncode == 0, cp.stderr
        assert [open(f"{parent}/c/cpu.cfs_{f}_us").read().strip() for f in ("quota", "period")] == ["40000", "100000"]
    finally:
        runc("delete", "--force", "shorter")
        for d in sorted(glob.glob(f"/sys/fs/cgroup/*/{os.path.basename(parent)}/c")) + \
                 sorted(glob.glob(f"/sys/fs/cgroup/*/{os.path.basename(parent)}")):
            os.rmdir(d)


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_a_parent_made_for_one_container_lets_the_next_one_and_update_limit_more(runc, bundle):
    """cgroup v2: a parent nslaunch makes for a container without limits
    hands down every controller it has (as runc's do), so a second
    container under it may limit memory and pids, and update may limit the
    first. (v1 has a hierarchy per controller: nothing to hand down.)"""
    parent = f"/nsl-test-parent-{os.getpid()}"
    linux = bundle.config["linux"]
    linux["cgroupsPath"] = f"{parent}/plain"
    bundle.write(linux=linux)
    try:
        create(runc, bundle, "plain")
        linux["cgroupsPath"] = f"{parent}/limited"
        linux.setdefault("resources", {}).update(memory={"limit": 64 << 20}, pids={"limit": 12})
        bundle.write(linux=linux)
        create(runc, bundle, "limited")
        cp = runc("update", "--pids-limit", "7", "plain")
        assert cp.returncode == 0, cp.stderr
        pids_max = [f"{h}{parent}/plain/pids.max" for h in ("/sys/fs/cgroup", "/sys/fs/cgroup/pids")]
        assert [open(p).read().strip() for p in pids_max if os.path.exists(p)] == ["7"]
        for cid in ("plain", "limited"):
            assert runc("delete", "--force", cid).returncode == 0
    finally:
        for d in sorted(glob.glob(f"/sys/fs/cgroup/*{parent}") + glob.glob(f"/sys/fs/cgroup{parent}")):
            os.rmdir(d)


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_unified_files_reach_the_cgroup_after_the_limits(runc, bundle):
    """linux.resources.unified (kubelet's memory.oom.group on cgroup v2):
    each file written as given after the typed limits, over them where both
    name one, and again by update --resources. On a host whose controllers
    are in cgroup v1 hierarchies, refused at create and at update naming the
    file, with no cgroup left behind. nslaunch's own files are refused in
    the config."""
    linux = bundle.config["linux"]
    resources = linux.setdefault("resources", {})
    resources["unified"] = {"cgroup.procs": "1"}
    bundle.write(linux=linux)
    runc.ids.append("uni")
    line = one_error_line(runc("create", "--bundle", bundle.path, "uni"))
    assert "config.json: linux.resources.unified.cgroup.procs: cgroup.procs: nslaunch's own" in line, line

    resources.update(memory={"limit": 64 << 20}, pids={"limit": 10},
                     unified={"memory.high": str(48 << 20), "pids.max": "20", "memory.oom.group": "0"})
    bundle.write(linux=linux)
    v2 = "/sys/fs/cgroup/nslaunch-runc-uni"
    if not os.path.isfile("/sys/fs/cgroup/cgroup.controllers"):
        line = one_error_line(runc("create", "--bundle", bundle.path, "uni"))
        assert line.endswith("cgroup: memory.high: a cgroup v2 file, and this host's controllers are in cgroup v1 "
                             "hierarchies"), line
        assert not glob.glob("/sys/fs/cgroup/*/nslaunch-runc-uni"), "a refused create left its cgroup"
        del resources["unified"]
        bundle.write(linux=linux)
        create(runc, bundle, "uni")
        line = one_error_line(runc("update", "--resources", "-", "uni",
                                   input=json.dumps({"unified": {"memory.high": "1"}})))
        assert line.endswith("cgroup: memory.high: a cgroup v2 file, and this host's controllers are in cgroup v1 "
                             "hierarchies"), line
        assert runc("delete", "--force", "uni").returncode == 0
        return
    create(runc, bundle, "uni")
    read = lambda name: open(f"{v2}/{name}").read().strip()
    assert read("memory.max") == str(64 << 20)
    assert read("memory.high") == str(48 << 20)
    assert read("pids.max") == "20"
    assert read("memory.oom.group") == "0"
    cp = runc("update", "--resources", "-", "uni", input=json.dumps({"unified": {"memory.high": str(32 << 20)}}))
    assert cp.returncode == 0, cp.stderr
    assert read("memory.high") == str(32 << 20)
    line = one_error_line(runc("update", "--resources", "-", "uni",
                               input=json.dumps({"unified": {"memory.nonesuch": "1"}})))
    assert "memory.nonesuch: no such file in the cgroup" in line, line
    assert runc("delete", "--force", "uni").returncode == 0
    assert not os.path.exists(v2)


def created_on_v2(runc, bundle, cid, file, controller):
    """Creates cid on a cgroup v2 host whose root hands controller down and
    says so. On a host whose controllers are in cgroup v1 hierarchies,
    checks instead that create is refused naming file and leaves no cgroup,
    and says it did not create; skips where the root keeps controller."""
    runc.ids.append(cid)
    if not os.path.isfile("/sys/fs/cgroup/cgroup.controllers"):
        line = one_error_line(runc("create", "--bundle", bundle.path, cid))
        assert line.endswith(f"cgroup: {file}: a cgroup v2 file, and this host's controllers are in "
                             "cgroup v1 hierarchies"), line
        assert not glob.glob(f"/sys/fs/cgroup/*/nslaunch-runc-{cid}"), "a refused create left its cgroup"
        return False
    if controller not in open("/sys/fs/cgroup/cgroup.subtree_control").read().split():
        pytest.skip(f"the root cgroup does not hand {controller} down (tests/vm's guests' does)")
    create(runc, bundle, cid)
    return True


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_hugepage_limits_reach_the_cgroup(runc, bundle):
    """linux.resources.hugepageLimits, which kubelet gives every container
    (a limit for each page size the node has, 0 unless asked for): on cgroup
    v2 hugetlb.<size>.max and, where the kernel has it, .rsvd.max, and again
    by update --resources; a page size the kernel lacks is named. On a host
    whose controllers are in cgroup v1 hierarchies, refused naming the file,
    with nothing left behind."""
    linux = bundle.config["linux"]
    linux.setdefault("resources", {})["hugepageLimits"] = [{"pageSize": "2MB", "limit": 0}]
    bundle.write(linux=linux)
    v2 = "/sys/fs/cgroup/nslaunch-runc-huge"
    # a Kubernetes node's root hands hugetlb down; systemd alone does not
    if not created_on_v2(runc, bundle, "huge", "hugetlb.2MB.max", "hugetlb"):
        return
    read = lambda name: open(f"{v2}/{name}").read().strip()
    assert read("hugetlb.2MB.max") == "0"
    if os.path.exists(f"{v2}/hugetlb.2MB.rsvd.max"):
        assert read("hugetlb.2MB.rsvd.max") == "0"
    cp = runc("update", "--resources", "-", "huge",
              input=json.dumps({"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]}))
    assert cp.returncode == 0, cp.stderr
    assert read("hugetlb.2MB.max") == str(4 << 20)
    line = one_error_line(runc("update", "--resources", "-", "huge",
                               input=json.dumps({"hugepageLimits": [{"pageSize": "16GB", "limit": 0}]})))
    assert "hugetlb.16GB.max: no such file in the cgroup: the kernel has no 16GB huge pages" in line, line
    assert runc("delete", "--force", "huge").returncode == 0
    assert not os.path.exists(v2)


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_memory_kernel_tcp_swappiness_and_oom_killer(runc, bundle):
    """v1: kernelTCP, swappiness and disableOOMKiller reach the memory
    cgroup; the deprecated kernel limit is accepted and not written (the
    kernel charges kernel memory to the memory limit). v2 has none of those
    files: refused naming the one asked for."""
    linux = bundle.config["linux"]
    linux.setdefault("resources", {})["memory"] = {
        "limit": 64 << 20, "kernel": 32 << 20, "kernelTCP": 16 << 20, "swappiness": 10, "disableOOMKiller": True}
    bundle.write(linux=linux)
    v1 = "/sys/fs/cgroup/memory/nslaunch-runc-mem"
    if not os.path.isfile("/sys/fs/cgroup/memory/memory.oom_control"):
        runc.ids.append("mem")
        line = one_error_line(runc("create", "--bundle", bundle.path, "mem"))
        assert "memory.kmem.tcp.limit_in_bytes" in line, line
        return
    create(runc, bundle, "mem")
    read = lambda name: open(f"{v1}/memory.{name}").read()
    assert read("limit_in_bytes").strip() == str(64 << 20)
    assert read("kmem.tcp.limit_in_bytes").strip() == str(16 << 20)
    assert read("swappiness").strip() == "10"
    assert "oom_kill_disable 1" in read("oom_control")
    assert read("kmem.limit_in_bytes").strip() != str(32 << 20)
    assert runc("delete", "--force", "mem").returncode == 0
    assert not os.path.exists(v1)


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_blkio_weight_reaches_the_cgroup(runc, bundle):
    """linux.resources.blockIO.weight (Docker's and podman's --blkio-weight):
    on cgroup v2 io.bfq.weight as given where BFQ is loaded, else io.weight
    converted as runc converts it (10..1000 to 1..10000); again by update's
    --blkio-weight and --resources; a weight out of range named. On a host
    whose controllers are in cgroup v1 hierarchies, refused naming the
    file, with nothing left behind."""
    linux = bundle.config["linux"]
    linux.setdefault("resources", {})["blockIO"] = {"weight": 500}
    bundle.write(linux=linux)
    v2 = "/sys/fs/cgroup/nslaunch-runc-bio"
    if not created_on_v2(runc, bundle, "bio", "io.weight", "io"):
        return

    def weight():
        if os.path.exists(f"{v2}/io.bfq.weight"):
            return int(open(f"{v2}/io.bfq.weight").read().split()[1])
        assert os.path.exists(f"{v2}/io.weight"), "the kernel weighs no I/O: neither BFQ nor blk-iocost"
        return int(open(f"{v2}/io.weight").read().split()[1]) * -1   # converted: told apart by sign

    bfq = os.path.exists(f"{v2}/io.bfq.weight")
    assert weight() == (500 if bfq else -4950)
    cp = runc("update", "--blkio-weight", "1000", "bio")
    assert cp.returncode == 0, cp.stderr
    assert weight() == (1000 if bfq else -10000)
    cp = runc("update", "--resources", "-", "bio", input=json.dumps({"blockIO": {"weight": 10}}))
    assert cp.returncode == 0, cp.stderr
    assert weight() == (10 if bfq else -1)
    line = one_error_line(runc("update", "--blkio-weight", "5", "bio"))
    assert line.endswith("blkio weight: 5: expected 10 to 1000"), line
    assert runc("delete", "--force", "bio").returncode == 0
    assert not os.path.exists(v2)


def io_throttle_line(cid, kind, device):
    """The container's throttle of kind on device as the kernel lists it:
    v1's blkio.throttle.KIND_device rate, v2's io.max key; None when unset."""
    key = "%d:%d" % device
    v2 = f"/sys/fs/cgroup/nslaunch-runc-{cid}/io.max"
    if os.path.exists(v2):
        keys = {"read_bps": "rbps", "write_bps": "wbps", "read_iops": "riops", "write_iops": "wiops"}
        for line in open(v2).read().splitlines():
            if line.startswith(key + " "):
                value = dict(kv.split("=") for kv in line.split()[1:])[keys[kind]]
                return None if value == "max" else int(value)
        return None
    for line in open(f"/sys/fs/cgroup/blkio/nslaunch-runc-{cid}/blkio.throttle.{kind}_device").read().splitlines():
        if line.startswith(key + " "):
            return int(line.split()[1])
    return None


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_io_throttles_reach_the_cgroup_and_slow_direct_writes(runc, bundle, hostdir):
    """linux.resources.blockIO's throttle*Device (Docker's and podman's
    --device-read-bps, --device-write-iops...): v1's blkio.throttle files or
    v2's io.max. A container writing 2 MiB with O_DIRECT to the disk of a
    bound directory at 1 MiB/s takes over a second; update --resources
    changes the rate, 0 lifts it; a device that is no block device is
    refused naming the file, with nothing left behind."""
    out = hostdir(0o777, base="/var/tmp")
    disk = whole_disk(out)
    if disk is None:
        pytest.skip(f"{out} is on no block device")
    _, major, minor = disk
    disk = (major, minor)
    linux = bundle.config["linux"]
    linux.setdefault("resources", {})["blockIO"] = {
        "throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": 1 << 20}],
        "throttleReadIOPSDevice": [{"major": major, "minor": minor, "rate": 1000}]}
    bundle.config["mounts"].append({"destination": "/out", "type": "bind", "source": out,
                                    "options": ["rbind", "rw"]})
    bundle.write(["/bin/sh", "-c", "dd if=/dev/zero of=/out/f bs=256k count=8 oflag=direct 2>/dev/null; "
                  "touch /out/done; exec sleep 1000"], linux=linux)
    create(runc, bundle, "bio-throttle")
    assert io_throttle_line("bio-throttle", "write_bps", disk) == 1 << 20
    assert io_throttle_line("bio-throttle", "read_iops", disk) == 1000
    started = time.monotonic()
    assert runc("start", "bio-throttle").returncode == 0
    while not os.path.exists(os.path.join(out, "done")) and time.monotonic() < started + 30:
        time.sleep(0.02)
    took = time.monotonic() - started
    assert os.path.getsize(os.path.join(out, "f")) == 2 << 20
    assert took > 1.0, f"2 MiB at 1 MiB/s took {took:.2f} s"
    cp = runc("update", "--resources", "-", "bio-throttle", input=json.dumps({"blockIO": {
        "throttleWriteBpsDevice": [{"major": major, "minor": minor, "rate": 4 << 20}],
        "throttleReadIOPSDevice": [{"major": major, "minor": minor, "rate": 0}]}}))
    assert cp.returncode == 0, cp.stderr
    assert io_throttle_line("bio-throttle", "write_bps", disk) == 4 << 20
    assert io_throttle_line("bio-throttle", "read_iops", disk) is None
    assert runc("delete", "--force", "bio-throttle").returncode == 0
    assert not glob.glob("/sys/fs/cgroup/*/nslaunch-runc-bio-throttle")

    linux["resources"]["blockIO"] = {"throttleReadBpsDevice": [{"major": 1, "minor": 3, "rate": 1}]}
    bundle.write(linux=linux)
    runc.ids.append("bio-null")
    line = one_error_line(runc("create", "--bundle", bundle.path, "bio-null"))
    assert ("blkio.throttle.read_bps_device" in line or "io.max" in line) and "1:3" in line, line
    assert not glob.glob("/sys/fs/cgroup/*/nslaunch-runc-bio-null"), "a refused create left its cgroup"


@pytest.mark.skipif(not IS_ROOT, reason="cgroups are root's on this host")
def test_update_resources_are_checked_as_a_configs_are(runc, bundle):
    """update --resources reads a linux.resources object as create reads the
    config's: a field nslaunch cannot set, or of the wrong type, is refused
    naming it and nothing changes (it was ignored before); the memory
    reservation is written; device rules, which containerd hands over with
    every update, stay as create set them."""
    linux = bundle.config["linux"]
    linux.setdefault("resources", {})["pids"] = {"limit": 20}
    bundle.write(linux=linux)
    create(runc, bundle, "chk")
    pids_max = next(p for p in ("/sys/fs/cgroup/pids/nslaunch-runc-chk/pids.max",
                                "/sys/fs/cgroup/nslaunch-runc-chk/pids.max") if os.path.exists(p))

    def update(resources):
        return runc("update", "--resources", "-", "chk", input=json.dumps(resources))

    for resources, expected in (
            ({"pids": {"limit": 30}, "cpu": {"idle": 1}}, "--resources: linux.resources.cpu.idle: not supported"),
            ({"pids": {"limit": "30"}}, "--resources: linux.resources.pids.limit: expected an integer"),
            ({"pids": {"limit": 30}, "memory": {"limt": 1}}, "--resources: linux.resources.memory.limt: "),
            ([], "--resources: linux.resources: expected an object")):
        line = one_error_line(update(resources))
        assert expected in line, line
        assert open(pids_max).read().strip() == "20", "a refused update changed a limit"
    cp = update({"pids": {"limit": 30}, "devices": [{"allow": False, "access": "rwm"}],
                 "memory": {"reservation": 32 << 20}})
    assert cp.returncode == 0, cp.stderr
    assert open(pids_max).read().strip() == "30"
    low = next(p for p in ("/sys/fs/cgroup/memory/nslaunch-runc-chk/memory.soft_limit_in_bytes",
                           "/sys/fs/cgroup/nslaunch-runc-chk/memory.low") if os.path.exists(p))
    assert open(low).read().strip() == str(32 << 20)
    assert runc("delete", "--force", "chk").returncode == 0
