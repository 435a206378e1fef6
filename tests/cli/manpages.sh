#!/usr/bin/env bash
# Checks the man pages and keeps them, and the shell completions, in step
# with the binary's --help:
#   - every man page's header names the version zabra --version prints;
#   - every man/*.1 and man/*.8 is clean under `mandoc -Tlint -W warning` (and, when
#     groff is installed, under `groff -man -ww`);
#   - every subcommand listed by `zabra --help` is an item of the COMMANDS
#     section of man/zabra.1, is offered by each completion file, and has its
#     own man/zabra-<command>.1;
#   - every option listed by `zabra --help` is an item of the OPTIONS section
#     of man/zabra.1, every option listed by `zabra <command> --help` one of
#     the OPTIONS of man/zabra-<command>.1, and each completion file offers
#     them (for that subcommand).
#
#   tests/cli/manpages.sh SOURCE_DIR ZABRA
#
# Exit status: 0 passed, 1 failed, 77 skipped (mandoc not installed).
set -u

src=${1:?usage: manpages.sh SOURCE_DIR ZABRA}
zabra=${2:?usage: manpages.sh SOURCE_DIR ZABRA}
man=$src/man
comp=$src/completions

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

if ! command -v mandoc >/dev/null; then
    echo "skip: mandoc is not installed"
    exit 77
fi
if [[ ! -x $zabra ]]; then
    echo "FAIL: $zabra is not an executable" >&2
    exit 1
fi

