"""nslaunch rootfs from-host: a minimal rootfs of host programs and exactly
the shared objects they load, which then runs a real plugin."""

import json
import os
import stat
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = next((p for p in (os.path.join(HERE, "../../examples/plugin.py"), os.path.join(HERE, "../examples/plugin.py"))
               if os.path.exists(p)), None)


def needed(path):
    """DT_NEEDED as binutils' readelf (not our parser) reports it."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return {line.split("[")[1].split("]")[0] for line in out.splitlines() if "(NEEDED)" in line}


def libraries_in(root):
    found = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if ".so" in f:
                found.setdefault(f, os.path.join(dirpath, f))
    return found


@pytest.fixture
def python_rootfs(nsl, hostdir):
    top = hostdir(prefix="nsl-fromhost-")
    dest = os.path.join(top, "py")
    cp = nsl("rootfs", "from-host", dest, "python3", "uname", timeout=120)
    assert cp.returncode == 0, cp.stderr
    return dest


def test_python_plugin_runs(nsl, python_rootfs):
    assert PLUGIN, "examples/plugin.py not found"
    with open(os.path.join(HERE, "../../examples/request.json") if os.path.exists(
            os.path.join(HERE, "../../examples/request.json")) else os.path.join(HERE, "../examples/request.json")) as f:
        request = f.read()
    os.makedirs(python_rootfs + "/plugin")      # the mountpoint; the sandbox's uid could not make it
    cp = nsl("run", "--rootfs", python_rootfs, "--ro-bind", f"{os.path.dirname(PLUGIN)}:/plugin", "--",
             "python3", "/plugin/plugin.py", input=request, timeout=60)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout)
    assert out["status"] == "ok"
    assert out["summary"] == {"count": 3, "total": 17.75}
    assert out["kernel"].startswith("Linux ")
    assert out["sandbox"]["hostname"] == "sandbox"


def test_only_what_is_needed(nsl, python_rootfs):
    """Every library the copied objects name is there, and the tree holds no
    more than python3's stdlib, its extension modules' libraries and the two
    programs (no /usr/bin besides them)."""
    libs = libraries_in(python_rootfs)
    for prog in ("/usr/bin/uname", os.path.realpath("/usr/bin/python3")):
        for lib in needed(prog):
            assert lib in libs, f"{prog} needs {lib}"
    for name, path in libs.items():
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        for lib in needed(path):
            assert lib in libs, f"{path} needs {lib}"
    usr_bin = sorted(os.listdir(os.path.join(python_rootfs, "usr/bin")))
    assert set(usr_bin) <= {"python3", os.path.basename(os.path.realpath("/usr/bin/python3")), "uname"}, usr_bin
    # the interpreter the binaries name, at its path, with the host's symlinks
    assert os.path.exists(python_rootfs + "/lib64/ld-linux-x86-64.so.2") or not os.path.exists("/lib64")
    assert os.path.islink(python_rootfs + "/lib64") == os.path.islink("/lib64")


def test_no_setuid_from_host(nsl, hostdir):
    top = hostdir(prefix="nsl-fromhost-")
    dest = os.path.join(top, "r")
    cp = nsl("rootfs", "from-host", dest, "/bin/su", timeout=60)
    if not os.path.exists("/bin/su"):
        pytest.skip("no /bin/su")
    assert cp.returncode == 0, cp.stderr
    st = os.lstat(os.path.realpath(dest + "/usr/bin/su") if os.path.exists(dest + "/usr/bin/su") else dest + "/bin/su")
    assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID)


def test_unknown_program(nsl, hostdir):
    top = hostdir(prefix="nsl-fromhost-")
    cp = nsl("rootfs", "from-host", os.path.join(top, "r"), "no-such-program-here")
    assert cp.returncode == 125
    assert "no-such-program-here" in cp.stderr and "no such program" in cp.stderr
