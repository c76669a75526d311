"""Idmapped binds (issue 15, item 3).

As root the sandbox user is a host uid of its own, from nslaunch's range: a
bind whose source it could not use is made an idmapped mount, so that the plugin reads and writes as the
source's owner.  Tested on ext4 (a loop-mounted image when /tmp is not ext4,
or when NSL_TEST_EXT4_LOOP=1) and on a tmpfs the test mounts; an overlayfs
stands for the filesystems that cannot be idmapped.  Rootless, :idmap is
refused and everything else works as before.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import IS_ROOT, assert_one_error_line, mounts_under, sandbox_host_ids, sh_guard, stderr_lines

root_only = pytest.mark.skipif(not IS_ROOT, reason="idmapped mounts are made by root")
rootless_only = pytest.mark.skipif(IS_ROOT, reason="rootless behaviour")

SANDBOX_UIDS = sandbox_host_ids()


def assert_warning(line, prefix, rest):
    """line is prefix, 'the sandbox user (host uid N)' with N from the
    sandbox range, then rest."""
    m = re.fullmatch(re.escape(prefix) + r"the sandbox user \(host uid (\d+)\) " + re.escape(rest), line)
    assert m and int(m.group(1)) in SANDBOX_UIDS, line


def _fs_type(path):
    return subprocess.run(["stat", "-f", "-c", "%T", path], capture_output=True, text=True,
                          check=True).stdout.strip()


def _mount(*args):
    subprocess.run(["mount", *args], check=True, capture_output=True)


def _umount(path):
    subprocess.run(["umount", path], check=True, capture_output=True)


@pytest.fixture
def scratch():
    """A root-only scratch directory; whatever the test mounted in it is
    unmounted (mounts first, deepest first) and it is removed."""
    top = tempfile.mkdtemp(prefix="nsl-idmap-", dir="/tmp")
    yield top
    for m in sorted(mounts_under(top), key=len, reverse=True):
        _umount(m)
    assert not mounts_under(top)
    shutil.rmtree(top)


@pytest.fixture(params=["ext4", "tmpfs"])
def fs_root(request, scratch):
    """A directory on the filesystem the test is parametrized with."""
    where = os.path.join(scratch, "fs")
    os.mkdir(where)
    if request.param == "tmpfs":
        _mount("-t", "tmpfs", "-o", "size=8m,mode=0755", "nsl-idmap", where)
    elif _fs_type("/tmp") != "ext2/ext3" or os.environ.get("NSL_TEST_EXT4_LOOP") == "1":
        image = os.path.join(scratch, "ext4.img")
        with open(image, "wb") as f:
            f.truncate(32 << 20)
        subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True, capture_output=True)
        # the loop device is released again when it is unmounted (autoclear)
        _mount("-o", "loop", image, where)
        assert _fs_type(where) == "ext2/ext3"
    return where


def _private_dir(base, name="out", mode=0o700, uid=0, gid=0):
    d = os.path.join(base, name)
    os.mkdir(d)
    os.chown(d, uid, gid)
    os.chmod(d, mode)
    return d


@root_only
def test_plugin_writes_into_root_owned_0700_dir(nsl, fs_root):
    out = _private_dir(fs_root)
    cp = nsl.sh(sh_guard() + "echo data > /out/new && mkdir /out/d && echo x > /out/d/f && "
                "stat -c '%u:%g %a' /out /out/new", "--bind", f"{out}:/out")
    assert cp.returncode == 0, cp.stderr
    # inside, the owner (root) reads as the sandbox's own user (0)
    assert cp.stdout.split("\n")[:2] == ["0:0 700", "0:0 644"]
    assert stderr_lines(cp) == []
    for rel in ("new", "d", "d/f"):
        st = os.lstat(os.path.join(out, rel))
        assert (st.st_uid, st.st_gid) == (0, 0), rel
    with open(os.path.join(out, "new")) as f:
        assert f.read() == "data\n"


@root_only
def test_files_take_the_owner_of_the_source(nsl, fs_root):
    """A directory of another user: what the plugin makes is that user's."""
    out = _private_dir(fs_root, uid=4321, gid=4322)
    cp = nsl.sh(sh_guard() + "echo data > /out/new", "--bind", f"{out}:/out")
    assert cp.returncode == 0, cp.stderr
    st = os.stat(os.path.join(out, "new"))
    assert (st.st_uid, st.st_gid) == (4321, 4322)


