"""nslaunch-runc and nslaunch's own annotations (docs/oci.md): a private
network with an egress allow-list for a container whose config has a
network namespace of its own, which the runtime spec has no field for.

The container is created, and create exits, before it starts: the proxy
must outlive create (init holds its exit fd) and end with the container.
Servers run only on the host's loopback (the container reaches it at
10.0.2.2 when host-loopback is allowed)."""

import contextlib
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import PY
from test_network_private import GATEWAY, PROBE, Servers, refused_at_once
from test_oci_cli import (bundle, create, create_with_console, one_error_line, read_until, runc,  # noqa: F401
                          wait_status)

pytestmark = pytest.mark.skipif(not shutil.which("slirp4netns"), reason="needs Debian's slirp4netns")


@pytest.fixture
def servers():
    s = Servers()
    yield s
    s.close()


def proxies_of(parent):
    """Pids of the slirp4netns processes whose parent is `parent` and which have not ended."""
    found = []
    for pid in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{pid}/stat") as f:
                comm, rest = f.read().split(" (", 1)[1].rsplit(")", 1)
            fields = rest.split()
            if comm == "slirp4netns" and int(fields[1]) == parent and fields[0] != "Z":
                found.append(int(pid))
    return found


def own_network_namespace(bundle):  # noqa: F811
    """The config with a network namespace of its own (`spec --rootless` has none)."""
    config = bundle.write()
    namespaces = [n for n in config["linux"]["namespaces"] if n["type"] != "network"] + [{"type": "network"}]
    return bundle.write(linux=dict(config["linux"], namespaces=namespaces))


def annotated(bundle, out, annotations, targets):  # noqa: F811
    """The bundle's command probes targets into out/probe; out is bound in."""
    config = own_network_namespace(bundle)
    mounts = config["mounts"] + [{"destination": out, "type": "bind", "source": out, "options": ["rbind", "rw"]}]
    args = ["/bin/sh", "-c", f'code=$1; shift; exec "$0" -c "$code" "$@" > {out}/probe', PY, PROBE,
            *[",".join(map(str, t)) for t in targets]]
    return bundle.write(args, mounts=mounts, annotations=annotations)


