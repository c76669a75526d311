"""uts and user namespaces: hostname, uid/gid maps."""

import os
import subprocess

import pytest

from conftest import DEFAULT_TIMEOUT, IS_ROOT, PY, SH, host_ids_given_back, host_ids_locked, sandbox_host_ids, sh_guard

SANDBOX_UIDS = sandbox_host_ids()

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
def test_root_default_host_side_is_an_id_of_the_sandbox_range(nsl):
    uid, gid, maps = run_maps(nsl)
    assert (uid, gid) == (0, 0)
    host_uid, host_gid = maps["uid_map"][1][1], maps["gid_map"][1][1]
    assert maps["uid_map"][1] == (0, host_uid, 1) and maps["gid_map"][1] == (0, host_gid, 1), maps
    assert host_uid in SANDBOX_UIDS and host_gid in sandbox_host_ids("/etc/subgid"), maps


@root_only
def test_root_files_created_belong_to_the_sandbox_host_id(nsl, hostdir):
    d = hostdir(0o777)
    cp = nsl.sh("echo x > /data/f; cat /proc/self/uid_map", "--bind", f"{d}:/data")
    assert cp.returncode == 0, cp.stderr
    host_uid = int(cp.stdout.split()[1])
    st = os.stat(os.path.join(d, "f"))
    assert st.st_uid == host_uid and st.st_uid in SANDBOX_UIDS, (st.st_uid, cp.stdout)


HOLD = "cat /proc/self/uid_map /proc/self/gid_map; read _"


def host_ids_of(proc):
    """(uid, gid) on the host of a sandbox started with HOLD."""
    uid_line, gid_line = proc.stdout.readline(), proc.stdout.readline()
    return int(uid_line.split()[1]), int(gid_line.split()[1])


@root_only
def test_running_sandboxes_have_host_ids_of_their_own_until_they_end(nsl):
    procs = [nsl.popen("run", "--", SH, "-c", HOLD, stdin=subprocess.PIPE, text=True) for _ in range(3)]
    try:
        ids = [host_ids_of(p) for p in procs]
        assert len({u for u, _ in ids}) == 3 and len({g for _, g in ids}) == 3, ids
        locked = host_ids_locked()
        assert all(u in locked and (1 << 32) + g in locked for u, g in ids), (ids, sorted(locked))
    finally:
        for p in procs:
            p.communicate(input="\n", timeout=DEFAULT_TIMEOUT)
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert host_ids_given_back([u for u, _ in ids] + [(1 << 32) + g for _, g in ids]), (ids, host_ids_locked())


@root_only
def test_a_sigkilled_launchers_host_ids_are_given_back(nsl):
    p = nsl.popen("run", "--", SH, "-c", HOLD, stdin=subprocess.PIPE, text=True)
    uid, gid = host_ids_of(p)
    assert uid in host_ids_locked()
    p.kill()
    p.wait()
    # init dies with it (its parent-death signal)
    assert host_ids_given_back([uid, (1 << 32) + gid], within=5), host_ids_locked()


@root_only
def test_named_host_ids_take_nothing_from_the_range(nsl):
    p = nsl.popen("run", "--host-uid", "65534", "--host-gid", "65534", "--", SH, "-c", HOLD,
                  stdin=subprocess.PIPE, text=True)
    try:
        assert host_ids_of(p) == (65534, 65534)
        assert 65534 not in host_ids_locked()
    finally:
        p.communicate(input="\n", timeout=DEFAULT_TIMEOUT)


def in_private_etc(nsl_path, subuid, script):
    """Runs script (sh) in a mount namespace of its own where /etc/subuid
    and /etc/subgid read as subuid: the host's files are never changed."""
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         f"mount --bind {subuid} /etc/subuid && mount --bind {subuid} /etc/subgid && {script}"],
        capture_output=True, text=True, timeout=90, env=dict(os.environ, NSL=nsl_path))


@root_only
def test_the_range_is_nslaunchs_subuid_entry_and_its_end_is_one_clear_line(nsl, hostdir):
    d = hostdir(0o777)
    subuid = os.path.join(d, "subuid")
    with open(subuid, "w") as f:
        f.write("someone:100000:65536\nnslaunch:1879100000:1\n")
    os.chmod(subuid, 0o644)
    # the second launch only once the first holds the one id (a slow machine
    # may take seconds to get there)
    cp = in_private_etc(nsl.path, subuid,
                        f'"$NSL" run --bind {d}:/out -- sh -c "cat /proc/self/uid_map > /out/map; exec sleep 30" & '
                        f'first=$!; i=0; while [ ! -s {d}/map ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; '
                        '"$NSL" run -- true; echo "second: $?"; kill $first; wait')
    with open(os.path.join(d, "map")) as f:
        assert f.read().split() == ["0", "1879100000", "1"], (cp.stdout, cp.stderr)
    assert cp.stdout == "second: 125\n", (cp.stdout, cp.stderr)
    assert ("nslaunch: host-ids: all 1 host ids of nslaunch's range (1879100000-1879100000) are taken by running "
            "sandboxes: widen it with a 'nslaunch:START:COUNT' line in /etc/subuid and /etc/subgid") \
        in cp.stderr.splitlines(), cp.stderr
    with open(subuid, "w") as f:
        f.write("nslaunch:0:10\n")
    cp = in_private_etc(nsl.path, subuid, '"$NSL" run -- true')
    assert cp.returncode == 125 and cp.stderr.startswith("nslaunch: host-ids: /etc/subuid: line 1: the range 0:10 "
                                                         "must start above 0"), cp.stderr


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