shopt -s nullglob
pages=("$man"/*.1 "$man"/*.8)
((${#pages[@]})) || { echo "FAIL: no man pages in $man" >&2; exit 1; }

# The version: one source (CMake's project()), shown by --version; every
# page's header must name the same.
version=$("$zabra" --version | sed -n 's/^zabra //p')
[[ -n $version ]] || fail "zabra --version printed no version"
for page in "${pages[@]}"; do
    if grep -q '^\.TH ' "$page" && ! grep -q "^\.TH .*\"zabra $version\"" "$page"; then
        fail "$(basename "$page"): its .TH header does not say \"zabra $version\""
    fi
done

# ---- lint ------------------------------------------------------------------

for page in "${pages[@]}"; do
    name=${page#"$src"/}
    out=$(mandoc -Tlint -W warning "$page" 2>&1)
    if [[ -n $out ]]; then
        fail "mandoc -Tlint -W warning $name:"$'\n'"$out"
    else
        ok "mandoc -Tlint -W warning $name"
    fi
    if command -v groff >/dev/null; then
        out=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
        if [[ -n $out ]]; then
            fail "groff -man -ww $name:"$'\n'"$out"
        else
            ok "groff -man -ww $name"
        fi
    fi
done

# ---- the pages and completions against --help ------------------------------

# help_section TEXT HEADING: the first word of each line of the section of a
# CLI11 help text that starts with HEADING (e.g. "Options:").
help_section() {
    printf '%s\n' "$1" | awk -v h="$2" '$0 == h { on = 1; next } on && /^[^ ]/ { on = 0 } on && NF { print $1 }'
}

# options_of HELPTEXT: every option name in its Options section, one per
# line ("-f,--format" gives -f and --format).
options_of() {
    help_section "$1" "Options:" | tr ',' '\n' | grep -E '^--?[A-Za-z0-9]'
}

# roff_tags PAGE SECTION: the item tags (the lines after .TP or .TQ) of
# one section of a man page, as text: no font escapes, \- as -, \e as \.
roff_tags() {
    awk -v sec="$2" '
        /^\.SH/ { s = $0; sub(/^\.SH[ \t]+/, "", s); gsub(/"/, "", s); on = (s == sec); next }
        on && (prev ~ /^\.T[PQ]/) { print }
        { prev = $0 }' "$1" |
        sed -e 's/\\f[BIRP]//g' -e 's/\\f([A-Z][A-Z]//g' -e 's/\\f\[[^]]*\]//g' \
            -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g' -e 's/\\c$//'
}

# has WORD FILE: WORD occurs in FILE as a whole word (not as part of a longer
# option or name).
has() {
    grep -qE -- "(^|[^A-Za-z0-9_-])$(printf '%s' "$1" | sed 's/[.[\*^$]/\\&/g')([^A-Za-z0-9_-]|\$)" "$2"
}

# fish_has OPTION FILE: fish spells -x as "-s x" and --xy as "-l xy".
fish_has() {
    local opt=$1 file=$2
    if [[ $opt == --* ]]; then
        grep -qE -- "(^|[[:space:]])-l[[:space:]]+${opt#--}([[:space:]]|\$)" "$file"
    else
        grep -qE -- "(^|[[:space:]])-s[[:space:]]+${opt#-}([[:space:]]|\$)" "$file"
    fi
}

# The part of each completion file that belongs to one subcommand, or with
# "" to the command line before the subcommand; see the comments at the top
# of the completion files for these conventions.
completion_part() {
    local file=$1 cmd=$2
    case "$file:$cmd" in
        zabra.bash:) grep -E '^_zabra_(global_opts|commands)=' "$comp/$file" ;;
        zabra.bash:*) grep -E "^_zabra_opts_${cmd//-/_}=" "$comp/$file" ;;
        _zabra:) awk '/^_zabra(_commands)?\(\) *\{/, /^\}/' "$comp/$file" ;;
        _zabra:*) awk -v f="_zabra_$cmd" '$1 == f"()" || $1 == f { on = 1 } on { print } on && /^\}/ { on = 0 }' "$comp/$file" ;;
        zabra.fish:) grep -E 'not __fish_seen_subcommand_from' "$comp/$file" ;;
        zabra.fish:*) grep -E "(\\\$${cmd}([^A-Za-z0-9_]|\$)|__fish_seen_subcommand_from ${cmd}['\"])" "$comp/$file" ;;
    esac
}

# check_in_completions CMD WORD: WORD (a subcommand or an option) must be in
# the part of every completion file for CMD ("" before the subcommand).
check_in_completions() {
    local cmd=$1 word=$2 f where
    where=${cmd:+"zabra $cmd"}
    where=${where:-zabra}
    for f in zabra.bash _zabra zabra.fish; do
        completion_part "$f" "$cmd" >"$part_file"
        if [[ ! -s $part_file ]]; then
            fail "completions/$f has no part for ${cmd:-the commands and global options}"
        elif [[ $f == zabra.fish && $word == -* ]]; then
            fish_has "$word" "$part_file" || fail "$where: $word is missing from completions/$f"
        else
            has "$word" "$part_file" || fail "$where: $word is missing from completions/$f"
        fi
    done
}

text=$(mktemp)
part_file=$(mktemp)
trap 'rm -f "$text" "$part_file"' EXIT

if ! help=$("$zabra" --help 2>&1); then
    echo "FAIL: $zabra --help failed: $help" >&2
    exit 1
fi
mapfile -t commands < <(help_section "$help" "Subcommands:")
((${#commands[@]})) || fail "no subcommands found in '$zabra --help'"
mapfile -t global_opts < <(options_of "$help")
((${#global_opts[@]})) || fail "no options found in '$zabra --help'"

# check_listed CMD SECTION NOUN ITEM...: each ITEM that `zabra [CMD] --help`
# lists is in SECTION of CMD's man page and in the completions.
check_listed() {
    local cmd=$1 section=$2 noun=$3 item page
    shift 3
    page=man/zabra${cmd:+-$cmd}.1
    roff_tags "$src/$page" "$section" >"$text"
    for item in "$@"; do
        has "$item" "$text" || fail "zabra ${cmd:+$cmd }--help lists $noun$item, the $section of $page do not"
        check_in_completions "$cmd" "$item"
    done
}

before=$failures
check_listed "" OPTIONS "" "${global_opts[@]}"
check_listed "" COMMANDS "the command " "${commands[@]}"
((failures == before)) && ok "man/zabra.1 and completions: commands ${commands[*]}, options ${global_opts[*]}"

for cmd in "${commands[@]}"; do
    page=$man/zabra-$cmd.1
    if [[ ! -f $page ]]; then
        fail "zabra --help lists the command $cmd, but man/zabra-$cmd.1 does not exist"
        continue
    fi
    if ! cmd_help=$("$zabra" "$cmd" --help 2>&1); then
        fail "zabra $cmd --help failed: $cmd_help"
        continue
    fi
    mapfile -t opts < <(options_of "$cmd_help")
    if ((${#opts[@]} == 0)); then
        fail "no options found in 'zabra $cmd --help'"
        continue
    fi
    before=$failures
    check_listed "$cmd" OPTIONS "" "${opts[@]}"
    ((failures == before)) && ok "man/zabra-$cmd.1 and completions: ${opts[*]}"
done

if ((failures)); then
    echo "manpages: $failures check(s) failed" >&2
    exit 1
fi
echo "manpages: all checks passed"
exit 0
