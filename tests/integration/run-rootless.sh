#!/bin/sh
# Run the integration suite as an unprivileged user (the rootless path).
#
# usage (as root): tests/integration/run-rootless.sh [JUNIT_XML]
#
# Creates the user nsltest if missing (and removes it after), copies the
# nslaunch binary ($NSLAUNCH, default build/launcher/nslaunch) and the tests
# into a fresh world-readable temporary directory, runs pytest there as
# nsltest (its temporary directories in there too), copies the junit xml to
# JUNIT_XML when given, removes the directory and exits with pytest's status.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
nsl=${NSLAUNCH:-$here/../../build/launcher/nslaunch}
junit=${1:-}
case $junit in
'' | /*) ;;
*) junit=$(pwd)/$junit ;;
esac

if [ "$(id -u)" != 0 ]; then
        echo "run-rootless.sh: must be started as root (it runs the tests as nsltest)" >&2
        exit 2
fi
if [ ! -x "$nsl" ]; then
        echo "run-rootless.sh: no nslaunch binary at $nsl (set NSLAUNCH)" >&2
        exit 2
fi
. "$here/../test-user.sh"
nsl_test_user_add

dir=$(mktemp -d /tmp/nsl-rootless.XXXXXX)
. "$here/../tun-access.sh"
cleanup() {
        rm -rf --one-file-system "$dir"
        nsl_tun_restore
        nsl_test_user_remove
}
trap cleanup EXIT
trap 'exit 130' INT TERM
nsl_tun_open
mkdir -p "$dir/tests/integration" "$dir/out"
cp "$nsl" "$dir/nslaunch"
# test_bundle_layout.py's driver of the library, when built (tests/meson.build).
layout=${NSL_LAYOUT:-$(dirname "$nsl")/../tests/nsl-layout}
[ -x "$layout" ] && cp "$layout" "$dir/nsl-layout"
# nslaunch rootfs runs the helper next to the binary.
[ -x "$(dirname "$nsl")/nslaunch-rootfs" ] && cp "$(dirname "$nsl")/nslaunch-rootfs" "$dir/nslaunch-rootfs"
# tests/integration/test_oci_exec.py drives the library through this program.
[ -x "$(dirname "$nsl")/../tests/oci-probe" ] && cp "$(dirname "$nsl")/../tests/oci-probe" "$dir/oci-probe"
# the OCI bundle driver (test_oci_bundle.py) from the build tree
oci_run=$(dirname "$(dirname "$nsl")")/tests/nsl-oci-run
[ -x "$oci_run" ] && cp "$oci_run" "$dir/nsl-oci-run" && chmod 755 "$dir/nsl-oci-run"
# test_oci_cgroup.py's driver of the library, found next to the binary.
tool=${NSL_OCI_CGROUP_TOOL:-$(dirname "$nsl")/../tests/oci-cgroup-tool}
[ -x "$tool" ] && cp "$tool" "$dir/oci-cgroup-tool"
# test_pool.py's driver of the library's pool
pool_tool=${NSL_POOL_TOOL:-$(dirname "$nsl")/../tests/nsl-pool}
[ -x "$pool_tool" ] && cp "$pool_tool" "$dir/nsl-pool"
cp "$here"/*.py "$dir/tests/integration/"
cp -r "$here/../../examples" "$dir/tests/examples"
cp -r "$here/../../profiles" "$dir/profiles"
cp -r "$here/../../docs" "$dir/docs"
cp -r "$here/../workloads" "$dir/tests/workloads"
chmod -R a+rX "$dir"
chmod 755 "$dir/nslaunch"
[ -e "$dir/nslaunch-rootfs" ] && chmod 755 "$dir/nslaunch-rootfs"
[ -e "$dir/oci-probe" ] && chmod 755 "$dir/oci-probe"
[ -e "$dir/oci-cgroup-tool" ] && chmod 755 "$dir/oci-cgroup-tool"
[ -e "$dir/nsl-pool" ] && chmod 755 "$dir/nsl-pool"
[ -e "$dir/nsl-layout" ] && chmod 755 "$dir/nsl-layout"
chown nsltest "$dir/out"

targets=$dir/tests/integration
if [ -n "${NSL_TESTS:-}" ]; then    # a subset, e.g. for the VM matrix
        targets=
        for t in $NSL_TESTS; do targets="$targets $dir/tests/integration/$t"; done
fi
cd "$dir"
set +e
runuser -u nsltest -- env NSLAUNCH="$dir/nslaunch" NSL_EMULATED="${NSL_EMULATED:-}" PYTHONDONTWRITEBYTECODE=1 \
        NSL_SOAK_LAUNCHES="${NSL_SOAK_LAUNCHES:-80}" \
        /usr/bin/python3 -m pytest -q -p no:cacheprovider $targets \
        --junitxml="$dir/out/junit.xml" --basetemp="$dir/out/pytest"
rc=$?
set -e
if [ -n "$junit" ] && [ -f "$dir/out/junit.xml" ]; then
        cp "$dir/out/junit.xml" "$junit"
fi
exit $rc
