#!/usr/bin/env bash
# Loads the shell completions in bash, zsh and fish and checks what they
# offer for a few command lines.
#
#   tests/cli/completions.sh SOURCE_DIR [ZABRA]
#
# With ZABRA (the built binary), the subcommands it lists in --help must all
# be offered. zsh completion is run for real, in an interactive zsh on a
# pseudo-terminal (zsh-complete.zsh).
#
# Exit status: 0 passed, 1 failed, 77 skipped (zsh or fish not installed;
# the shells that are installed are still checked, and a failure there is
# still a failure).

# The bash, zsh and fish snippets below are in single quotes on purpose.
# shellcheck disable=SC2016
set -u

src=${1:?usage: completions.sh SOURCE_DIR [ZABRA]}
zabra=${2:-}
comp=$src/completions
here=$(cd "$(dirname "$0")" && pwd)

failures=0
skipped=()
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs a command with a time limit when timeout(1) exists.
limited() {
    if command -v timeout >/dev/null; then timeout 60 "$@"; else "$@"; fi
}

# expect LABEL OUTPUT WORD...: every WORD must be a line of OUTPUT (after
# cutting a fish-style "\tdescription").
expect() {
    local label=$1 out=$2 word missing=()
    shift 2
    for word in "$@"; do
        if ! printf '%s\n' "$out" | cut -f1 | grep -qxF -- "$word"; then
            missing+=("$word")
        fi
    done
    if ((${#missing[@]})); then
        fail "$label: missing ${missing[*]}; got: $(printf '%s\n' "$out" | cut -f1 | tr '\n' ' ')"
    else
        ok "$label: $*"
    fi
}

for f in zabra.bash _zabra zabra.fish; do
    [[ -f $comp/$f ]] || { echo "FAIL: $comp/$f does not exist" >&2; exit 1; }
done

# The subcommands to expect: those the binary lists, or dump.
commands=(dump)
if [[ -n $zabra ]]; then
    if ! help=$("$zabra" --help 2>&1); then
        echo "FAIL: $zabra --help failed: $help" >&2
        exit 1
    fi
    mapfile -t commands < <(printf '%s\n' "$help" |
        awk '/^Subcommands:/ { on = 1; next } on && /^[^ ]/ { on = 0 } on && NF { print $1 }')
    ((${#commands[@]})) || { echo "FAIL: no subcommands found in $zabra --help" >&2; exit 1; }
fi

# ---- bash ------------------------------------------------------------------

# bash_complete [--with-bash-completion] WORD...: prints what _zabra puts in
# COMPREPLY for the command line WORD..., the last word being completed.
bash_complete() {
    local preload=
    if [[ $1 == --with-bash-completion ]]; then
        preload=$bash_completion
        shift
    fi
    (cd "$src" && bash --norc --noprofile -c '
        preload=$1 file=$2
        shift 2
        if [[ -n $preload ]]; then source "$preload" || exit 3; fi
        source "$file" || exit 3
        complete -p zabra | grep -q -- "-F _zabra" || { echo "complete -p zabra: not registered" >&2; exit 4; }
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _zabra zabra "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" || exit 5
        ((${#COMPREPLY[@]})) && printf "%s\n" "${COMPREPLY[@]}"
        exit 0' bash "$preload" "$comp/zabra.bash" "$@")
}

bash_completion=
for f in /usr/share/bash-completion/bash_completion /etc/bash_completion; do
    [[ -r $f ]] && { bash_completion=$f; break; }
done

if bash -n "$comp/zabra.bash"; then ok "bash -n zabra.bash"; else fail "bash -n zabra.bash"; fi
modes=(plain)
[[ -n $bash_completion ]] && modes+=(--with-bash-completion)
for mode in "${modes[@]}"; do
    arg=()
    label="bash"
    if [[ $mode != plain ]]; then
        arg=("$mode")
        label="bash (with $bash_completion)"
    fi
    if out=$(bash_complete "${arg[@]}" zabra ''); then
        expect "$label: zabra <Tab>" "$out" "${commands[@]}"
    else
        fail "$label: zabra <Tab>: completion function failed: $out"
    fi
    out=$(bash_complete "${arg[@]}" zabra dump --for) || fail "$label: completion function failed"
    expect "$label: zabra dump --for<Tab>" "$out" --format
    out=$(bash_complete "${arg[@]}" zabra dump --format '') || fail "$label: completion function failed"
    expect "$label: zabra dump --format <Tab>" "$out" text json zk
    out=$(bash_complete "${arg[@]}" zabra dump -f j) || fail "$label: completion function failed"
    expect "$label: zabra dump -f j<Tab>" "$out" json
    out=$(bash_complete "${arg[@]}" zabra dump --format = '') || fail "$label: completion function failed"
    expect "$label: zabra dump --format=<Tab>" "$out" text json zk
    out=$(bash_complete "${arg[@]}" zabra dump --data '') || fail "$label: completion function failed"
    expect "$label: zabra dump --data <Tab>" "$out" text hex none full
    out=$(bash_complete "${arg[@]}" zabra dump tests/fixtures/zk/standalone/da) ||
        fail "$label: completion function failed"
    expect "$label: zabra dump <path><Tab>" "$out" tests/fixtures/zk/standalone/data
done

# ---- zsh -------------------------------------------------------------------

if ! command -v zsh >/dev/null; then
    echo "skip: zsh is not installed"
    skipped+=(zsh)
else
    if out=$(zsh -n "$comp/_zabra" 2>&1); then ok "zsh -n _zabra"; else fail "zsh -n _zabra: $out"; fi

    # Sourced after compinit, it must load silently and register itself.
    if out=$(cd "$tmp" && HOME=$tmp limited zsh -f -c '
            autoload -U compinit && compinit -u -D && source "$1" &&
            [[ $_comps[zabra] == _zabra ]] || { print -u2 "not registered for zabra"; exit 1 }
        ' zsh "$comp/_zabra" 2>&1) && [[ -z $out ]]; then
        ok "zsh: source _zabra after compinit"
    else
        fail "zsh: source _zabra after compinit: ${out:-non-zero exit}"
    fi
    # Found on $fpath, compinit must pick it up from its #compdef line.
    if out=$(cd "$tmp" && HOME=$tmp limited zsh -f -c '
            fpath=("$1" $fpath); autoload -U compinit && compinit -u -D &&
            [[ $_comps[zabra] == _zabra ]] || { print -u2 "compinit did not pick up _zabra"; exit 1 }
        ' zsh "$comp" 2>&1) && [[ -z $out ]]; then
        ok "zsh: compinit finds _zabra on \$fpath"
    else
        fail "zsh: compinit finds _zabra on \$fpath: ${out:-non-zero exit}"
    fi

    # Real completion, in an interactive zsh on a pseudo-terminal.
    if ! zsh -f -c 'zmodload zsh/zpty' 2>/dev/null; then
        echo "skip: zsh has no zsh/zpty module; completion results not checked"
        skipped+=(zsh/zpty)
    elif ! zsh -f -c 'zmodload zsh/zpty && zpty probe true && zpty -d probe' 2>/dev/null; then
        # e.g. a chroot or container without /dev/pts
        echo "skip: no pseudo-terminal can be opened; zsh completion results not checked"
        skipped+=(pty)
    else
        zsh_complete() {
            (cd "$src" && HOME=$tmp limited zsh -f "$here/zsh-complete.zsh" "$comp" "$1") | sed -n 's/^MATCH://p'
        }
        out=$(zsh_complete 'zabra ')
        expect "zsh: zabra <Tab>" "$out" "${commands[@]}"
        out=$(zsh_complete 'zabra dump --for')
        expect "zsh: zabra dump --for<Tab>" "$out" --format
        out=$(zsh_complete 'zabra dump --format ')
        expect "zsh: zabra dump --format <Tab>" "$out" text json zk
        out=$(zsh_complete 'zabra dump --format=')
        expect "zsh: zabra dump --format=<Tab>" "$out" text json zk
        out=$(zsh_complete 'zabra dump --data ')
        expect "zsh: zabra dump --data <Tab>" "$out" text hex none full
        out=$(zsh_complete 'zabra dump tests/fixtures/zk/standalone/da')
        expect "zsh: zabra dump <path><Tab>" "$out" data
    fi
fi

# ---- fish ------------------------------------------------------------------

if ! command -v fish >/dev/null; then
    echo "skip: fish is not installed"
    skipped+=(fish)
else
    export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
    fish_cmd=(fish --no-config)
    fish --no-config -c true 2>/dev/null || fish_cmd=(fish)   # before fish 3.6
    if out=$(fish -n "$comp/zabra.fish" 2>&1); then ok "fish -n zabra.fish"; else fail "fish -n zabra.fish: $out"; fi
    fish_complete() {
        (cd "$src" && HOME=$tmp limited "${fish_cmd[@]}" -c 'source $argv[1]; and complete -C $argv[2]' \
            "$comp/zabra.fish" "$1")
    }
    if out=$(fish_complete 'zabra ' 2>&1); then
        expect "fish: zabra <Tab>" "$out" "${commands[@]}"
    else
        fail "fish: sourcing zabra.fish failed: $out"
    fi
    out=$(fish_complete 'zabra dump --for')
    expect "fish: zabra dump --for<Tab>" "$out" --format
    out=$(fish_complete 'zabra dump --format ')
    expect "fish: zabra dump --format <Tab>" "$out" text json zk
    out=$(fish_complete 'zabra dump --data ')
    expect "fish: zabra dump --data <Tab>" "$out" text hex none full
    out=$(fish_complete 'zabra dump tests/fixtures/zk/standalone/da')
    expect "fish: zabra dump <path><Tab>" "$out" tests/fixtures/zk/standalone/data/
fi

# ---- zabra-node --------------------------------------------------------------

if out=$(cd "$src" && bash --norc --noprofile -c '
        source "$1" || exit 3
        COMP_WORDS=(zabra-node --se); COMP_CWORD=1; COMPREPLY=(); _zabra_node
        printf "%s\n" "${COMPREPLY[@]}"
        COMP_WORDS=(zabra-node --set snapC); COMP_CWORD=2; COMPREPLY=(); _zabra_node
        printf "%s\n" "${COMPREPLY[@]}"' bash "$comp/zabra-node.bash" 2>&1); then
    expect "bash: zabra-node --se<Tab>, --set snapC<Tab>" "$out" --set snapCount=
else
    fail "bash: zabra-node completion failed: $out"
fi
if command -v zsh >/dev/null; then
    if out=$(zsh -n "$comp/_zabra-node" 2>&1); then ok "zsh -n _zabra-node"; else fail "zsh -n _zabra-node: $out"; fi
fi
if command -v fish >/dev/null; then
    out=$(cd "$src" && HOME=$tmp limited "${fish_cmd[@]}" -c 'source $argv[1]; and complete -C "zabra-node --"' \
        "$comp/zabra-node.fish" 2>&1)
    expect "fish: zabra-node --<Tab>" "$out" --set --force-recover
fi

if ((failures)); then
    echo "completions: $failures check(s) failed" >&2
    exit 1
fi
if ((${#skipped[@]})); then
    echo "completions: passed, but skipped: ${skipped[*]} (not installed)"
    exit 77
fi
echo "completions: all checks passed"
exit 0