@root_only
def test_plugin_cannot_chown_to_anyone_else(nsl, fs_root):
    out = _private_dir(fs_root)
    code = ("import os, errno\n"
            "open('/out/f', 'w').close()\n"
            "for uid, gid in ((1234, 1234), (65534, 65534), (0, 1234), (1234, 0)):\n"
            "    try:\n"
            "        os.chown('/out/f', uid, gid)\n"
            "        print('chowned', uid, gid)\n"
            "    except OSError as e:\n"
            "        print('refused', uid, gid, errno.errorcode[e.errno])\n")
    cp = nsl.py(code, "--bind", f"{out}:/out")
    assert cp.returncode == 0, cp.stderr
    assert "chowned" not in cp.stdout, cp.stdout
    assert cp.stdout.count("refused") == 4
    st = os.stat(os.path.join(out, "f"))
    assert (st.st_uid, st.st_gid) == (0, 0)


@root_only
def test_other_owners_files_stay_out_of_reach(nsl, fs_root):
    """Only the source's owner is mapped: a file of another user below it (a
    hardlink included) is not the plugin's, and a symlink resolves inside the
    sandbox."""
    out = _private_dir(fs_root)
    other = os.path.join(fs_root, "other-secret")
    with open(other, "w") as f:
        f.write("not yours\n")
    os.chown(other, 4321, 4321)
    os.chmod(other, 0o600)
    os.link(other, os.path.join(out, "hardlink"))
    os.symlink("/etc/shadow", os.path.join(out, "shadow"))
    cp = nsl.sh("stat -c '%u' /out/hardlink; cat /out/hardlink; echo rc=$?; cat /out/shadow; echo rc=$?",
                "--bind", f"{out}:/out")
    lines = cp.stdout.split("\n")
    assert lines[0] == "65534", cp.stdout      # the overflow id: unmapped
    assert "not yours" not in cp.stdout and "root:" not in cp.stdout
    assert lines[1] == "rc=1" and lines[2] == "rc=1", cp.stdout
    with open(other) as f:
        assert f.read() == "not yours\n"


@root_only
def test_idmapped_mount_keeps_nosuid_nodev(nsl, fs_root):
    out = _private_dir(fs_root)
    cp = nsl.sh("grep ' /out ' /proc/self/mountinfo", "--bind", f"{out}:/out")
    assert cp.returncode == 0, cp.stderr
    options = cp.stdout.split()[5].split(",")
    assert {"rw", "nosuid", "nodev", "idmapped"} <= set(options), cp.stdout
    cp = nsl.sh("grep ' /out ' /proc/self/mountinfo", "--bind", f"{out}:/out:noidmap")
    assert "idmapped" not in cp.stdout


