"""process.apparmorProfile applied (docs/oci.md): the command's execve
enters the profile, as docker-default or podman's profile is entered under
runc. Runs where the kernel enforces AppArmor (the kernel matrix's Debian
guests, tests/vm); on a host without it the config is refused in one line
(test_refused_where_apparmor_is_not_enabled)."""

import os
import shutil
import subprocess

import pytest

from conftest import IS_ROOT
from test_oci_cli import bundle, one_error_line, runc  # noqa: F401 (fixtures)

PROFILE = "nsl-test-no-denied-files"
SECURITYFS = "/sys/kernel/security"


def apparmor_enabled():
    try:
        with open("/sys/module/apparmor/parameters/enabled") as f:
            return f.read().strip() == "Y"
    except OSError:
        return False


needs_apparmor = pytest.mark.skipif(not (IS_ROOT and apparmor_enabled() and shutil.which("apparmor_parser")),
                                    reason="needs root, a kernel enforcing AppArmor and Debian's apparmor_parser")


@pytest.fixture
def loaded_profile(tmp_path):
    """A profile allowing everything but writes to /tmp/denied*, loaded for
    the test (through securityfs, mounted for it where it was not)."""
    mounted = not os.path.exists(os.path.join(SECURITYFS, "apparmor"))
    if mounted:
        subprocess.run(["mount", "-t", "securityfs", "securityfs", SECURITYFS], check=True)
    path = tmp_path / "profile"
    path.write_text(f"""profile {PROFILE} flags=(attach_disconnected,mediate_deleted) {{
  file,
  capability,
  network,
  mount,
  umount,
  pivot_root,
  signal,
  ptrace,
  unix,
  deny /tmp/denied* w,
}}
""")
    subprocess.run(["apparmor_parser", "--replace", str(path)], check=True, capture_output=True)
    yield PROFILE
    subprocess.run(["apparmor_parser", "--remove", str(path)], capture_output=True)
    if mounted:
        subprocess.run(["umount", SECURITYFS], check=True)


@needs_apparmor
def test_the_command_runs_under_its_profile(runc, bundle, loaded_profile):  # noqa: F811
    config = bundle.write(["/bin/sh", "-c", "cat /proc/self/attr/current; touch /tmp/allowed && echo allowed; "
                                            "touch /tmp/denied 2>/dev/null; echo denied=$?"])
    config["process"]["apparmorProfile"] = loaded_profile
    bundle.write(process=config["process"],
                 mounts=config["mounts"] + [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}])
    cp = runc("run", "--bundle", bundle.path, "confined")
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.splitlines() == [f"{PROFILE} (enforce)", "allowed", "denied=1"], cp.stdout


@needs_apparmor
def test_a_profile_not_loaded_is_one_line(runc, bundle):  # noqa: F811
    config = bundle.write()
    config["process"]["apparmorProfile"] = "nsl-test-never-loaded"
    bundle.write(process=config["process"])
    line = one_error_line(runc("run", "--bundle", bundle.path, "unconfined"))
    assert "apparmor: nsl-test-never-loaded: no profile of that name is loaded" in line, line


@pytest.mark.skipif(apparmor_enabled(), reason="AppArmor is enabled here")
def test_refused_where_apparmor_is_not_enabled(runc, bundle):  # noqa: F811
    config = bundle.write()
    config["process"]["apparmorProfile"] = "docker-default"
    bundle.write(process=config["process"])
    line = one_error_line(runc("create", "--bundle", bundle.path, "refused"))
    assert line.endswith("process.apparmorProfile: docker-default: AppArmor is not enabled on this host"), line
