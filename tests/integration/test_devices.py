"""Device nodes in the sandbox: `--device HOST[:CONTAINER]` and, rootless,
an OCI config's linux.devices bind the host's nodes (a user namespace cannot
make one); as root, linux.devices are made as asked, on a tmpfs of
nslaunch's own (docs/cli.md, docs/oci.md). Either way they are the only
mounts without nodev (still nosuid and noexec), checked in the sandbox to be
the node asked for; a host's node keeps its owner and mode (never changed).

The devices used are the host's harmless ones: /dev/zero (1:5) and /dev/full
(1:7), readable by everyone."""

import os
import stat

import pytest

from conftest import IS_ROOT, assert_one_error_line
from test_docker_flags import mount_line
from test_oci_cli import bundle, create, one_error_line, runc, state, wait_status  # noqa: F401 (fixtures)

READ_4 = "head -c 4 {} | od -An -tx1 | tr -d ' \\n'"


def test_a_bound_device_is_usable(nsl):
    cp = nsl.sh("stat -c '%F %t:%T %a' /dev/z2; " + READ_4.format("/dev/z2"), "--device", "/dev/zero:/dev/z2")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["character special file 1:5 666", "00000000"]


def test_the_same_path_by_default_and_outside_dev(nsl):
    cp = nsl.sh(READ_4.format("/dev/zero") + "; echo; test -c /tmp/in/zero && echo char",
                "--device", "/dev/zero", "--device", "/dev/zero:/tmp/in/zero")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["00000000", "char"]


def test_a_plain_bind_of_a_device_stays_nodev(nsl):
    """The control: --bind of the same node cannot be opened."""
    cp = nsl.sh("head -c 1 /tmp/z", "--bind", "/dev/zero:/tmp/z")
    assert cp.returncode != 0 and "Permission denied" in cp.stderr, cp


def test_the_bind_is_nosuid_noexec_and_not_nodev(nsl):
    cp = nsl("run", "--device", "/dev/full:/dev/f", "--", "cat", "/proc/self/mountinfo")
    assert cp.returncode == 0, cp.stderr
    options = mount_line(cp.stdout, "/dev/f")[1].split(",")
    assert "nosuid" in options and "noexec" in options and "nodev" not in options, options


def test_the_hosts_node_is_never_changed(nsl):
    before = os.stat("/dev/zero")
    cp = nsl.sh("chmod 600 /dev/z; chown 0:0 /dev/z; echo done", "--device", "/dev/zero:/dev/z")
    assert cp.stdout.strip() == "done"
    assert cp.stderr.count("Operation not permitted") >= 1 or cp.stderr.count("Read-only") >= 1, cp.stderr
    after = os.stat("/dev/zero")
    assert (after.st_mode, after.st_uid, after.st_gid) == (before.st_mode, before.st_uid, before.st_gid)


def test_writes_reach_the_device(nsl):
    """/dev/full: a write fails with ENOSPC, the device's own answer, not
    EACCES or EPERM as a nodev mount or a refused open would give."""
    cp = nsl.py("import errno, os\n"
                "fd = os.open('/dev/f', os.O_WRONLY)\n"
                "try:\n    os.write(fd, b'x')\nexcept OSError as e:\n    print(errno.errorcode[e.errno])",
                "--device", "/dev/full:/dev/f")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip() == "ENOSPC"


def test_with_landlock_the_device_is_usable(nsl):
    cp = nsl.sh(READ_4.format("/dev/z2"), "--landlock", "strict", "--device", "/dev/zero:/dev/z2")
    if cp.returncode == 125 and "ABI" in cp.stderr:
        pytest.skip("this kernel's Landlock is below ABI 6")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "00000000"


@pytest.mark.parametrize("value, cause", [
    ("/etc/passwd", "--device: /etc/passwd: not a character or block device"),
    ("/dev/nonexistent-nsl", "--device: /dev/nonexistent-nsl: No such file or directory"),
    ("/dev/zero:/dev/z:rwm", "--device: /dev/zero:/dev/z:rwm: expected HOST[:CONTAINER] (no permissions"),
    ("dev/zero", "--device: dev/zero: the host's node must be an absolute path"),
    ("/dev/zero:/proc/z", "--device: /proc/z: /proc belongs to the sandbox's own procfs"),
    ("/dev/zero:/a/../z", "--device: /dev/zero:/a/../z: destination must be an absolute path"),
])
def test_refused_in_one_line(nsl, value, cause):
    cp = nsl("run", "--device", value, "--", "/bin/true")
    assert cp.returncode == 125
    assert cause in assert_one_error_line(cp)


# ------------------------------------------------------------ OCI linux.devices


def device(path, major, minor, **extra):
    return dict({"path": path, "type": "c", "major": major, "minor": minor}, **extra)


def run_with_devices(runc, bundle, devices, script):  # noqa: F811
    config = bundle.config
    bundle.write(["/bin/sh", "-c", script], linux=dict(config["linux"], devices=devices))
    return runc("run", "--bundle", bundle.path, "devices")


def test_oci_devices_are_found_by_number(runc, bundle):  # noqa: F811
    """Podman's --device /dev/zero:/dev/nsl-zero lists the container's path
    with the host's number: the host's node at that path, else the
    kernel's name for the number (/sys/dev/char/1:5 says zero)."""
    mode = os.stat("/dev/zero").st_mode         # with its type, as engines give it
    cp = run_with_devices(runc, bundle, [device("/dev/nsl-zero", 1, 5, fileMode=mode),
                                         device("/dev/zero", 1, 5, fileMode=stat.S_IMODE(mode))],
                          "stat -c '%t:%T' /dev/nsl-zero; " + READ_4.format("/dev/nsl-zero"))
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["1:5", "00000000"]


