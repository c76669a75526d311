# Sourced: an apt configuration private to a cache directory, for tests that
# take packages from Debian's mirror without using or changing the host's
# sources and package state (tests/vm/fetch-kernels, tests/apparmor/parser).
#
# nsl_private_apt DIR WHO ARCH SOURCE-LINE...: writes DIR/sources.list, sets
# the array nsl_apt_opts for apt-get and apt-cache (packages of Debian
# architecture ARCH only), and refreshes the lists at
# most once a day or when the sources changed. Any source that fails makes
# the update fail (Error-Mode=any: a suite that did not download would
# otherwise drop out silently); the lists of the last good update are then
# used, with apt's output as a warning naming WHO, and without such lists it
# is an error (status 1) that shows apt's output.
nsl_private_apt() {
        local dir=$1 who=$2 arch=$3 out
        shift 3
        mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
        printf '%s\n' "$@" >"$dir/sources.list"
        touch "$dir/status"
        # pkgcache.bin: Docker-style images turn apt's cache off, and without
        # it every apt-cache call parses all the lists again.
        # Check-Valid-Until=false: a frozen or lagging mirror serves Release
        # files past their Valid-Until (old suites, or any suite on a
        # snapshot), which apt otherwise refuses ("is expired"); the
        # signatures are still checked. It is set here, not left to the
        # host's apt.conf.d, which may or may not say so.
        nsl_apt_opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/nonexistent
                      -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o "Dir::State::status=$dir/status"
                      -o Dir::Cache::pkgcache=pkgcache.bin
                      -o APT::Sandbox::User=root -o Acquire::Languages=none
                      -o Acquire::Check-Valid-Until=false
                      -o "APT::Architecture=$arch" -o "APT::Architectures=$arch")
        if [ -n "$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ] &&
           cmp -s "$dir/sources.list" "$dir/lists/sources.list.used"; then
                return 0
        fi
        if out=$(apt-get "${nsl_apt_opts[@]}" -o APT::Update::Error-Mode=any -qq update 2>&1); then
                cp "$dir/sources.list" "$dir/lists/sources.list.used"
        elif [ -f "$dir/lists/sources.list.used" ]; then
                printf '%s: apt-get update failed; using the lists of %s:\n%s\n' \
                        "$who" "$(date -r "$dir/lists/sources.list.used" '+%F %T')" "$out" >&2
        else
                printf '%s: apt-get update failed and %s holds no lists of an earlier update:\n%s\n' \
                        "$who" "$dir/lists" "$out" >&2
                return 1
        fi
}
