"""uts and user namespaces: hostname, uid/gid maps."""

import os

import pytest

from conftest import IS_ROOT, PY, SH, sh_guard

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="root callers only")
rootless_only = pytest.mark.skipif(os.geteuid() == 0, reason="rootless path only")

HOSTNAME = "import os; print(os.uname().nodename)"

MAPS = ("import os\n"
        "print(os.getuid(), os.getgid())\n"
        "for m in ('uid_map', 'gid_map'):\n"
        "    lines = open('/proc/self/' + m).read().splitlines()\n"
        "    print(m, len(lines), *(lines[0].split() if lines else []))\n")


def run_maps(nsl, *opts):
    cp = nsl.py(MAPS, *opts)
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    uid, gid = map(int, lines[0].split())
    maps = {}
    for line in lines[1:]:
        name, count, *fields = line.split()
        maps[name] = (int(count), tuple(int(x) for x in fields))
    return uid, gid, maps


def test_hostname_default_sandbox(nsl):
    cp = nsl.py(HOSTNAME)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "sandbox\n"


def test_hostname_option(nsl):
    cp = nsl.py(HOSTNAME, "--hostname", "foo")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "foo\n"


def test_hostname_does_not_change_host(nsl):
    before = os.uname().nodename
    cp = nsl.sh(sh_guard("foo") + "hostname bar 2>/dev/null; true", "--hostname", "foo")
    assert cp.returncode == 0
    assert os.uname().nodename == before


def test_uid_map_single_line(nsl):
    _, _, maps = run_maps(nsl)
    assert maps["uid_map"][0] == 1, maps
    assert maps["gid_map"][0] == 1, maps
    assert maps["uid_map"][1][2] == 1, "map covers more than one id"
    assert maps["gid_map"][1][2] == 1, "map covers more than one id"


def test_id_default(nsl):
    cp = nsl.sh("id -u; id -g")
    assert cp.returncode == 0, cp.stderr
    want = "0\n0\n" if IS_ROOT else f"{os.getuid()}\n{os.getgid()}\n"
    assert cp.stdout == want


def test_id_with_uid_gid_options(nsl):
    cp = nsl.sh("id -u; id -g", "--uid", "1234", "--gid", "4321")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "1234\n4321\n"
    uid, gid, maps = run_maps(nsl, "--uid", "1234", "--gid", "4321")
    assert (uid, gid) == (1234, 4321)
    assert maps["uid_map"][1][0] == 1234
    assert maps["gid_map"][1][0] == 4321


@root_only
def test_root_default_host_side_is_65534(nsl):
    uid, gid, maps = run_maps(nsl)
    assert (uid, gid) == (0, 0)
    assert maps["uid_map"][1] == (0, 65534, 1), maps
    assert maps["gid_map"][1] == (0, 65534, 1), maps


@root_only
def test_root_files_created_belong_to_65534(nsl, hostdir):
    d = hostdir(0o777)
    cp = nsl.sh("echo x > /data/f", "--bind", f"{d}:/data")
    assert cp.returncode == 0, cp.stderr
    st = os.stat(os.path.join(d, "f"))
    assert (st.st_uid, st.st_gid) == (65534, 65534)


@root_only
def test_root_host_uid_0_maps_host_root(nsl):
    _, _, maps = run_maps(nsl, "--host-uid", "0")
    assert maps["uid_map"][1] == (0, 0, 1), maps


@root_only
def test_root_host_uid_gid_custom(nsl):
    _, _, maps = run_maps(nsl, "--uid", "5", "--gid", "6",
                          "--host-uid", "40000", "--host-gid", "40001")
    assert maps["uid_map"][1] == (5, 40000, 1), maps
    assert maps["gid_map"][1] == (6, 40001, 1), maps


@rootless_only
def test_rootless_maps_to_caller(nsl):
    uid, gid, maps = run_maps(nsl)
    assert (uid, gid) == (os.getuid(), os.getgid())
    assert maps["uid_map"][1] == (os.getuid(), os.getuid(), 1), maps
    assert maps["gid_map"][1] == (os.getgid(), os.getgid(), 1), maps


@rootless_only
def test_rootless_cannot_map_host_root(nsl):
    cp = nsl.py(MAPS, "--host-uid", "0")
    if cp.returncode == 0:
        uid_map = cp.stdout.splitlines()[1].split()
        assert int(uid_map[3]) == os.getuid(), f"host root mapped: {cp.stdout}"
    else:
        assert cp.returncode == 125, (cp.returncode, cp.stderr)
        assert cp.stderr.startswith("nslaunch: ")


@rootless_only
def test_rootless_setgroups_denied(nsl):
    cp = nsl.run(cmd=["cat", "/proc/self/setgroups"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip() == "deny"