@pytest.mark.skipif(not IS_ROOT, reason="only root makes nodes")
def test_oci_devices_are_made_as_asked_by_root(runc, bundle):  # noqa: F811
    """Numbers the host has no node for, a mode and an owner the host's node
    does not have, a block device and a FIFO: made as the config says (as
    runc does), usable, nosuid and noexec, and nothing of them on the host."""
    before = open("/proc/self/mountinfo").read()
    devices = [device("/dev/nsl-x", 4095, 4095, fileMode=0o640, uid=1000, gid=1001),
               device("/dev/nsl-zero", 1, 5, fileMode=0o600),
               dict(device("/dev/nsl-blk", 1, 5), type="b"),
               {"path": "/dev/nsl-fifo", "type": "p", "fileMode": 0o10620}]
    script = ("for d in x zero blk fifo; do stat -c '%n %F %t:%T %a %u:%g' /dev/nsl-$d; done; "
              + READ_4.format("/dev/nsl-zero") + "; echo; "
              "(echo through > /dev/nsl-fifo &); read line < /dev/nsl-fifo; echo $line; "
              "grep -c ' /dev/nsl-[a-z]* .*nosuid.*noexec' /proc/self/mountinfo; "
              "grep ' /dev/nsl-' /proc/self/mountinfo | grep -c nodev")
    cp = run_with_devices(runc, bundle, devices, script)
    assert cp.stdout.splitlines() == [
        "/dev/nsl-x character special file fff:fff 640 1000:1001",
        "/dev/nsl-zero character special file 1:5 600 0:0",
        "/dev/nsl-blk block special file 1:5 666 0:0",
        "/dev/nsl-fifo fifo 0:0 620 0:0",
        "00000000",
        "through",
        "4",
        "0"], cp.stderr
    assert not any(os.path.exists(f"/dev/nsl-{d}") for d in ("x", "zero", "blk", "fifo"))
    assert open("/proc/self/mountinfo").read() == before


@pytest.mark.skipif(not IS_ROOT, reason="only root makes nodes")
def test_oci_device_owner_must_be_mapped(runc, bundle):  # noqa: F811
    config = bundle.config
    config["linux"]["namespaces"].append({"type": "user"})
    bundle.write(linux=dict(config["linux"], uidMappings=[{"containerID": 0, "hostID": 100000, "size": 1000}],
                            gidMappings=[{"containerID": 0, "hostID": 100000, "size": 1000}]))
    cp = run_with_devices(runc, bundle, [device("/dev/nsl-x", 4095, 4095, uid=1000)], "true")
    assert "device: /dev/nsl-x: owner 1000:0 is not mapped in the sandbox" in one_error_line(cp)


@pytest.mark.skipif(IS_ROOT, reason="root makes the nodes it is asked for")
@pytest.mark.parametrize("devices, cause", [
    ([device("/dev/nsl-x", 4095, 4095)], "device: /dev/nsl-x: the host has no character device 4095:4095"),
    ([device("/dev/nsl-zero", 1, 5, fileMode=0o600)], "device: /dev/nsl-zero: the host's node has mode 666, not 600"),
    ([dict(device("/dev/nsl-zero", 1, 5), type="b")], "device: /dev/nsl-zero: the host has no block device 1:5"),
    ([{"path": "/dev/nsl-fifo", "type": "p"}], "device: /dev/nsl-fifo: a FIFO is made only by nslaunch run as root"),
])
def test_oci_devices_that_are_not_the_hosts_are_refused_rootless(runc, bundle, devices, cause):  # noqa: F811
    cp = run_with_devices(runc, bundle, devices, "true")
    assert cause in one_error_line(cp), cp.stderr


def test_oci_device_owner_is_checked_as_the_container_sees_it(runc, bundle):  # noqa: F811
    """Rootless, the host's /dev/zero (root's) is bound and nobody's in the
    container (`spec --rootless` maps the user alone): refused for an owner
    0:0. Root makes the node with that owner."""
    cp = run_with_devices(runc, bundle, [device("/dev/nsl-zero", 1, 5, uid=0, gid=0)], "true")
    if IS_ROOT:
        assert cp.returncode == 0, cp.stderr
    else:
        assert "device: /dev/nsl-zero: the host's node is owned by 65534:65534 in the sandbox, not 0:0" \
            in one_error_line(cp)


@pytest.mark.parametrize("options, readable", [(["rbind", "nosuid", "noexec"], True),
                                               (["rbind", "nosuid", "nodev"], False)])
def test_oci_bind_of_a_device_node(runc, bundle, options, readable):  # noqa: F811
    """Rootless podman's --device is a bind of the node: a device bind unless
    its options say nodev."""
    config = bundle.config
    mounts = config["mounts"] + [{"destination": "/dev/nsl-zero", "type": "bind", "source": "/dev/zero",
                                  "options": options}]
    bundle.write(["/bin/sh", "-c", READ_4.format("/dev/nsl-zero")], mounts=mounts)
    cp = runc("run", "--bundle", bundle.path, "bound")
    if readable:
        assert cp.returncode == 0 and cp.stdout == "00000000", cp
    else:
        assert "Permission denied" in cp.stderr, cp