def test_allow_list_through_create_and_start(runc, bundle, hostdir, servers):  # noqa: F811
    allowed, other = servers.tcp(b"hello"), servers.tcp(b"secret")
    out = hostdir(0o777)
    annotated(bundle, out, {"org.nslaunch.allow-egress": f"host-loopback:{allowed}"},
              [(GATEWAY, allowed, "tcp"), (GATEWAY, other, "tcp")])
    create(runc, bundle, "egress")
    # create has exited: its proxy runs on, now the child of the subreaper (us)
    proxies = proxies_of(os.getpid())
    assert len(proxies) == 1, proxies
    assert runc("start", "egress").returncode == 0
    assert wait_status(runc, "egress", "stopped", seconds=30)["status"] == "stopped"
    with open(os.path.join(out, "probe")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "ok 5", lines
    assert refused_at_once(lines[1]), lines
    # init is gone, and with it the last copy of the proxy's exit fd
    deadline = time.monotonic() + 5
    while proxies_of(os.getpid()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not proxies_of(os.getpid())
    with contextlib.suppress(ChildProcessError):
        os.waitpid(proxies[0], 0)
    assert runc("delete", "egress").returncode == 0


def refusals(servers):
    """An allowed port, and targets refused: another port twice, a UDP port once."""
    allowed, other, udp = servers.tcp(b"hello"), servers.tcp(), servers.udp()
    targets = [(GATEWAY, allowed, "tcp"), (GATEWAY, other, "tcp"), (GATEWAY, other, "tcp"), (GATEWAY, udp, "udp")]
    counted = [f"nslaunch: egress: refused {GATEWAY}:{other}/tcp x2", f"nslaunch: egress: refused {GATEWAY}:{udp}/udp x1"]
    return allowed, targets, counted


def test_a_detached_containers_refusals_go_to_its_stderr(runc, bundle, hostdir, servers):  # noqa: F811
    """init reports them once create has gone: each destination when first
    refused, then the counts when the command has ended."""
    allowed, targets, counted = refusals(servers)
    out = hostdir(0o777)
    annotated(bundle, out, {"org.nslaunch.allow-egress": f"host-loopback:{allowed}"}, targets)
    runc.ids.append("reported")
    with open(os.path.join(out, "stderr"), "w+") as err:
        # the container keeps create's stderr, as conmon's pipe
        cp = subprocess.run([runc.link, "--root", runc.root, "create", "--bundle", bundle.path, "reported"],
                            stderr=err, timeout=60)
        assert cp.returncode == 0
        assert runc("start", "reported").returncode == 0
        assert wait_status(runc, "reported", "stopped", seconds=30)["status"] == "stopped"
        err.seek(0)
        lines = err.read().splitlines()
    first = [line.rsplit(" x", 1)[0] for line in counted]
    assert lines == first + counted, lines
    with open(os.path.join(out, "probe")) as f:
        assert f.read().splitlines()[0] == "ok 5"
    assert runc("delete", "reported").returncode == 0


def test_a_foreground_runs_refusals_are_counted_on_stderr(runc, bundle, hostdir, servers):  # noqa: F811
    allowed, targets, counted = refusals(servers)
    out = hostdir(0o777)
    annotated(bundle, out, {"org.nslaunch.allow-egress": f"host-loopback:{allowed}"}, targets)
    cp = runc("run", "--bundle", bundle.path, "foreground")
    assert cp.returncode == 0, cp.stderr
    assert cp.stderr.splitlines() == counted


def test_with_a_terminal_refusals_go_to_the_terminal(runc, bundle, hostdir, servers):  # noqa: F811
    allowed, targets, counted = refusals(servers)
    out = hostdir(0o777)
    bundle.config["process"]["terminal"] = True
    annotated(bundle, out, {"org.nslaunch.allow-egress": f"host-loopback:{allowed}"}, targets)
    master = create_with_console(runc, bundle, hostdir(), "tty-reported")
    try:
        assert runc("start", "tty-reported").returncode == 0
        seen = read_until(master, counted[-1].encode(), seconds=30).decode()
    finally:
        os.close(master)
    assert all(line in seen for line in counted), seen
    wait_status(runc, "tty-reported", "stopped")
    assert runc("delete", "tty-reported").returncode == 0


def test_a_private_network_without_rules_keeps_the_hosts_loopback_out(runc, bundle, hostdir, servers):  # noqa: F811
    port = servers.tcp()
    out = hostdir(0o777)
    annotated(bundle, out, {"org.nslaunch.network": "private"}, [(GATEWAY, port, "tcp")])
    assert runc("run", "--bundle", bundle.path, "private-net").returncode == 0
    with open(os.path.join(out, "probe")) as f:
        line = f.read().splitlines()[0]
    assert line.startswith("err "), line


@pytest.mark.parametrize("annotations, edit, cause", [
    ({"org.nslaunch.allow-egres": "host-loopback:80"}, None,
     "annotations.org.nslaunch.allow-egres: not an annotation nslaunch knows (network, allow-egress, dns, allow)"),
    ({"org.nslaunch.network": "host"}, None, "annotations.org.nslaunch.network: host: expected none or private"),
    ({"org.nslaunch.allow-egress": "10.1.2.3:80, ,10.1.2.4:80"}, None,
     "annotations.org.nslaunch.allow-egress: an empty item in the list"),
    ({"org.nslaunch.network": "none", "org.nslaunch.dns": "10.0.2.3"}, None,
     "annotations.org.nslaunch.network: none, but allow-egress and dns give a private network"),
    ({"org.nslaunch.allow-egress": "10.1.2.3:99999"}, None, "annotations.org.nslaunch.allow-egress: "),
    ({"org.nslaunch.dns": "10.0.2.3"}, "host network",
     "annotations.org.nslaunch.dns: the container has the host's network"),
])
def test_refused_in_one_line_naming_the_annotation(runc, bundle, annotations, edit, cause):  # noqa: F811
    own_network_namespace(bundle)
    config = bundle.write(annotations=annotations)
    if edit == "host network":
        bundle.write(linux=dict(config["linux"], namespaces=[n for n in config["linux"]["namespaces"]
                                                             if n["type"] != "network"]))
    line = one_error_line(runc("create", "--bundle", bundle.path, "refused"))
    assert cause in line, line
    assert runc("state", "refused").returncode == 1


def test_annotations_reach_the_state_unchanged(runc, bundle, hostdir):  # noqa: F811
    out = hostdir(0o777)
    annotated(bundle, out, {"org.nslaunch.network": "private", "other": "x"}, [])
    create(runc, bundle, "annotated")
    cp = runc("state", "annotated")
    assert json.loads(cp.stdout)["annotations"] == {"org.nslaunch.network": "private", "other": "x"}
    assert runc("delete", "--force", "annotated").returncode == 0
