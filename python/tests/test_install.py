"""The package installs offline with Debian's setuptools
(pip install --no-build-isolation), and the installed copy works."""

import os
import shutil
import subprocess
import sys

from conftest import NSLAUNCH, PYTHON_DIR


def test_pip_install_offline_into_a_venv(tmp_path):
    # Built from a copy: setuptools writes build/ and *.egg-info beside the
    # sources, which a read-only checkout (or another user's) would refuse.
    source = tmp_path / "src"
    shutil.copytree(PYTHON_DIR, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PIP_NO_INDEX": "1", "PIP_NO_CACHE_DIR": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_PROXY": "*", "http_proxy": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9"}
    cp = subprocess.run([python, "-m", "pip", "install", "--no-build-isolation", str(source)],
                        capture_output=True, text=True, env=env, timeout=300)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    check = ("import nslaunch, sys\n"
             "assert nslaunch.__file__.startswith(sys.prefix), nslaunch.__file__\n"
             "r = nslaunch.run(['/bin/true'])\n"
             "print(r.exit_code, r.timed_out, r.wall_ms > 0)\n")
    cp = subprocess.run([python, "-c", check], capture_output=True, text=True, cwd=str(tmp_path),
                        env=dict(env, NSLAUNCH=NSLAUNCH), timeout=60)
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "0 False True\n"
    installed = subprocess.run([python, "-c", "import nslaunch, os; print(os.path.dirname(nslaunch.__file__))"],
                               capture_output=True, text=True, cwd=str(tmp_path), env=env, check=True).stdout.strip()
    assert os.path.exists(os.path.join(installed, "py.typed"))


def test_works_from_the_source_tree(tmp_path):
    cp = subprocess.run([sys.executable, "-c", "import nslaunch; print(nslaunch.run(['/bin/true']).exit_code)"],
                        capture_output=True, text=True, cwd=str(tmp_path),
                        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": PYTHON_DIR, "NSLAUNCH": NSLAUNCH})
    assert cp.returncode == 0 and cp.stdout == "0\n", cp.stderr
