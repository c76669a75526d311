#ifndef NSL_USAGE_H
#define NSL_USAGE_H

static const char nsl_usage_main[] =
        "Usage: nslaunch COMMAND ...\n"
        "\n"
        "Start a program in a fresh, unprivileged sandbox.\n"
        "\n"
        "Commands:\n"
        "  run [OPTIONS] -- CMD [ARGS...]   run CMD in a sandbox (nslaunch run --help)\n"
        "  seccomp check|compile|export|default ...   tools for seccomp profiles\n"
        "\n"
        "  --help      this text\n"
        "  --version   print the version\n";

static const char nsl_usage_run[] =
        "Usage: nslaunch run [OPTIONS] -- CMD [ARGS...]\n"
        "\n"
        "Root filesystem:\n"
        "  --rootfs DIR                 use an unpacked image as the root (default: a tmpfs\n"
        "                               root with the host's /usr, /etc, /bin, /lib* read-only)\n"
        "  --rw-root                    leave the root writable (default: read-only)\n"
        "  --tmpfs DEST[:size=N,mode=M] a tmpfs at DEST (default /tmp: size=64m,mode=1777)\n"
        "  --bind SRC:DEST[:ro|rw]      bind host SRC at DEST (recursive, read-write)\n"
        "  --ro-bind SRC:DEST           the same, read-only\n"
        "  --proc pid|full              /proc with processes only (default) or whole, masked\n"
        "\n"
        "Identity and environment:\n"
        "  --uid N, --gid N             ids inside (default: yours; 0 when run by root)\n"
        "  --host-uid N, --host-gid N   (root only) host ids to map to (default 65534)\n"
        "  --hostname NAME              hostname inside (default: sandbox)\n"
        "  --env KEY=VALUE              set a variable; the environment starts empty but\n"
        "                               for PATH, HOME=/tmp and LANG\n"
        "  --env-file FILE              KEY=VALUE lines\n"
        "  --keep-env                   start from nslaunch's own environment\n"
        "  --cwd DIR                    working directory inside (default: /)\n"
        "\n"
        "Isolation:\n"
        "  --network none|host          none: only a loopback device (default)\n"
        "  --cap-add NAME               keep one capability (all are dropped)\n"
        "  --keep-fd N                  pass fd N to CMD (only 0-2 pass by default)\n"
        "  --seccomp default|unconfined|PROFILE.json\n"
        "                               the built-in filter (default), none, or a Docker/OCI\n"
        "                               profile (compiled once, then cached)\n"
        "  --seccomp-bpf FILE           a filter from 'nslaunch seccomp compile'\n"
        "  --seccomp-cache DIR|off      where compiled profiles are kept\n"
        "\n"
        "Supervision:\n"
        "  --timeout SECONDS            SIGTERM the sandbox after SECONDS (exit status 124)\n"
        "  --kill-after SECONDS         then SIGKILL after this long (default 2)\n"
        "  --die-with-parent            end the sandbox when nslaunch's caller dies\n"
        "\n"
        "Exit status: CMD's own; 128+N when signal N killed it; 124 timeout;\n"
        "125 nslaunch failed; 126 CMD cannot be executed; 127 CMD not found.\n";

static const char nsl_usage_seccomp[] =
        "Usage: nslaunch seccomp COMMAND ...\n"
        "\n"
        "  check PROFILE.json [--strict]     validate; unknown syscalls are warnings (errors with --strict)\n"
        "  compile PROFILE.json -o FILE.bpf  compile to the BPF that 'run --seccomp-bpf' loads\n"
        "  export PROFILE.json               print libseccomp's readable (PFC) form\n"
        "  default                           print the built-in profile\n"
        "\n"
        "  --arch ARCH      build for another architecture (x86_64, aarch64, ...)\n"
        "  --cap-add NAME   evaluate the profile for a sandbox holding this capability\n"
        "  --linear         compile libseccomp's plain list, not its binary tree (to compare)\n";

#endif
