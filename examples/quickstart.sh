#!/usr/bin/env bash
# Installs what nslaunch needs, builds it, and runs the example plugin in a
# sandbox on built-in defaults, printing the plugin's JSON result.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
packages=(meson ninja-build gcc pkg-config libseccomp-dev libcap-dev libjson-c-dev libarchive-dev libssl-dev python3)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        "${sudo[@]}" apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null

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
