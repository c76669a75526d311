#!/bin/sh
# Run the Python client's tests as root or as the unprivileged user nsltest.
#
# usage (as root): python/tests/run.sh root|rootless [JUNIT_XML]
#
# NSLAUNCH selects the binary (default build/launcher/nslaunch). Rootless,
# the binary, python/, examples/ and profiles/ are copied into a fresh
# world-readable directory (the repository may not be readable by nsltest)
# and pytest runs there as nsltest, its temporary directories in there too
# (not in /tmp/pytest-of-nsltest, which other runs clean up); the junit xml
# is copied to JUNIT_XML.
# Exits with pytest's status.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=${1:?usage: run.sh root|rootless [JUNIT_XML]}
junit=${2:-}
case $junit in
'' | /*) ;;
*) junit=$(pwd)/$junit ;;
esac
nsl=${NSLAUNCH:-$top/build/launcher/nslaunch}

if [ "$(id -u)" != 0 ]; then
        echo "python/tests/run.sh: must be started as root" >&2
        exit 2
fi
if [ ! -x "$nsl" ]; then
        echo "python/tests/run.sh: no nslaunch binary at $nsl (set NSLAUNCH)" >&2
        exit 2
fi

case $mode in
root)
        set -- -q -p no:cacheprovider "$here"
        [ -n "$junit" ] && set -- "$@" --junitxml="$junit"
        NSLAUNCH=$nsl PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 -m pytest "$@"
        ;;
rootless) ;;
*)
        echo "python/tests/run.sh: $mode: expected root or rootless" >&2
        exit 2
        ;;
esac

. "$top/tests/test-user.sh"
nsl_test_user_add
dir=$(mktemp -d /tmp/nsl-python-rootless.XXXXXX)
. "$top/tests/tun-access.sh"
cleanup() {
        rm -rf --one-file-system "$dir"
        nsl_tun_restore
        nsl_test_user_remove
}
trap cleanup EXIT
trap 'exit 130' INT TERM
nsl_tun_open
# nsltest's home for the run: nslaunch keeps its seccomp cache under
# ~/.cache, which must go with the directory, not stay in /tmp
mkdir -p "$dir/build/launcher" "$dir/out" "$dir/home"
cp "$nsl" "$dir/build/launcher/nslaunch"
cp -r "$top/python" "$top/examples" "$top/profiles" "$dir/"
rm -rf "$dir/python/build" "$dir/python"/*.egg-info
chmod -R a+rX "$dir"
chown nsltest "$dir/out" "$dir/home"
cd "$dir"
set +e
runuser -u nsltest -- env NSLAUNCH="$dir/build/launcher/nslaunch" PYTHONDONTWRITEBYTECODE=1 HOME="$dir/home" \
        /usr/bin/python3 -m pytest -q -p no:cacheprovider "$dir/python/tests" --junitxml="$dir/out/junit.xml" \
        --basetemp="$dir/out/pytest"
rc=$?
set -e
if [ -n "$junit" ] && [ -f "$dir/out/junit.xml" ]; then
        cp "$dir/out/junit.xml" "$junit"
fi
exit $rc
