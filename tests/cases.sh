# Sourced by the shell test runners that report a few cases of their own
# (tests/cross/run, tests/fresh-machine): each case one line, the total as
# 'SUITE: N passed, N failed', and a junit file for run-all's summary.
#
# nsl_cases_begin SUITE [REPORTS-DIR]   start; the junit goes to REPORTS-DIR/SUITE.xml
# nsl_case CASE [WHY]                   one case, failed when WHY is given
# nsl_cases_finish                      the total and the junit; status 0 when none failed
nsl_cases_begin() {
        nsl_cases_suite=$1 nsl_cases_reports=${2:-}
        nsl_cases=()
}

nsl_case() {
        nsl_cases+=("$1=${2:-}")
        if [ -n "${2:-}" ]; then echo "$nsl_cases_suite: $1: FAILED: $2"; else echo "$nsl_cases_suite: $1: ok"; fi
}

nsl_cases_finish() {
        local failed=0 c
        for c in "${nsl_cases[@]}"; do [ -n "${c#*=}" ] && failed=$((failed + 1)); done
        [ -n "$nsl_cases_reports" ] && python3 "$(dirname "${BASH_SOURCE[0]}")/vm/junit" cases \
                "$nsl_cases_reports/$nsl_cases_suite.xml" "$nsl_cases_suite" "${nsl_cases[@]}"
        echo "$nsl_cases_suite: $(( ${#nsl_cases[@]} - failed )) passed, $failed failed"
        [ $failed = 0 ]
}
