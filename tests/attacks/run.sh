#!/bin/sh
# Run the attack suite, as root or as the unprivileged user nsltest.
#
# usage (as root): tests/attacks/run.sh root|rootless [JUNIT_XML]
#
# NSLAUNCH selects the binary (default build/launcher/nslaunch).  When it
# is an AddressSanitizer build (clang links the runtime statically), LeakSanitizer reports go to
# files instead of stderr and the run fails if any report was written,
# so a leak cannot hide behind a test that does not look at stderr or
# at the exact exit status.  Rootless, the binary, tests/integration's
# conftest.py and this directory are copied into a fresh world-readable
# temporary directory, as tests/integration/run-rootless.sh does.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mode=${1:-}
junit=${2:-}
case $junit in
'' | /*) ;;
*) junit=$(pwd)/$junit ;;
esac
nsl=${NSLAUNCH:-$top/build/launcher/nslaunch}

if [ "$(id -u)" != 0 ]; then
        echo "run.sh: must be started as root" >&2
        exit 2
fi
case $mode in root | rootless) ;; *) echo "usage: $0 root|rootless [JUNIT_XML]" >&2; exit 2 ;; esac
if [ ! -x "$nsl" ]; then
        echo "run.sh: no nslaunch binary at $nsl (set NSLAUNCH)" >&2
        exit 2
fi

. "$here/../test-user.sh"
dir=$(mktemp -d /tmp/nsl-attacks.XXXXXX)
cleanup() {
        rm -rf --one-file-system "$dir"
        nsl_test_user_remove
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$dir/out" "$dir/lsan"
chmod 1777 "$dir/lsan"

leaks=
if grep -aq __asan_init "$nsl"; then
        leaks=$dir/lsan/report
        ASAN_OPTIONS=detect_leaks=1:log_path=$leaks${ASAN_OPTIONS:+:$ASAN_OPTIONS}
        export ASAN_OPTIONS
fi

set +e
if [ "$mode" = root ]; then
        NSLAUNCH=$nsl PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m pytest -q -p no:cacheprovider "$here" \
                --junitxml="$dir/out/junit.xml"
        rc=$?
else
        nsl_test_user_add
        mkdir -p "$dir/tests/integration" "$dir/tests/attacks/progs"
        cp "$nsl" "$dir/nslaunch"
        cp "$here/../integration/conftest.py" "$dir/tests/integration/"
        cp "$here"/conftest.py "$here"/test_*.py "$dir/tests/attacks/"
        cp "$here"/progs/*.c "$here"/progs/*.h "$dir/tests/attacks/progs/"
        chmod -R a+rX "$dir"
        chmod 755 "$dir/nslaunch"
        chown nsltest "$dir/out"
        cd "$dir"
        runuser -u nsltest -- env NSLAUNCH="$dir/nslaunch" PYTHONDONTWRITEBYTECODE=1 ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
                /usr/bin/python3 -m pytest -q -p no:cacheprovider "$dir/tests/attacks" --junitxml="$dir/out/junit.xml"
        rc=$?
fi
set -e
if [ -n "$leaks" ] && ls "$dir/lsan" | grep -q .; then
        echo "LeakSanitizer / AddressSanitizer reports from nslaunch:" >&2
        cat "$dir"/lsan/* >&2
        rc=1
        if [ -f "$dir/out/junit.xml" ]; then
                # one more failing test case, so that the summary counts it
                sed -i 's|</testsuite>|<testcase classname="sanitizer" name="leaks"><failure>LeakSanitizer reported leaks</failure></testcase></testsuite>|' \
                        "$dir/out/junit.xml"
        fi
fi
if [ -n "$junit" ] && [ -f "$dir/out/junit.xml" ]; then
        cp "$dir/out/junit.xml" "$junit"
fi
exit $rc
