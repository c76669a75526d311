#!/bin/sh
# Run the integration suite as root.
#
# usage (as root): tests/integration/run-root.sh [JUNIT_XML]
#
# NSLAUNCH selects the binary (default build/launcher/nslaunch); the exit
# status is pytest's.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
junit=${1:-}

if [ "$(id -u)" != 0 ]; then
        echo "run-root.sh: must be started as root" >&2
        exit 2
fi
NSLAUNCH=${NSLAUNCH:-$(cd "$here/../.." && pwd)/build/launcher/nslaunch}
export NSLAUNCH PYTHONDONTWRITEBYTECODE=1

set -- -q -p no:cacheprovider "$here"
[ -n "$junit" ] && set -- "$@" --junitxml="$junit"
exec /usr/bin/python3 -m pytest "$@"
