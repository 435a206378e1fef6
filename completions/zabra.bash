# bash completion for zabra                                  -*- shell-script -*-
#
# Install as <bash-completion dir>/completions/zabra, or source this file.
#
# Adding a subcommand <cmd>:
#   1. append <cmd> to _zabra_commands;
#   2. add _zabra_opts_<cmd> (every option of <cmd>) and _zabra_args_<cmd>
#      (the options among them that take a value), with any "-" in <cmd>
#      written as "_";
#   3. if an option takes one of a fixed set of values, add a line to
#      _zabra_values, and if it takes a directory, one to _zabra_dir_arg;
#      options that take a value but have neither (numbers and the like)
#      get no suggestions.
# Positional arguments complete as files and directories.

_zabra_commands='dump verify stats diff pack plan rollback repair top'
_zabra_global_opts='-h --help -V --version'

_zabra_opts_dump='-h --help -f --format --data --data-cap --local-time --snapshot --logs -n --limit --from --to --epoch --session --path --type -F --follow --max-record --start-index --end-index --term --entry-type --show-secrets'
_zabra_args_dump='-f --format --data --data-cap -n --limit --from --to --epoch --session --path --type --max-record --start-index --end-index --term --entry-type'

_zabra_opts_diff='-h --help --json --ignore-ephemerals'
_zabra_args_diff=''

_zabra_opts_pack='-h --help -o --output -l --level --force'
_zabra_args_pack='-o --output -l --level'

_zabra_opts_rollback='-h --help --to --undo --log-dir --config -y --yes --force --json --below-commit'
_zabra_args_rollback='--to --undo --log-dir --config'

_zabra_opts_repair='-h --help --log-dir --config -y --yes --force --json'
_zabra_args_repair='--log-dir --config'

_zabra_opts_top='-h --help --config --once --json -i --interval -n --count --timeout --no-mntr --admin-port'
_zabra_args_top='--config -i --interval -n --count --timeout --admin-port'

_zabra_opts_plan='-h --help --leader --learner --follower --catch-up-entries --peer-zxid --leader-state --commit-log-count --snapshot-size-factor --force-snap-sync --json'
_zabra_args_plan='--leader --learner --follower --catch-up-entries --peer-zxid --leader-state --commit-log-count --snapshot-size-factor'

_zabra_opts_stats='-h --help -d --depth --top --json --logs --snapshot'
_zabra_args_stats='-d --depth --top'

_zabra_opts_verify='-h --help --json --no-replay -q --quiet --max-record'
_zabra_args_verify='--max-record'

# Prints the values of option $2 of subcommand $1, if it has a fixed set.
_zabra_values()
{
    case "$1 $2" in
        'dump -f' | 'dump --format') echo 'text json zk' ;;
        'dump --data') echo 'text hex none full' ;;
        'dump --type') echo 'createSession closeSession create create2 createContainer createTTL delete deleteContainer setData setACL reconfig check multi error' ;;
        'dump --entry-type') echo 'ConfigChange Normal Request InternalRaftRequest IRRRange IRRPut IRRDeleteRange IRRTxn IRRCompaction IRRLeaseGrant IRRLeaseRevoke IRRLeaseCheckpoint' ;;
        *) return 1 ;;
    esac
}

# Succeeds if option $2 of subcommand $1 takes a directory.
_zabra_dir_arg()
{
    case "$1 $2" in
        'rollback --undo' | 'rollback --log-dir' | 'repair --log-dir') return 0 ;;
        *) return 1 ;;
    esac
}

# Succeeds if option $2 of subcommand $1 takes a file.
_zabra_file_arg()
{
    case "$1 $2" in
        'rollback --config' | 'repair --config') return 0 ;;
        *) return 1 ;;
    esac
}

_zabra()
{
    local cur prev words cword prefix=
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${words[cword]}
    prev=
    ((cword > 0)) && prev=${words[cword - 1]}

    # With "=" in COMP_WORDBREAKS (the default), "--format=js" arrives as
    # three words: "--format" "=" "js".
    if [[ $cur == '=' && $prev == -* ]]; then
        cur=
    elif [[ $prev == '=' ]] && ((cword > 1)); then
        prev=${words[cword - 2]}
    elif [[ $cur == --*=* ]]; then
        # "=" is not a word break here: complete the value in place.
        prev=${cur%%=*}
        prefix=$prev=
        cur=${cur#*=}
    fi

    # The subcommand is the first word after "zabra" that is not an option
    # (the global options take no values).
    local cmd='' i
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} != -* ]]; then
            cmd=${words[i]}
            break
        fi
    done

    COMPREPLY=()
    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$_zabra_global_opts" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_zabra_commands" -- "$cur")
        fi
        return 0
    fi

    # Unknown words (and names that cannot be part of a variable name) get
    # nothing; a "-" in a subcommand name is "_" in the variable names.
    local key=${cmd//-/_}
    [[ $key == *[!A-Za-z0-9_]* ]] && return 0
    local opts_var=_zabra_opts_$key args_var=_zabra_args_$key
    local opts=${!opts_var-} args=${!args_var-}

    # The value of an option.
    if [[ $prev == -* && " $args " == *" $prev "* ]]; then
        if _zabra_dir_arg "$cmd" "$prev"; then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -P "$prefix" -d -- "$cur")
            return 0
        fi
        if _zabra_file_arg "$cmd" "$prev"; then
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -P "$prefix" -f -- "$cur")
            return 0
        fi
        local values
        if values=$(_zabra_values "$cmd" "$prev"); then
            mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "$values" -- "$cur")
        fi
        return 0
    fi

    # Options, unless "--" was given before the current word.
    local dashdash=
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == -- ]] && dashdash=1
    done
    if [[ $cur == -* && -z $dashdash ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
        return 0
    fi

    # Positional arguments: files and directories.
    if declare -F _filedir >/dev/null; then
        _filedir
    else
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
}

complete -F _zabra zabra

# ex: filetype=sh
