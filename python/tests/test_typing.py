"""The package is typed: mypy --strict passes for the oldest Python it
supports (3.9), and py.typed ships with it (test_install.py)."""

import shutil
import subprocess

import pytest

from conftest import PYTHON_DIR


def test_mypy_strict(tmp_path):
    mypy = shutil.which("mypy")
    if mypy is None:
        pytest.skip("mypy is not installed (tests/run-all installs Debian's)")
    cp = subprocess.run([mypy, "--strict", "--python-version", "3.9", "--cache-dir", str(tmp_path), "nslaunch"],
                        cwd=PYTHON_DIR, capture_output=True, text=True, timeout=300)
    assert cp.returncode == 0, cp.stdout + cp.stderr
