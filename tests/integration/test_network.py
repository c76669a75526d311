"""Network namespace: only lo (up) by default, the host's with --network host."""

import os

import pytest

from conftest import PY

IFACES = ("import os\n"
          "lines = open('/proc/self/net/dev').read().splitlines()[2:]\n"
          "print(' '.join(sorted(l.split(':')[0].strip() for l in lines)))\n"
          "print(os.readlink('/proc/self/ns/net'))\n")

LO_UP = ("import fcntl, socket, struct\n"
         "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         "flags = struct.unpack('16sH', fcntl.ioctl(s, 0x8913, struct.pack('16sH', b'lo', 0)))[1]\n"
         "print('up' if flags & 1 else 'down')\n"
         "srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)\n"
         "c = socket.create_connection(srv.getsockname(), timeout=2)\n"
         "conn, _ = srv.accept(); c.sendall(b'ping'); print(conn.recv(4).decode())\n")


def host_ifaces():
    with open("/proc/self/net/dev") as f:
        lines = f.read().splitlines()[2:]
    return sorted(l.split(":")[0].strip() for l in lines)


def test_only_lo_by_default(nsl):
    cp = nsl.py(IFACES)
    assert cp.returncode == 0, cp.stderr
    names, netns = cp.stdout.splitlines()
    assert names == "lo"
    assert netns != os.readlink("/proc/self/ns/net")


def test_lo_is_up_and_works(nsl):
    cp = nsl.py(LO_UP)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == ["up", "ping"]


def test_lo_up_per_ip_link(nsl):
    if not os.path.exists("/usr/sbin/ip"):
        pytest.skip("no /usr/sbin/ip")
    # ip run by a non-zero uid drops its capabilities with capset(), which the
    # built-in filter refuses (the platform's deny list); as uid 0 it does not.
    cp = nsl.run("--uid", "0", cmd=["/usr/sbin/ip", "-o", "link"])
    assert cp.returncode == 0, cp.stderr
    lines = cp.stdout.splitlines()
    assert len(lines) == 1, lines
    assert ": lo: <" in lines[0]
    flags = lines[0].split("<", 1)[1].split(">", 1)[0].split(",")
    assert "UP" in flags, lines[0]


def test_no_route_out(nsl):
    code = ("import socket\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "try:\n"
            "    s.connect(('192.0.2.1', 9)); print('routed')\n"
            "except OSError as e:\n"
            "    print('errno', e.errno)\n")
    cp = nsl.py(code)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "errno 101\n", cp.stdout  # ENETUNREACH


def test_network_host_sees_host_interfaces(nsl):
    cp = nsl.py(IFACES, "--network", "host")
    assert cp.returncode == 0, cp.stderr
    names, netns = cp.stdout.splitlines()
    assert names.split() == host_ifaces()
    assert netns == os.readlink("/proc/self/ns/net")


def test_network_none_explicit(nsl):
    cp = nsl.py(IFACES, "--network", "none")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines()[0] == "lo"
