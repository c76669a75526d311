"""The payload's environment."""

import os

from conftest import assert_one_error_line

CALLER_PATH = "/nonexistent/caller/bin:/usr/local/bin:/usr/bin:/bin"


def env_inside(nsl, *opts, env=None):
    cp = nsl.run(*opts, cmd=["/usr/bin/env", "-0"], env=env, text=False)
    assert cp.returncode == 0, cp.stderr
    out = {}
    for item in cp.stdout.split(b"\0"):
        if item:
            k, _, v = item.decode().partition("=")
            out[k] = v
    return out


def caller_env(**extra):
    env = {"PATH": CALLER_PATH, "FOO": "bar", "SECRET_TOKEN": "hunter2"}
    env.update(extra)
    return env


def test_default_env_path_and_home_only(nsl):
    inside = env_inside(nsl, env=caller_env())
    assert set(inside) == {"PATH", "HOME"}, inside
    assert inside["HOME"] == "/tmp"
    assert inside["PATH"] != CALLER_PATH, "PATH inherited from the caller, not the fixed default"
    assert "/usr/bin" in inside["PATH"].split(":")


def test_default_env_keeps_lang(nsl):
    inside = env_inside(nsl, env=caller_env(LANG="C.UTF-8"))
    assert set(inside) == {"PATH", "HOME", "LANG"}, inside
    assert inside["LANG"] == "C.UTF-8"


def test_env_option(nsl):
    inside = env_inside(nsl, "--env", "A=b", "--env", "EMPTY=", "--env", "EQ=x=y",
                        env=caller_env())
    assert inside["A"] == "b"
    assert inside["EMPTY"] == ""
    assert inside["EQ"] == "x=y"
    assert "FOO" not in inside


def test_env_option_overrides_default(nsl):
    inside = env_inside(nsl, "--env", "HOME=/home/x", env=caller_env())
    assert inside["HOME"] == "/home/x"
    assert list(inside).count("HOME") == 1


def test_env_file(nsl, tmp_path):
    f = tmp_path / "vars.env"
    f.write_text("# a comment\n"
                 "\n"
                 "ONE=1\n"
                 "   \n"
                 "TWO=two words\n"
                 "#HIDDEN=yes\n")
    inside = env_inside(nsl, "--env-file", str(f), env=caller_env())
    assert inside["ONE"] == "1"
    assert inside["TWO"] == "two words"
    assert "HIDDEN" not in inside and "#HIDDEN" not in inside
    assert set(inside) == {"PATH", "HOME", "ONE", "TWO"}, inside


def test_env_file_bad_line_is_125(nsl, tmp_path):
    f = tmp_path / "bad.env"
    f.write_text("GOOD=1\nthis line is not an assignment\n")
    cp = nsl.run("--env-file", str(f), cmd=["/bin/true"])
    assert cp.returncode == 125, (cp.returncode, cp.stderr)
    line = assert_one_error_line(cp)
    assert "line 2" in line, line


def test_keep_env(nsl):
    inside = env_inside(nsl, "--keep-env", env=caller_env())
    assert inside["FOO"] == "bar"
    assert inside["SECRET_TOKEN"] == "hunter2"


def test_keep_env_with_env_option(nsl):
    inside = env_inside(nsl, "--keep-env", "--env", "FOO=override", env=caller_env())
    assert inside["FOO"] == "override"


def test_empty_path_element_is_the_current_directory(nsl):
    # POSIX: an empty PATH element is ".", so "./true" in /usr/bin, not "/true"
    cp = nsl.run("--env", "PATH=:/nonexistent", "--cwd", "/usr/bin", cmd=["true"])
    assert cp.returncode == 0, cp.stderr
