"""The attack suite: each test runs a real attack (a program inside the
sandbox, or a hostile rootfs) against the real nslaunch binary and checks
on the host that nothing happened.

Reuses tests/integration/conftest.py: its fixtures (nsl, hostdir, rootfs)
and its autouse guards (no mount gained on the host, no process left
behind) apply here too.  It is loaded under its own module name and its
names re-exported, so that `from conftest import ...` in the tests here
sees both.  The small C attack programs in progs/ are compiled once per
session with $CC (default cc) into a directory every uid can read.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
_path = os.path.join(HERE, "..", "integration", "conftest.py")
_spec = importlib.util.spec_from_file_location("nsl_integration_conftest", _path)
_integration = importlib.util.module_from_spec(_spec)
sys.modules["nsl_integration_conftest"] = _integration
_spec.loader.exec_module(_integration)

from nsl_integration_conftest import *  # noqa: E402,F401,F403  (fixtures and helpers)
from nsl_integration_conftest import _session_guard  # noqa: E402,F401  (autouse, private name)

PROGS = ("overwrite", "exchange", "escalate", "whoami", "hog")


@pytest.fixture(scope="session")
def progs():
    """{name: path} of the compiled attack programs, in a 0755 directory
    that the sandbox can bind (--ro-bind DIR:/attack)."""
    out = tempfile.mkdtemp(prefix="nsl-attack-bin-", dir="/tmp")
    os.chmod(out, 0o755)
    cc = os.environ.get("CC", "cc")
    built = {}
    try:
        for name in PROGS:
            exe = os.path.join(out, name)
            cp = subprocess.run([cc, "-std=c17", "-O1", "-Wall", "-Wextra", "-Werror", "-o", exe,
                                 os.path.join(HERE, "progs", name + ".c")],
                                capture_output=True, text=True)
            if cp.returncode != 0:
                pytest.fail(f"cannot build {name}: {cp.stderr}")
            os.chmod(exe, 0o755)
            built[name] = exe
        built["dir"] = out
        yield built
    finally:
        shutil.rmtree(out, ignore_errors=True)
