#!/bin/sh
# Run the integration suite as root.
#
# usage (as root): tests/integration/run-root.sh [JUNIT_XML]
#
# NSLAUNCH selects the binary (default build/launcher/nslaunch), NSL_TESTS a
# subset of the test files; the exit status is pytest's.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
junit=${1:-}

if [ "$(id -u)" != 0 ]; then
        echo "run-root.sh: must be started as root" >&2
        exit 2
fi
NSLAUNCH=${NSLAUNCH:-$(cd "$here/../.." && pwd)/build/launcher/nslaunch}
export NSLAUNCH PYTHONDONTWRITEBYTECODE=1

# NSL_TESTS: a subset (file names, or file::test), e.g. for the VM matrix
set -- -q -p no:cacheprovider
if [ -n "${NSL_TESTS:-}" ]; then
        for t in $NSL_TESTS; do set -- "$@" "$here/$t"; done
else
        set -- "$@" "$here"
fi
[ -n "$junit" ] && set -- "$@" --junitxml="$junit"
exec /usr/bin/python3 -m pytest "$@"
