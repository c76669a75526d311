"""What `meson install` puts on a machine: libnslaunch.so.0 exporting only the
public API, libnslaunch.a, the headers, nslaunch.pc, the man pages and the bash
completion, each checked the way its user would use it.

The build directory is the one $NSLAUNCH was built in ($NSLAUNCH is
BUILD/launcher/nslaunch); it is installed with --destdir into a temporary
directory, once for the whole file.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import IS_ROOT, NSLAUNCH
from host_facts import unprivileged_user

BUILD = os.path.dirname(os.path.dirname(os.path.abspath(NSLAUNCH)))
MAN_PAGES = ("nslaunch.1", "nslaunch-run.1", "nslaunch-seccomp.1", "nslaunch-rootfs.1", "nslaunch-runc.1")

pytestmark = [
    pytest.mark.skipif(not IS_ROOT, reason="needs root: meson install writes its log into the build "
                                           "directory, which root's build made"),
    pytest.mark.skipif(not os.path.exists(os.path.join(BUILD, "meson-info", "meson-info.json")),
                       reason=f"{NSLAUNCH} is not in a meson build directory"),
]

PROGRAM = r"""
#include <stdio.h>
#include <nslaunch.h>
#include <nslaunch-version.h>

int main(void)
{
        nsl_spec *spec = nsl_spec_new();
        nsl_error error = { 0 };
        char line[1200];
        unsigned major, minor, micro;

        if (!spec)
                return 1;
        if (nsl_spec_set_network(spec, "sideways", &error) == 0)
                return 2;
        nsl_error_format(&error, line, sizeof line);
        nsl_spec_free(spec);
        nsl_libseccomp_version(&major, &minor, &micro);
        printf("%s %d.%d.%d %s %s libseccomp %u.%u.%u\n%s\n", NSL_VERSION, NSL_VERSION_MAJOR, NSL_VERSION_MINOR,
               NSL_VERSION_PATCH, nsl_version(), nsl_build_commit(), major, minor, micro, line);
        return 0;
}
"""


def meson_info(name):
    with open(os.path.join(BUILD, "meson-info", name)) as f:
        return json.load(f)


def build_option(name):
    return next(o["value"] for o in meson_info("intro-buildoptions.json") if o["name"] == name)


def source_dir():
    return meson_info("meson-info.json")["directories"]["source"]


def compiler():
    """The C compiler the build used (clang for the sanitizer build)."""
    for target in meson_info("intro-targets.json"):
        for sources in target["target_sources"]:
            if sources.get("language") == "c" and sources.get("compiler"):
                return sources["compiler"]
    return ["cc"]


class Installed:
    def __init__(self, destdir):
        self.destdir = destdir
        self.prefix = destdir + build_option("prefix")
        self.libdir = os.path.join(self.prefix, build_option("libdir"))
        self.includedir = os.path.join(self.prefix, build_option("includedir"))
        self.mandir = os.path.join(self.prefix, build_option("mandir"))

    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    def pkg_config(self, *args):
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(self.libdir, "pkgconfig"),
                   PKG_CONFIG_SYSROOT_DIR=self.destdir)
        cp = subprocess.run(["pkg-config", *args, "nslaunch"], env=env, capture_output=True, text=True)
        assert cp.returncode == 0, cp.stderr
        return cp.stdout.split()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    destdir = str(tmp_path_factory.mktemp("destdir"))
    cp = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", destdir],
                        capture_output=True, text=True, timeout=300)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    return Installed(destdir)


def test_installs_libraries_headers_pc_man_pages_and_completion(installed):
    for name in ("libnslaunch.so.0", "libnslaunch.so", "libnslaunch.a", "pkgconfig/nslaunch.pc"):
        assert os.path.exists(os.path.join(installed.libdir, name)), name
    for name in ("nslaunch.h", "nslaunch-version.h"):
        assert os.path.isfile(os.path.join(installed.includedir, name)), name
    assert os.path.isfile(installed.path("bin", "nslaunch"))
    # runc's command line: the same binary under a second name (docs/oci.md)
    assert os.readlink(installed.path("bin", "nslaunch-runc")) == "nslaunch"
    assert glob.glob(installed.path("share", "**", "completions", "nslaunch"), recursive=True)
    cp = subprocess.run(["readelf", "-d", os.path.join(installed.libdir, "libnslaunch.so.0")],
                        capture_output=True, text=True)
    assert "Library soname: [libnslaunch.so.0]" in cp.stdout


def declared_functions(installed):
    names = set()
    for header in ("nslaunch.h", "nslaunch-version.h"):
        with open(os.path.join(installed.includedir, header)) as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        names |= set(re.findall(r"\b(nsl_\w+)\s*\(", text))
    return names


def test_shared_library_exports_exactly_the_public_functions(installed):
    cp = subprocess.run(["nm", "-D", "--defined-only", os.path.join(installed.libdir, "libnslaunch.so.0")],
                        capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    exported = set()
    for line in cp.stdout.splitlines():
        fields = line.split()
        if fields[-2] == "A":          # the version node itself, NSLAUNCH_0
            assert fields[-1] == "NSLAUNCH_0", line
            continue
        name, _, version = fields[-1].partition("@@")
        assert version == "NSLAUNCH_0", line
        exported.add(name)
    assert {n for n in exported if not n.startswith("nsl_")} == set()
    declared = declared_functions(installed)
    # a function added to include/ must be added to src/libnslaunch.map, and
    # nothing internal may leak out
    assert declared - exported == set(), "declared but not exported (add to src/libnslaunch.map)"
    assert exported - declared == set(), "exported but not in the public headers"


def build_program(installed, tmp_path, static):
    src = tmp_path / "prog.c"
    src.write_text(PROGRAM)
    exe = str(tmp_path / ("prog-static" if static else "prog-shared"))
    sanitize = build_option("b_sanitize")
    flags = [] if sanitize == "none" else [f"-fsanitize={sanitize}"]
    if static:
        argv = [*compiler(), "-static", *flags, str(src), "-o", exe,
                *installed.pkg_config("--cflags", "--static", "--libs")]
    else:
        argv = [*compiler(), *flags, str(src), "-o", exe, *installed.pkg_config("--cflags", "--libs")]
    cp = subprocess.run(argv, capture_output=True, text=True)
    assert cp.returncode == 0, f"{argv}\n{cp.stderr}"
    return exe


def expected_version(installed):
    with open(os.path.join(installed.includedir, "nslaunch-version.h")) as f:
        return re.search(r'#define NSL_VERSION "([^"]+)"', f.read()).group(1)


def check_program_output(installed, stdout):
    version = expected_version(installed)
    first, second = stdout.splitlines()
    assert first.startswith(f"{version} {version} {version} "), first
    assert first.endswith(f"libseccomp {libseccomp_version()}"), first
    assert second.startswith("nslaunch: --network: sideways: "), second


def test_program_links_the_shared_library_with_pkg_config(installed, tmp_path):
    exe = build_program(installed, tmp_path, static=False)
    needed = subprocess.run(["readelf", "-d", exe], capture_output=True, text=True).stdout
    assert "[libnslaunch.so.0]" in needed
    cp = subprocess.run([exe], capture_output=True, text=True,
                        env=dict(os.environ, LD_LIBRARY_PATH=installed.libdir))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    check_program_output(installed, cp.stdout)


def test_program_links_the_static_library_with_pkg_config(installed, tmp_path):
    if build_option("b_sanitize") != "none":
        pytest.skip("a sanitizer build's library cannot be linked with -static")
    exe = build_program(installed, tmp_path, static=True)
    needed = subprocess.run(["readelf", "-d", "-l", exe], capture_output=True, text=True).stdout
    assert "NEEDED" not in needed and "INTERP" not in needed, needed
    cp = subprocess.run([exe], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert cp.returncode == 0, cp.stdout + cp.stderr
    check_program_output(installed, cp.stdout)


@pytest.mark.parametrize("page", MAN_PAGES)
def test_man_page_renders_without_warnings(installed, page):
    if not shutil.which("scdoc"):
        pytest.skip("scdoc is not installed, so the build made no man pages")
    path = os.path.join(installed.mandir, "man1", page)
    assert os.path.isfile(path), path
    cp = subprocess.run(["man", "-l", "--warnings", path], capture_output=True, text=True,
                        env=dict(os.environ, MANWIDTH="80"))
    assert cp.returncode == 0, cp.stderr
    assert cp.stderr == "", cp.stderr
    text = re.sub(r".\x08", "", cp.stdout)   # no overstrike (bold) to a pipe
    assert f"{page[:-2]} - " in text and "EXIT STATUS" in text, text


def complete(installed, *words):
    """COMPREPLY of the installed completion for the command line `words`
    (the last one being completed)."""
    completion = glob.glob(installed.path("share", "**", "completions", "nslaunch"), recursive=True)[0]
    script = ('source /usr/share/bash-completion/bash_completion; source "$1"; shift; '
              'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nslaunch nslaunch "${COMP_WORDS[-1]}"; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    cp = subprocess.run(["bash", "-c", script, "bash", completion, "nslaunch", *words],
                        capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.split()


def test_completion_completes_subcommands_and_run_options(installed):
    if not os.path.exists("/usr/share/bash-completion/bash_completion"):
        pytest.skip("bash-completion is not installed")
    assert complete(installed, "ru") == ["run"]
    assert complete(installed, "seccomp", "le") == ["learn"]
    assert complete(installed, "rootfs", "im") == ["import"]
    assert complete(installed, "run", "--rootf") == ["--rootfs"]
    assert complete(installed, "run", "--timeout", "5", "--network", "h") == ["host"]
    assert complete(installed, "seccomp", "learn", "--mer") == ["--merge"]


def test_runc_completion_completes_commands_options_and_ids(installed, tmp_path):
    if not os.path.exists("/usr/share/bash-completion/bash_completion"):
        pytest.skip("bash-completion is not installed")
    completion = glob.glob(installed.path("share", "**", "completions", "nslaunch-runc"), recursive=True)[0]
    (tmp_path / "box1").mkdir()

    def words(*w):
        script = ('source /usr/share/bash-completion/bash_completion; source "$1"; shift; '
                  'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nslaunch_runc nslaunch-runc; '
                  'printf "%s\\n" "${COMPREPLY[@]}"')
        cp = subprocess.run(["bash", "-c", script, "bash", completion, "nslaunch-runc", *w],
                            capture_output=True, text=True)
        assert cp.returncode == 0, cp.stderr
        return cp.stdout.split()

    assert words("cre") == ["create"]
    assert words("--log-format", "j") == ["json"]
    assert words("create", "--pid") == ["--pid-file"]
    assert words("ev") == ["events"]
    assert words("events", "--int") == ["--interval"]
    assert words("--root", str(tmp_path), "delete", "bo") == ["box1"]


def run_options_of_main_c():
    """The long options of launcher/main.c's run_options table, without
    those only seccomp learn takes."""
    with open(os.path.join(source_dir(), "launcher", "main.c")) as f:
        text = f.read()
    table = re.search(r"run_options\[\] = \{(.*?)\n\};", text, re.S).group(1)
    return {"--" + name for name, comment in re.findall(r'\{ "([\w-]+)",[^\n]*?\}(,[^\n]*)?', table)
            if "seccomp learn only" not in comment}


def test_completion_offers_every_run_option(installed):
    if not os.path.exists("/usr/share/bash-completion/bash_completion"):
        pytest.skip("bash-completion is not installed")
    want = run_options_of_main_c()
    assert len(want) > 30
    assert set(complete(installed, "run", "--")) >= want
    assert set(complete(installed, "run", "--")) - want <= {"--"}


def libseccomp_version():
    cp = subprocess.run(["pkg-config", "--modversion", "libseccomp"], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.strip()


def test_version_shows_commit_libseccomp_and_kernel(installed):
    cp = subprocess.run([NSLAUNCH, "--version"], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    lines = dict(line.split(": ", 1) for line in cp.stdout.splitlines()[1:])
    assert cp.stdout.splitlines()[0] == f"nslaunch {expected_version(installed)}"
    assert lines["libseccomp"] == libseccomp_version()
    assert lines["kernel"] == os.uname().release
    assert "clone3" in lines["kernel interfaces present"] + lines["kernel interfaces missing"]
    head = subprocess.run(["git", "-C", source_dir(), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        commit = lines["commit"].removesuffix("-dirty")
        assert re.fullmatch(r"[0-9a-f]{12,40}", commit), lines["commit"]
        assert head.stdout.strip().startswith(commit), (lines["commit"], head.stdout)
    else:
        assert lines["commit"] == "unknown"


def build_embedder(installed, tmp_path):
    """tests/embed/embed.c, compiled against the installed header and linked
    with the installed shared library, as an embedder would."""
    exe = str(tmp_path / "embed")
    sanitize = build_option("b_sanitize")
    flags = [] if sanitize == "none" else [f"-fsanitize={sanitize}"]
    argv = [*compiler(), "-std=gnu17", "-Wall", "-Wextra", "-Werror", *flags,
            os.path.join(source_dir(), "tests", "embed", "embed.c"), "-o", exe,
            *installed.pkg_config("--cflags", "--libs"), "-lpthread"]
    cp = subprocess.run(argv, capture_output=True, text=True)
    assert cp.returncode == 0, f"{argv}\n{cp.stderr}"
    return exe


def test_embedder_runs_many_sandboxes_from_threads_and_leaves_the_caller_alone(installed, tmp_path):
    """50 sandboxes from 4 threads through the handle API, their own pipes
    as stdio, some killed, while two more threads rename themselves (a lock
    held in another thread at a clone: AddressSanitizer's prctl takes one),
    one started by another process; the caller's groups, parent-death
    signal, signal mask and fds unchanged, no child left: as root, then as
    the unprivileged user nsltest."""
    exe = build_embedder(installed, tmp_path)
    env = dict(os.environ, LD_LIBRARY_PATH=installed.libdir)
    cp = subprocess.run([exe], capture_output=True, text=True, timeout=120, env=env)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert cp.stdout.startswith("embed: ok, 52 sandboxes from 4 threads"), cp.stdout

    # the unprivileged user needs its own copy of the program and library
    shared = tempfile.mkdtemp(prefix="nsl-embed-", dir="/tmp")
    try:
        os.chmod(shared, 0o755)
        shutil.copy(exe, shared)
        for lib in glob.glob(os.path.join(installed.libdir, "libnslaunch.so*")):
            shutil.copy(lib, shared, follow_symlinks=True)
        with unprivileged_user("nsltest"):
            cp = subprocess.run(["runuser", "-u", "nsltest", "--", "env", f"LD_LIBRARY_PATH={shared}",
                                 os.path.join(shared, "embed")], capture_output=True, text=True, timeout=120,
                                cwd="/")
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert cp.stdout.startswith("embed: ok, 52 sandboxes from 4 threads"), cp.stdout
    finally:
        shutil.rmtree(shared)


def test_a_sandboxs_init_allocates_nothing_in_a_threaded_caller(installed, tmp_path):
    """The embedder again, with tests/embed/clone-alloc-watch.c preloaded: no
    call of the malloc family in a clone before its execve (docs/design.md),
    through every init the embedder makes: a cgroup tree read and a shared
    pid namespace walked, as root. Under a sanitizer its allocator is the
    one in use, and this watch cannot stand in front of it."""
    if build_option("b_sanitize") != "none":
        pytest.skip("a sanitizer's allocator replaces the malloc this watches")
    exe = build_embedder(installed, tmp_path)
    watch = str(tmp_path / "clone-alloc-watch.so")
    argv = [*compiler(), "-std=gnu17", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
            os.path.join(source_dir(), "tests", "embed", "clone-alloc-watch.c"), "-o", watch]
    cp = subprocess.run(argv, capture_output=True, text=True)
    assert cp.returncode == 0, f"{argv}\n{cp.stderr}"
    report = tmp_path / "allocations"
    env = dict(os.environ, LD_LIBRARY_PATH=installed.libdir, LD_PRELOAD=watch, NSL_ALLOC_REPORT=str(report))
    cp = subprocess.run([exe], capture_output=True, text=True, timeout=120, env=env)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert not report.exists(), report.read_text()


def installed_apparmor_profile(installed):
    path = os.path.join(installed.destdir, "etc", "apparmor.d", "nslaunch")
    if build_option("apparmor") != "enabled" and not os.path.exists(path):
        pytest.skip("built with -Dapparmor=auto and no /etc/apparmor.d here, or disabled")
    assert os.path.isfile(path), "the AppArmor profile is not installed in /etc/apparmor.d"
    return path


def apparmor_4_parser():
    """AppArmor 4's parser, from Debian trixie (tests/apparmor/parser)."""
    cp = subprocess.run([os.path.join(source_dir(), "tests", "apparmor", "parser"), "/var/cache/nslaunch-apparmor"],
                        capture_output=True, text=True, timeout=300)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.strip()


def test_apparmor_profile_lets_the_installed_binary_make_user_namespaces(installed, tmp_path):
    path = installed_apparmor_profile(installed)
    with open(path) as f:
        text = f.read()
    binary = os.path.join(build_option("prefix"), build_option("bindir"), "nslaunch")
    assert re.search(rf"^profile nslaunch {re.escape(binary)} flags=\(unconfined\) {{$", text, re.M), text
    assert re.search(r"^\s*userns,$", text, re.M), text
    parser = apparmor_4_parser()
    cp = subprocess.run([parser, "-Q", "-K", path], capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    # the same parser refuses a rule it does not know: it read the profile
    broken = tmp_path / "nslaunch"
    broken.write_text(text.replace("userns,", "usernz,"))
    cp = subprocess.run([parser, "-Q", "-K", str(broken)], capture_output=True, text=True)
    assert cp.returncode != 0 and "syntax error" in cp.stderr, cp.stderr
