#!/usr/bin/env bash
# Installs what nslaunch needs, builds it, and runs the example plugin in a
# sandbox on built-in defaults, printing the plugin's JSON result.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/setup.sh

nsl_install "${NSL_BUILD_PACKAGES[@]}"
[ -f build/build.ninja ] || nsl_meson_setup build
nsl_step "ninja -C build" ninja -C build

run=(./build/launcher/nslaunch run --ro-bind "$PWD/examples:/usr/local/plugins" -- python3 /usr/local/plugins/plugin.py)
# Ubuntu 24.04 lets unprivileged users create user namespaces only under an
# AppArmor profile that allows it; without one, run the sandbox from root
# (it still maps the plugin to an unprivileged host user).
if [ "$(id -u)" != 0 ] && [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ]; then
        echo "note: this host restricts unprivileged user namespaces (AppArmor); running nslaunch with sudo" >&2
        run=(sudo "${run[@]}")
fi
echo "+ ${run[*]} < examples/request.json" >&2
"${run[@]}" < examples/request.json
