# Sourced by the rootless test runners (tests/integration/run-rootless.sh,
# python/tests/run.sh): --network private runs slirp4netns as the user,
# which opens /dev/net/tun. Debian's udev makes it mode 0666; a machine
# without udev keeps the kernel's 0600. The tests get Debian's mode for
# their run (nsl_tun_open), the machine its own back afterwards
# (nsl_tun_restore, from the runner's exit trap).
nsl_tun_mode=
nsl_tun_open() {
        if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
                nsl_tun_mode=$(stat -c %a /dev/net/tun)
                chmod 0666 /dev/net/tun
        fi
}
nsl_tun_restore() {
        [ -z "$nsl_tun_mode" ] || chmod "$nsl_tun_mode" /dev/net/tun
        nsl_tun_mode=
}
