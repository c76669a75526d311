# bash completion for nslaunch (installed by meson as
# completions/nslaunch in bash-completion's completionsdir).
# The option lists follow launcher/main.c's option tables (run_options,
# seccomp_options) and rootfs-tools/main.c's; tests/integration/
# test_install.py checks the run options against launcher/main.c.

_nslaunch_run_opts='--rootfs --image-defaults --rw-root --tmpfs --bind --ro-bind --device --network --allow-egress --dns --uid --gid
    --host-uid --host-gid --hostname --proc --env --env-file --keep-env --cwd --cap-add --keep-fd --timeout
    --kill-after --die-with-parent --seccomp --seccomp-bpf --seccomp-cache --seccomp-report --seccomp-strict --landlock
    --allow-exec-writable --memory
    --memory-swap --cpus --pids --cgroup-parent --cgroup-file --limits --rlimit --status-json --command-from --help
    --volume --mount --workdir --user --pids-limit --read-only --security-opt --rm --init'
_nslaunch_learn_opts='--output --merge --arch'
_nslaunch_seccomp_opts='--strict --linear --arch --cap-add --help'
_nslaunch_rlimits='as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack'

# Files (or directories, with -d) matching the current word.
_nslaunch_files()
{
        if declare -F _filedir >/dev/null; then
                _filedir "$@"
        elif [ "${1:-}" = -d ]; then
                COMPREPLY+=($(compgen -d -- "$cur"))
        else
                COMPREPLY+=($(compgen -f -- "$cur"))
        fi
}

# Run's options that take a value (VALUE in run_options), long and short;
# an attached value (--opt=V, -vV) is one word and needs no skipping.
_nslaunch_run_valued=' --rootfs --tmpfs --bind --ro-bind --device --network --allow-egress --dns --uid --gid --host-uid --host-gid --hostname
    --proc --env --env-file --cwd --cap-add --keep-fd --timeout --kill-after --seccomp --seccomp-bpf
    --seccomp-cache --landlock --memory --memory-swap --cpus --pids --cgroup-parent --cgroup-file --limits --rlimit --status-json
    --command-from --merge --arch --output -o --volume -v --mount --workdir -w --user -u --pids-limit --security-opt -e -m '

# Completes the value of run's option $1.
_nslaunch_run_value()
{
        case $1 in
        --network) COMPREPLY=($(compgen -W 'none private host' -- "$cur")) ;;
        --proc) COMPREPLY=($(compgen -W 'pid full' -- "$cur")) ;;
        --limits) COMPREPLY=($(compgen -W 'strict best-effort' -- "$cur")) ;;
        --landlock) COMPREPLY=($(compgen -W 'best-effort strict off' -- "$cur")) ;;
        --seccomp) COMPREPLY=($(compgen -W 'default unconfined' -- "$cur")); _nslaunch_files '@(json)' ;;
        --security-opt) COMPREPLY=($(compgen -W 'seccomp=unconfined no-new-privileges' -- "$cur")) ;;
        --mount) COMPREPLY=($(compgen -W 'type=bind, type=tmpfs,' -- "$cur")); compopt -o nospace 2>/dev/null ;;
        --seccomp-cache) COMPREPLY=($(compgen -W 'off' -- "$cur")); _nslaunch_files -d ;;
        --command-from) COMPREPLY=($(compgen -W 'fd:' -- "$cur")); compopt -o nospace 2>/dev/null ;;
        --rlimit) COMPREPLY=($(compgen -S = -W "$_nslaunch_rlimits" -- "$cur")); compopt -o nospace 2>/dev/null ;;
        --rootfs|--cgroup-parent|--workdir|-w) _nslaunch_files -d ;;
        --env-file|--seccomp-bpf|--status-json|--output|-o|--merge|--bind|--ro-bind|--device|--volume|-v) _nslaunch_files ;;
        esac
}

# run [OPTIONS] [--] CMD ARGS..., its options from word $1 on; $2 set: also
# seccomp learn's own options.
_nslaunch_run()
{
        local i opts=$_nslaunch_run_opts
        [ -n "${2:-}" ] && opts="$opts $_nslaunch_learn_opts"
        for ((i = $1; i < cword; i++)); do
                case ${words[i]} in
                --)
                        if declare -F _command_offset >/dev/null; then
                                _command_offset $((i + 1))
                        elif [ $((i + 1)) -eq "$cword" ]; then
                                COMPREPLY=($(compgen -c -- "$cur"))
                        else
                                _nslaunch_files
                        fi
                        return
                        ;;
                -*)
                        if [[ $_nslaunch_run_valued == *" ${words[i]} "* ]]; then
                                if [ $((i + 1)) -eq "$cword" ]; then
                                        _nslaunch_run_value "${words[i]}"
                                        return
                                fi
                                i=$((i + 1))
                        fi
                        ;;
                *)      # the command, given without --
                        _nslaunch_files
                        return
                        ;;
                esac
        done
        if [[ -z $cur || $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$opts --" -- "$cur"))
        else
                COMPREPLY=($(compgen -c -- "$cur"))
        fi
}

_nslaunch()
{
        local cur prev words cword
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
        COMPREPLY=()

        if [ "$cword" -eq 1 ]; then
                COMPREPLY=($(compgen -W 'run seccomp rootfs --help --version' -- "$cur"))
                return
        fi
        case ${words[1]} in
        run)
                _nslaunch_run 2
                ;;
        seccomp)
                if [ "$cword" -eq 2 ]; then
                        COMPREPLY=($(compgen -W 'check compile export default learn --help' -- "$cur"))
                        return
                fi
                case ${words[2]} in
                learn) _nslaunch_run 3 learn ;;
                check|compile|export)
                        case $prev in
                        --arch|--cap-add) return ;;
                        -o) _nslaunch_files; return ;;
                        esac
                        if [[ $cur == -* ]]; then
                                COMPREPLY=($(compgen -W "$_nslaunch_seccomp_opts -o" -- "$cur"))
                        else
                                _nslaunch_files '@(json)'
                        fi
                        ;;
                esac
                ;;
        rootfs)
                if [ "$cword" -eq 2 ]; then
                        COMPREPLY=($(compgen -W 'from-host import --help' -- "$cur"))
                        return
                fi
                case ${words[2]} in
                from-host)
                        case $prev in
                        --add) _nslaunch_files; return ;;
                        --progress) COMPREPLY=($(compgen -W 'auto always never' -- "$cur")); return ;;
                        esac
                        if [[ $cur == -* ]]; then
                                COMPREPLY=($(compgen -W '--add --replace --json --progress --help' -- "$cur"))
                        elif [ "$cword" -eq 3 ]; then
                                _nslaunch_files -d
                        else
                                COMPREPLY=($(compgen -c -- "$cur"))
                        fi
                        ;;
                import)
                        case $prev in
                        --platform) COMPREPLY=($(compgen -W 'linux/amd64 linux/arm64 linux/arm/v7 linux/386 linux/ppc64le
                                linux/s390x linux/riscv64' -- "$cur")); return ;;
                        --progress) COMPREPLY=($(compgen -W 'auto always never' -- "$cur")); return ;;
                        --ref|--max-size) return ;;
                        esac
                        if [[ $cur == -* ]]; then
                                COMPREPLY=($(compgen -W '--platform --ref --max-size --keep-setuid --replace --json
                                        --progress --help' -- "$cur"))
                        else
                                _nslaunch_files
                        fi
                        ;;
                esac
                ;;
        esac
} &&
complete -F _nslaunch nslaunch
