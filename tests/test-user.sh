# Sourced by the rootless test runners (tests/integration/run-rootless.sh,
# tests/attacks/run.sh, python/tests/run.sh): the unprivileged user nsltest
# they run the tests as. nsl_test_user_add makes it where the machine has
# none, and nsl_test_user_remove, from the runner's exit trap, removes it
# with its home only then: a machine that had the user keeps it, one that
# had none is left without.
nsl_test_user_made=
nsl_test_user_add() {
        id nsltest >/dev/null 2>&1 && return 0
        useradd -m nsltest && nsl_test_user_made=1
}
nsl_test_user_remove() {
        local out
        [ -n "$nsl_test_user_made" ] || return 0
        nsl_test_user_made=
        # userdel -r warns of the mail spool useradd did not make
        out=$(userdel -r nsltest 2>&1) || echo "warning: the user nsltest is left: $out" >&2
}
