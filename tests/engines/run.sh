#!/bin/sh
# Run the engine tests (podman, containerd + ctr, dockerd) against one OCI
# runtime. Installs nothing: tests/run-all's package list has the engines.
#
# usage (as root): tests/engines/run.sh RUNTIME [JUNIT_XML]
#   e.g. tests/engines/run.sh build/launcher/nslaunch-runc
#        tests/engines/run.sh /usr/sbin/runc      (the reference)
# NSL_TESTS: a subset (file names, or file::test). The exit status is pytest's.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
runtime=${1:-}
junit=${2:-}

if [ "$(id -u)" != 0 ]; then
        echo "run.sh: must be started as root" >&2
        exit 2
fi
if [ -z "$runtime" ]; then
        echo "usage: $0 RUNTIME [JUNIT_XML]" >&2
        exit 2
fi
case $runtime in /*) ;; *) runtime=$(pwd)/$runtime ;; esac
if [ ! -x "$runtime" ]; then
        echo "run.sh: no runtime at $runtime" >&2
        exit 2
fi
for tool in podman conmon newuidmap containerd ctr dockerd /usr/bin/docker; do
        command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed (tests/run-all installs it)" >&2; exit 2; }
done
case $junit in '' | /*) ;; *) junit=$(pwd)/$junit ;; esac
NSL_OCI_RUNTIME=$runtime
export NSL_OCI_RUNTIME PYTHONDONTWRITEBYTECODE=1

set -- -q -p no:cacheprovider -o junit_suite_name="engines $(basename "$runtime")"
if [ -n "${NSL_TESTS:-}" ]; then
        for t in $NSL_TESTS; do set -- "$@" "$here/$t"; done
else
        set -- "$@" "$here"
fi
[ -n "$junit" ] && set -- "$@" --junitxml="$junit"
cd "$here"
exec /usr/bin/python3 -m pytest "$@"
