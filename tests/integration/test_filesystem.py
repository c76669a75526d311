"""Mount namespace: the root, tmpfs, binds, --rootfs, /dev, /proc, --cwd."""

import os
import stat
import subprocess

import pytest

from conftest import PY, SH, assert_one_error_line, mounts_under, py_guard, sh_guard


# ---------------------------------------------------------------- the root


def test_root_is_read_only(nsl):
    cp = nsl.sh(sh_guard() + "touch /x")
    assert cp.returncode != 0
    assert "Read-only" in cp.stderr, cp.stderr


@pytest.mark.parametrize("path", ["/usr/nslaunch-test-new", "/etc/nslaunch-test-new"])
def test_usr_and_etc_are_read_only(nsl, path):
    cp = nsl.sh(sh_guard() + f"touch {path}")
    assert cp.returncode != 0
    assert "Read-only" in cp.stderr, cp.stderr
    assert not os.path.exists(path)


def test_default_root_shows_host_usr_and_etc(nsl):
    cp = nsl.run(cmd=["ls", "-1", "/usr/bin/"])
    assert cp.returncode == 0, cp.stderr
    assert set(cp.stdout.split()) == set(os.listdir("/usr/bin"))
    cp = nsl.run(cmd=["cat", "/etc/passwd"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == open("/etc/passwd").read()


def test_default_root_merged_usr_symlinks_stay_symlinks(nsl):
    links = [n for n in ("bin", "sbin", "lib", "lib64") if os.path.islink("/" + n)]
    if not links:
        pytest.skip("host has no merged-/usr symlinks")
    code = ("import os\n"
            f"for n in {links!r}: print(n, os.path.islink('/' + n) and os.readlink('/' + n))")
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    for line in cp.stdout.splitlines():
        name, target = line.split()
        assert target == os.readlink("/" + name), line


def test_default_root_hides_rest_of_host(nsl):
    # Only /usr, /etc and /bin /sbin /lib* come from the host.
    cp = nsl.py("import os; print(' '.join(sorted(os.listdir('/'))))")
    assert cp.returncode == 0, cp.stderr
    names = set(cp.stdout.split())
    assert {"usr", "etc", "tmp", "dev", "proc"} <= names, names
    for host_only in ("root", "home", "work", "srv", "opt", "boot", "mnt"):
        if os.path.exists("/" + host_only):
            assert host_only not in names, (host_only, names)


def test_rw_root_allows_writing_root(nsl):
    cp = nsl.sh(sh_guard() + "touch /newfile && echo ok", "--rw-root")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "ok\n"
    assert not os.path.exists("/newfile")


def test_rw_root_keeps_usr_read_only(nsl):
    cp = nsl.sh(sh_guard() + "touch /usr/nslaunch-test-new", "--rw-root")
    assert cp.returncode != 0
    assert "Read-only" in cp.stderr
    assert not os.path.exists("/usr/nslaunch-test-new")


# ------------------------------------------------------------------- --rootfs


def test_rootfs_is_read_only_by_default(nsl, rootfs):
    r, opts = rootfs(mode=0o777)
    cp = nsl.sh("touch /newfile", *opts)
    assert cp.returncode != 0
    assert "Read-only" in cp.stderr, cp.stderr
    assert not os.path.exists(os.path.join(r, "newfile"))


def test_rootfs_rw_root_writes_land_in_directory(nsl, rootfs):
    r, opts = rootfs(mode=0o777)
    cp = nsl.sh("echo hello > /newfile && cat /newfile", "--rw-root", *opts)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "hello\n"
    with open(os.path.join(r, "newfile")) as f:
        assert f.read() == "hello\n"


def test_rootfs_is_the_root(nsl, rootfs):
    r, opts = rootfs()
    with open(os.path.join(r, "etc", "marker"), "w") as f:
        f.write("in-rootfs\n")
    cp = nsl.run(*opts, cmd=["cat", "/etc/marker"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "in-rootfs\n"
    cp = nsl.py("import os; print(os.path.exists('/etc/os-release'))", *opts)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "False\n"


# ---------------------------------------------------------------------- tmpfs


def test_tmp_is_writable(nsl):
    cp = nsl.sh(sh_guard() + "echo hi > /tmp/f && cat /tmp/f")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "hi\n"


def test_tmp_is_tmpfs_1777(nsl):
    code = "import os; st=os.stat('/tmp'); print(oct(st.st_mode & 0o7777))"
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "0o1777\n"
    cp = nsl.run(cmd=["cat", "/proc/self/mountinfo"])
    assert cp.returncode == 0, cp.stderr
    tmp = [l for l in cp.stdout.splitlines() if l.split()[4] == "/tmp"]
    assert tmp and " - tmpfs " in tmp[-1], cp.stdout


def test_tmp_is_not_host_tmp(nsl, hostdir):
    d = hostdir()
    cp = nsl.py(f"import os; print(os.path.exists({d!r}))")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "False\n"


def test_tmpfs_size_limit(nsl):
    cp = nsl.sh(sh_guard() + "dd if=/dev/zero of=/tmp/f bs=1k count=2048", "--tmpfs", "/tmp:size=1m")
    assert cp.returncode != 0
    assert "No space left" in cp.stderr, cp.stderr


def test_tmpfs_size_large_enough(nsl):
    cp = nsl.sh(sh_guard() + "dd if=/dev/zero of=/tmp/f bs=1k count=512 2>/dev/null && echo ok",
                "--tmpfs", "/tmp:size=1m")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "ok\n"


def test_tmpfs_new_destination_and_mode(nsl):
    code = "import os; print(oct(os.stat('/scratch').st_mode & 0o7777)); open('/scratch/f','w').write('x')"
    cp = nsl.py(code, "--tmpfs", "/scratch:mode=700")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "0o700\n"


def test_read_only_tmpfs_stays_empty(nsl):
    """--tmpfs DEST:ro (an OCI tmpfs with ro, podman's --tmpfs DEST:ro)"""
    code = ("import errno, os\n"
            "try:\n    open('/empty/f', 'w')\nexcept OSError as e:\n    print(errno.errorcode[e.errno])\n"
            "print(os.listdir('/empty'), open('/proc/self/mountinfo').read().count(' /empty ro,'))")
    cp = nsl.py(code, "--tmpfs", "/empty:ro,size=1m")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "EROFS\n[] 1\n"


def test_dev_shm_writable(nsl):
    cp = nsl.sh(sh_guard() + "echo x > /dev/shm/f && cat /dev/shm/f")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "x\n"


# ---------------------------------------------------------------------- binds


def test_ro_bind_is_unwritable(nsl, hostdir):
    d = hostdir(0o777)
    with open(os.path.join(d, "existing"), "w") as f:
        f.write("data\n")
    cp = nsl.sh("cat /data/existing; touch /data/x", "--ro-bind", f"{d}:/data")
    assert cp.returncode != 0
    assert cp.stdout == "data\n"
    assert "Read-only" in cp.stderr, cp.stderr
    assert sorted(os.listdir(d)) == ["existing"]


def test_bind_ro_flag_is_unwritable(nsl, hostdir):
    d = hostdir(0o777)
    cp = nsl.sh("touch /data/x", "--bind", f"{d}:/data:ro")
    assert cp.returncode != 0
    assert "Read-only" in cp.stderr, cp.stderr
    assert os.listdir(d) == []


def test_bind_is_writable_and_visible_on_host(nsl, hostdir):
    d = hostdir(0o777)
    cp = nsl.sh("echo hello > /data/out", "--bind", f"{d}:/data")
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(d, "out")) as f:
        assert f.read() == "hello\n"


def test_bind_rw_flag(nsl, hostdir):
    d = hostdir(0o777)
    cp = nsl.sh("echo hello > /data/out", "--bind", f"{d}:/data:rw")
    assert cp.returncode == 0, cp.stderr
    assert os.path.exists(os.path.join(d, "out"))


def test_bind_file(nsl, hostdir):
    d = hostdir()
    src = os.path.join(d, "conf")
    with open(src, "w") as f:
        f.write("conf-content\n")
    cp = nsl.run("--ro-bind", f"{src}:/etc/app.conf", cmd=["cat", "/etc/app.conf"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "conf-content\n"
    assert not os.path.exists("/etc/app.conf")


def test_nested_binds(nsl, hostdir):
    outer = hostdir()
    inner = hostdir()
    with open(os.path.join(inner, "deep"), "w") as f:
        f.write("deep\n")
    os.mkdir(os.path.join(outer, "sub"))
    cp = nsl.run("--ro-bind", f"{outer}:/a", "--ro-bind", f"{inner}:/a/sub",
                 cmd=["cat", "/a/sub/deep"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "deep\n"


def test_bind_under_host_usr_does_not_touch_host(nsl, hostdir):
    if os.path.lexists("/usr/local/plugins"):
        pytest.skip("/usr/local/plugins exists on this host")
    src = hostdir()
    with open(os.path.join(src, "plugin.so"), "w") as f:
        f.write("plugin\n")
    code = ("import os\n"
            "print(sorted(os.listdir('/usr/local/plugins')))\n"
            "print(sorted(os.listdir('/usr/local')))\n"
            "print(sorted(os.listdir('/usr/local/bin')))\n"
            "try:\n"
            "    open('/usr/local/plugins/new', 'w'); print('writable')\n"
            "except OSError as e:\n"
            "    print('errno', e.errno)\n")
    before_local = sorted(os.listdir("/usr/local"))
    cp = nsl.py(code, "--bind", f"{src}:/usr/local/plugins:ro")
    assert not os.path.exists("/usr/local/plugins"), "host /usr/local was modified"
    assert sorted(os.listdir("/usr/local")) == before_local
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0] == str(["plugin.so"])
    assert lines[1] == str(sorted(before_local + ["plugins"]))
    assert lines[2] == str(sorted(os.listdir("/usr/local/bin")))
    assert lines[3] == "errno 30", lines[3]  # EROFS
    assert not os.path.exists(os.path.join(src, "new"))


@pytest.mark.skipif(os.geteuid() != 0, reason="root's own 0700 home is the case")
def test_root_binds_what_root_can_read(nsl, hostdir, rootfs):
    """A 0700 directory of root's, like /root where root clones a project:
    the sandbox's identity (host uid 65534) could not search it, and does
    not have to: nslaunch clones bind sources before that identity applies."""
    home = hostdir(0o755)
    plugins = os.path.join(home, "project", "plugins")
    os.makedirs(plugins)
    with open(os.path.join(plugins, "main.py"), "w") as f:
        f.write("print('plugin ran')\n")
    path, opts = rootfs(extra_dirs=("p",))
    private_root = os.path.join(home, "project", "image")
    os.rename(path, private_root)
    os.chmod(home, 0o700)
    cp = nsl.run("--ro-bind", f"{plugins}:/usr/local/plugins", cmd=[PY, "/usr/local/plugins/main.py"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "plugin ran\n"
    cp = nsl.run("--rootfs", private_root, *opts[2:], "--ro-bind", f"{plugins}:/p", cmd=["/bin/cat", "/p/main.py"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "print('plugin ran')\n"
    # without an idmapped mount (test_idmap_binds.py) the rest of the 0700
    # tree stays its owner's
    cp = nsl.sh("ls /data/project", "--ro-bind", f"{home}:/data:noidmap")
    assert cp.returncode != 0
    assert "Permission denied" in cp.stderr, cp.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="makes a shared mount on the host")
def test_bind_of_shared_mount_propagates_nothing(nsl, hostdir):
    """A bind source cloned from a shared host mount would join the host's
    peer group: a mount made inside the sandbox under it must not appear on
    the host (nor the other way round)."""
    src = hostdir()
    os.mkdir(os.path.join(src, "sub"))
    subprocess.run(["mount", "--bind", src, src], check=True)
    try:
        subprocess.run(["mount", "--make-shared", src], check=True)
        before = mounts_under(src)
        cp = nsl.sh("grep -c ' /data/sub ' /proc/self/mountinfo; grep ' /data ' /proc/self/mountinfo",
                    "--bind", f"{src}:/data", "--tmpfs", "/data/sub")
        assert cp.returncode == 0, cp.stderr
        lines = cp.stdout.splitlines()
        assert lines[0] == "1", cp.stdout
        assert "shared:" not in lines[1], lines[1]
        assert mounts_under(src) == before
    finally:
        subprocess.run(["umount", "--recursive", src], check=True)   # what leaked out too


def test_bind_missing_source_is_125(nsl):
    cp = nsl.run("--bind", "/nonexistent/src/dir:/data", cmd=["/bin/true"])
    assert cp.returncode == 125, (cp.returncode, cp.stderr)
    line = assert_one_error_line(cp)
    assert "/nonexistent/src/dir" in line


# ------------------------------------------------------------------------ /dev


DEV_CHARS = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
             "urandom": (1, 9), "tty": (5, 0)}


def test_dev_contents(nsl):
    cp = nsl.py("import os; print(' '.join(sorted(os.listdir('/dev'))))")
    assert cp.returncode == 0, cp.stderr
    names = set(cp.stdout.split())
    want = {"null", "zero", "full", "random", "urandom", "tty", "fd", "stdin",
            "stdout", "stderr", "pts", "shm", "ptmx"}
    assert want <= names, f"missing: {sorted(want - names)}"
    assert "console" not in names
    # Nothing else of the host's /dev (disks, kmsg, mem, ...).
    for bad in ("kmsg", "mem", "sda", "vda", "loop0", "fuse", "kvm"):
        assert bad not in names, bad


def test_dev_char_devices(nsl):
    code = ("import os, stat\n"
            f"for n in {sorted(DEV_CHARS)!r}:\n"
            "    st = os.stat('/dev/' + n)\n"
            "    print(n, stat.S_ISCHR(st.st_mode), os.major(st.st_rdev), os.minor(st.st_rdev))\n")
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    got = {}
    for line in cp.stdout.splitlines():
        n, ischr, maj, mi = line.split()
        got[n] = (ischr == "True", int(maj), int(mi))
    assert got == {n: (True, *v) for n, v in DEV_CHARS.items()}


def test_dev_fd_links(nsl):
    code = ("import os\n"
            "for n in ('fd', 'stdin', 'stdout', 'stderr'): print(n, os.readlink('/dev/' + n))\n"
            "print(sorted(os.listdir('/dev/fd/'), key=int)[:3])\n")
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0] == "fd /proc/self/fd"
    assert lines[1] == "stdin /proc/self/fd/0"
    assert lines[2] == "stdout /proc/self/fd/1"
    assert lines[3] == "stderr /proc/self/fd/2"
    assert lines[4] == "['0', '1', '2']"


def test_dev_null_zero_full_behave(nsl):
    code = ("import errno\n"
            "open('/dev/null','w').write('x'*100)\n"
            "print(open('/dev/null','rb').read() == b'')\n"
            "print(open('/dev/zero','rb').read(4) == b'\\0'*4)\n"
            "try:\n"
            "    f = open('/dev/full','w', buffering=1); f.write('x\\n'); print('no error')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno])\n"
            "print(len(open('/dev/urandom','rb').read(16)))\n")
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["True", "True", "ENOSPC", "16"]


def test_dev_cannot_create_devices(nsl):
    cp = nsl.py(py_guard() + "import os; os.mknod('/dev/shm/sda', 0o600 | 0o060000, os.makedev(8, 0))")
    assert cp.returncode != 0
    assert "PermissionError" in cp.stderr or "Operation not permitted" in cp.stderr, cp.stderr


# ----------------------------------------------------------------------- /proc


def test_proc_default_is_pid_subset(nsl):
    cp = nsl.py("import os; print(' '.join(sorted(os.listdir('/proc'))))")
    assert cp.returncode == 0, cp.stderr
    names = set(cp.stdout.split())
    assert "self" in names, names
    assert any(n.isdigit() for n in names), names
    for hidden in ("sys", "kcore", "sysrq-trigger", "kmsg", "meminfo"):
        assert hidden not in names, hidden


def test_proc_full_has_sys_read_only(nsl):
    code = ("import errno, os\n"
            "print(os.path.isdir('/proc/sys/kernel'))\n"
            "try:\n"
            "    open('/proc/sys/kernel/hostname', 'w').write('pwned'); print('written')\n"
            "except OSError as e:\n"
            "    print(errno.errorcode[e.errno])\n"
            "print(os.uname().nodename)\n")
    cp = nsl.py(py_guard() + code, "--proc", "full")
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert lines[0] == "True"
    assert lines[1] == "EROFS", lines
    assert lines[2] == "sandbox"


@pytest.mark.parametrize("name", ["kcore", "kmsg"])
def test_proc_full_sensitive_files_masked(nsl, name):
    code = ("import os\n"
            f"p = '/proc/{name}'\n"
            "if not os.path.exists(p):\n"
            "    print('absent')\n"
            "else:\n"
            "    with open(p, 'rb') as f: print('read', len(f.read(4096)))\n")
    cp = nsl.py(code, "--proc", "full")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout in ("absent\n", "read 0\n"), cp.stdout


def test_proc_full_sysrq_trigger_not_writable(nsl):
    # Where the kernel has sysrq (Debian's do; this machine's does not) the
    # file is covered by the null device: a write succeeds and goes nowhere.
    code = ("import os, stat\n"
            "p = '/proc/sysrq-trigger'\n"
            "if not os.path.exists(p):\n"
            "    print('absent')\n"
            "else:\n"
            "    st = os.stat(p)\n"
            "    null = stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)\n"
            "    try:\n"
            "        open(p, 'w').write('h')\n"
            "        print('written to null' if null else 'written')\n"
            "    except OSError as e:\n"
            "        print('refused')\n")
    cp = nsl.py(py_guard() + code, "--proc", "full")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout in ("absent\n", "refused\n", "written to null\n"), cp.stdout


def test_proc_full_shows_only_sandbox_pids(nsl):
    cp = nsl.py("import os; print(' '.join(p for p in os.listdir('/proc') if p.isdigit()))",
                "--proc", "full")
    assert cp.returncode == 0, cp.stderr
    pids = [int(p) for p in cp.stdout.split()]
    assert 1 in pids and len(pids) <= 4 and max(pids) < 20, pids


# ------------------------------------------------------------------------ cwd


def test_cwd_default_is_root(nsl, tmp_path):
    cp = nsl.run(cmd=["/bin/pwd"], cwd=str(tmp_path))
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "/\n"


def test_cwd_option(nsl):
    cp = nsl.run("--cwd", "/tmp", cmd=["/bin/pwd"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "/tmp\n"


def test_cwd_resolved_inside_root(nsl, hostdir):
    d = hostdir()
    cp = nsl.run("--cwd", d, cmd=["/bin/pwd"])
    assert cp.returncode == 125, (cp.returncode, cp.stdout, cp.stderr)
    assert_one_error_line(cp)


def test_cwd_proc_self_fd_refused(nsl):
    cp = nsl.run("--cwd", "/proc/self/fd/0", cmd=["/bin/pwd"])
    assert cp.returncode == 125, (cp.returncode, cp.stdout, cp.stderr)
    assert_one_error_line(cp)
    assert cp.stdout == ""


def test_cwd_nonexistent_is_125(nsl):
    cp = nsl.run("--cwd", "/nonexistent-dir-nslaunch", cmd=["/bin/pwd"])
    assert cp.returncode == 125, (cp.returncode, cp.stdout, cp.stderr)
    line = assert_one_error_line(cp)
    assert "/nonexistent-dir-nslaunch" in line
