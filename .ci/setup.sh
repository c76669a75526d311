# Sourced by the README's two commands (examples/quickstart.sh, tests/run-all):
# installing packages and running build steps so that a failure is never
# silent: a failing step prints the tail of its own output and one line
# naming the step.

# nsl_step NAME CMD...: runs CMD with its output in a log; on failure prints
# the log's last lines and "NAME failed (exit N)", and returns N.
nsl_step() {
        local name=$1 log rc
        shift
        log=$(mktemp /tmp/nslaunch-step.XXXXXX)
        # not a plain command: under the callers' set -e a failure would
        # end the script right here, before the log is shown
        "$@" >"$log" 2>&1 && rc=0 || rc=$?
        if [ $rc != 0 ]; then
                tail -n 40 "$log" >&2
                echo "$name failed (exit $rc): $*" >&2
        fi
        rm -f "$log"
        return $rc
}

# nsl_installed PACKAGE[:ARCH]: whether it is installed; without an
# architecture, for the machine's own (or architecture-independent): the
# cross build's arm64 -dev packages must not stand in for the native ones.
nsl_installed() {
        local arch
        case $1 in
        *:*) arch='.*' ;;
        *) arch="($(dpkg --print-architecture)|all)" ;;
        esac
        dpkg-query -W -f='${Status} ${Architecture}\n' "$1" 2>/dev/null | grep -qE "^install ok installed $arch\$"
}

# nsl_install PACKAGE...: installs those of the Debian/Ubuntu packages that
# are missing (apt-get, without recommends: each package the project needs
# is named).
nsl_install() {
        local missing=() p sudo=()
        for p in "$@"; do
                nsl_installed "$p" || missing+=("$p")
        done
        [ ${#missing[@]} -gt 0 ] || return 0
        [ "$(id -u)" = 0 ] || sudo=(sudo)
        echo "== installing: ${missing[*]}" >&2
        nsl_step "apt-get update" "${sudo[@]}" apt-get update &&
                nsl_step "apt-get install" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
                        apt-get install -y --no-install-recommends "${missing[@]}"
}

# What building nslaunch needs on a minimal Debian 12 / Ubuntu 24.04 (gcc
# only recommends libc6-dev, whose headers and crt files every build needs).
NSL_BUILD_PACKAGES=(meson ninja-build gcc libc6-dev pkg-config libseccomp-dev libcap-dev libjson-c-dev
                    libarchive-dev libssl-dev python3)

# nsl_meson_setup DIR [OPTION...]: configures a meson build directory, anew
# when an earlier set-up failed half-way (no build.ninja), else reconfigured.
nsl_meson_setup() {
        local dir=$1
        shift
        if [ -f "$dir/build.ninja" ]; then
                nsl_step "meson setup $dir" meson setup --reconfigure "$dir" "$@"
        else
                rm -rf "$dir" && nsl_step "meson setup $dir" meson setup "$dir" "$@"
        fi
}
