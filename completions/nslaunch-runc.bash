# bash completion for nslaunch-runc, runc's command line of nslaunch (docs/oci.md)
_nslaunch_runc_ids()
{
        local root=${NSLAUNCH_RUNC_ROOT:-/run/nslaunch-runc} i
        for ((i = 1; i < COMP_CWORD; i++)); do
                [[ ${COMP_WORDS[i]} == --root ]] && root=${COMP_WORDS[i + 1]}
        done
        COMPREPLY=($(compgen -W "$(ls "$root" 2>/dev/null)" -- "$cur"))
}

_nslaunch_runc()
{
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} cmd='' i
        local commands='create start run state kill delete exec ps list pause resume update events features spec'
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                --root|--log|--log-format) ((i++)) ;;
                -*) ;;
                *) cmd=${COMP_WORDS[i]}; break ;;
                esac
        done
        case $prev in
        --root|--bundle|-b) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --log|--pid-file|--console-socket|--process|-p|--resources) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-format) COMPREPLY=($(compgen -W 'text json' -- "$cur")); return ;;
        --format|-f) COMPREPLY=($(compgen -W 'table json' -- "$cur")); return ;;
        esac
        case $cmd in
        '')
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W '--root --log --log-format --debug --systemd-cgroup --version --help' -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
                fi ;;
        create|run)
                if [[ $cur == -* ]]; then
                        local extra=''
                        [[ $cmd == run ]] && extra='--detach --keep'
                        COMPREPLY=($(compgen -W "--bundle --pid-file --console-socket --preserve-fds --no-pivot
                                --no-new-keyring $extra" -- "$cur"))
                fi ;;
        exec)
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W '--process --tty --console-socket --detach --pid-file --cwd --env --user
                                --cap --preserve-fds' -- "$cur"))
                else
                        _nslaunch_runc_ids
                fi ;;
        kill) [[ $cur == -* ]] && COMPREPLY=($(compgen -W '--all' -- "$cur")) || _nslaunch_runc_ids ;;
        delete) [[ $cur == -* ]] && COMPREPLY=($(compgen -W '--force' -- "$cur")) || _nslaunch_runc_ids ;;
        list) COMPREPLY=($(compgen -W '--format --quiet' -- "$cur")) ;;
        spec) COMPREPLY=($(compgen -W '--rootless --bundle' -- "$cur")) ;;
        update)
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W '--resources --memory --memory-swap --pids-limit --cpu-quota
                                --cpu-period --cpu-rt-period --cpu-rt-runtime --cpu-share --cpuset-cpus --cpuset-mems --blkio-weight' -- "$cur"))
                else
                        _nslaunch_runc_ids
                fi ;;
        events) [[ $cur == -* ]] && COMPREPLY=($(compgen -W '--stats --interval' -- "$cur")) || _nslaunch_runc_ids ;;
        start|state|ps|pause|resume) [[ $cur == -* ]] || _nslaunch_runc_ids ;;
        esac
} &&
complete -F _nslaunch_runc nslaunch-runc