@root_only
def test_private_plugin_dir_is_readable(nsl, hostdir):
    """A plugin directory made by mktemp -d (root, 0700) bound read-only."""
    plugin = hostdir(0o700)
    with open(os.path.join(plugin, "main.py"), "w") as f:
        f.write("print('plugin ran')\n")
    cp = nsl.run("--ro-bind", f"{plugin}:/usr/local/plugins", cmd=["/usr/bin/python3", "/usr/local/plugins/main.py"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "plugin ran\n"
    assert stderr_lines(cp) == []


@root_only
def test_noidmap_fails_with_the_documented_warning(nsl, fs_root):
    out = _private_dir(fs_root)
    cp = nsl.sh("echo data > /out/new", "--bind", f"{out}:/out:noidmap")
    assert cp.returncode != 0
    lines = stderr_lines(cp)
    assert_warning(lines[0], f"nslaunch: warning: --bind: {out}: ",
                   "cannot read it (owner 0, mode 0700); without :noidmap nslaunch would make it an idmapped mount")
    assert "Permission denied" in lines[1]
    assert os.listdir(out) == []


@root_only
def test_usable_source_is_not_idmapped_unless_asked(nsl, fs_root):
    out = _private_dir(fs_root, mode=0o777)
    assert nsl.sh("echo a > /out/plain", "--bind", f"{out}:/out").returncode == 0
    assert os.stat(os.path.join(out, "plain")).st_uid in SANDBOX_UIDS
    cp = nsl.sh("echo a > /out/mapped", "--bind", f"{out}:/out:rw,idmap")
    assert cp.returncode == 0, cp.stderr
    assert os.stat(os.path.join(out, "mapped")).st_uid == 0


@root_only
def test_read_only_idmapped_bind_stays_read_only(nsl, fs_root):
    out = _private_dir(fs_root)
    with open(os.path.join(out, "f"), "w") as f:
        f.write("ro\n")
    cp = nsl.sh("cat /out/f; echo x > /out/f || echo refused; chmod 777 /out/f || echo refused",
                "--ro-bind", f"{out}:/out")
    assert cp.stdout == "ro\nrefused\nrefused\n", cp.stderr
    assert os.stat(os.path.join(out, "f")).st_mode & 0o777 == 0o644


@pytest.fixture
def overlay_dir(scratch):
    for d in ("lower", "upper", "work", "merged"):
        os.mkdir(os.path.join(scratch, d))
    merged = os.path.join(scratch, "merged")
    _mount("-t", "overlay", "overlay", "-o",
           f"lowerdir={scratch}/lower,upperdir={scratch}/upper,workdir={scratch}/work", merged)
    os.chmod(merged, 0o700)
    return merged


@root_only
def test_unsupported_filesystem_explicit_idmap_is_one_line(nsl, overlay_dir, tmp_path):
    status = tmp_path / "status.json"
    cp = nsl.sh("true", "--status-json", status, "--bind", f"{overlay_dir}:/out:idmap")
    assert cp.returncode == 125
    line = assert_one_error_line(cp)
    assert line == (f"nslaunch: --bind: {overlay_dir}: overlayfs does not support idmapped mounts on this kernel "
                    "(Invalid argument): drop :idmap and let others use the source (chmod), or run the sandbox "
                    "as its owner with --host-uid and --host-gid")
    with open(status) as f:
        assert json.load(f)["error"]["stage"] == "open-sources"


@root_only
def test_unsupported_filesystem_by_default_warns_and_binds(nsl, overlay_dir):
    cp = nsl.sh("ls /out && echo listed", "--bind", f"{overlay_dir}:/out")
    lines = stderr_lines(cp)
    assert_warning(lines[0], f"nslaunch: warning: --bind: {overlay_dir}: ",
                   "cannot read it (owner 0, mode 0700); overlayfs does not support idmapped mounts here: let "
                   "others use the source (chmod), or run the sandbox as its owner with --host-uid and --host-gid")
    assert "listed" not in cp.stdout


@root_only
def test_many_owners_one_namespace_each(nsl, fs_root):
    dirs = [_private_dir(fs_root, f"o{i}", uid=5000 + i % 3, gid=5000 + i % 3) for i in range(6)]
    opts = []
    for i, d in enumerate(dirs):
        opts += ["--bind", f"{d}:/o{i}"]
    cp = nsl.sh(" && ".join(f"touch /o{i}/f" for i in range(6)), *opts)
    assert cp.returncode == 0, cp.stderr
    for i, d in enumerate(dirs):
        assert os.stat(os.path.join(d, "f")).st_uid == 5000 + i % 3


@rootless_only
def test_rootless_idmap_is_refused(nsl, hostdir):
    d = hostdir(0o700)
    cp = nsl.sh("true", "--bind", f"{d}:/out:idmap")
    assert cp.returncode == 125
    assert assert_one_error_line(cp) == (
        f"nslaunch: --bind: {d}: :idmap needs nslaunch run as root (rootless, the sandbox user is you: "
        "it reads and writes what you can; drop :idmap)")


@rootless_only
def test_rootless_binds_work_as_before(nsl, hostdir):
    d = hostdir(0o700)
    for opt in ("", ":noidmap", ":rw,noidmap"):
        cp = nsl.sh("echo x > /out/f && cat /out/f", "--bind", f"{d}:/out{opt}")
        assert cp.returncode == 0 and cp.stdout == "x\n", cp.stderr
        assert stderr_lines(cp) == []
        st = os.stat(os.path.join(d, "f"))
        assert st.st_uid == os.geteuid()


_SETID_PROBE = """
import os, errno
def attempt(name, f):
    try:
        f()
        print(name, "allowed")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
open("/out/f", "w").close()
attempt("chmod-suid", lambda: os.chmod("/out/f", 0o4755))
attempt("chmod-sgid", lambda: os.chmod("/out/f", 0o2755))
attempt("create-suid", lambda: os.close(os.open("/out/g", os.O_CREAT | os.O_WRONLY, 0o4755)))
attempt("chmod-plain", lambda: os.chmod("/out/f", 0o700))
open("/tmp/t", "w").close()
attempt("tmp-suid", lambda: os.chmod("/tmp/t", 0o4755))
"""


@root_only
@pytest.mark.parametrize("seccomp", ["default", "unconfined"])
def test_plugin_cannot_make_set_id_files_on_the_host(nsl, fs_root, seccomp):
    """On a writable idmapped bind the plugin is the source's owner (root
    here): a set-user-ID file it made would be root's on the host, where
    nosuid does not apply.  The set-id guard refuses such modes, under any
    profile."""
    out = _private_dir(fs_root)
    cp = nsl.py(_SETID_PROBE, "--seccomp", seccomp, "--bind", f"{out}:/out")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split("\n")[:5] == ["chmod-suid EPERM", "chmod-sgid EPERM", "create-suid EPERM",
                                         "chmod-plain allowed", "tmp-suid EPERM"]
    assert os.stat(os.path.join(out, "f")).st_mode & 0o7777 == 0o700
    assert not os.path.exists(os.path.join(out, "g"))


@root_only
def test_set_id_guard_only_with_a_writable_idmapped_bind(nsl, fs_root):
    ro = _private_dir(fs_root, "ro")
    rw = _private_dir(fs_root, "rw", mode=0o777)
    cp = nsl.py(_SETID_PROBE, "--ro-bind", f"{ro}:/ro", "--bind", f"{rw}:/out")
    assert cp.returncode == 0, cp.stderr
    assert "chmod-suid allowed" in cp.stdout and "tmp-suid allowed" in cp.stdout
    # not idmapped: the file is the sandbox user's on the host
    assert os.stat(os.path.join(rw, "f")).st_uid in SANDBOX_UIDS


def _children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append((int(entry), fields[0]))
    return kids


@root_only
def test_user_namespace_helpers_are_gone_before_the_command_runs(nsl, fs_root):
    """A helper holds its user namespace only while nslaunch writes its maps,
    then ends on its own (nslaunch reaps it at go if it has ended by then,
    else when the sandbox is freed: its exit is off the launch's path)."""
    dirs = [_private_dir(fs_root, f"o{i}", uid=6000 + i, gid=6000 + i) for i in range(3)]
    opts = []
    for i, d in enumerate(dirs):
        opts += ["--bind", f"{d}:/o{i}"]
    p = nsl.popen("run", *opts, "--", "/bin/sh", "-c", "echo ready; exec sleep 10", text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        deadline = time.monotonic() + 5
        while True:
            living = [kid for kid in _children(p.pid) if kid[1] != "Z"]
            if len(living) == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert len(living) == 1, _children(p.pid)        # the sandbox's init
        assert len(_children(p.pid)) <= 1 + len(dirs)
    finally:
        p.terminate()
        p.communicate(timeout=10)
    # nslaunch has ended: the guard (no_leftover_processes) finds no helper
