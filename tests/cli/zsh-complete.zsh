#!/usr/bin/env zsh
# Prints the matches zsh's completion system offers for a command line, one
# per line as "MATCH:<word>", using the completion functions found in DIR.
#
#   zsh -f zsh-complete.zsh DIR 'zabra dump --format '
#
# It runs an interactive zsh on a pseudo-terminal, wraps compadd to print
# what it adds, and presses Tab at the end of the line. Exit status 2 when
# the completion system did not run.
emulate -L zsh
zmodload zsh/zpty || { print -u2 'zsh/zpty is not available'; exit 3 }

local dir=${1:A} cmdline=$2
zpty zt zsh -f -i || exit 3

zpty -w zt 'PS1= PROMPT= RPROMPT= PS2=; unset zle_bracketed_paste'
zpty -w zt "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w zt 'zstyle ":completion:*" list-grouped false; zstyle ":completion:*" insert-tab false'
zpty -w zt '__zt_pre() { print -r -- "<<BEGIN"">>"; }; __zt_post() { print -r -- "<<END"">>"; exit; }'
zpty -w zt 'compprefuncs=(__zt_pre); comppostfuncs=(__zt_post)'
zpty -w zt 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __zt_hits; builtin compadd -A __zt_hits "$@"
  local __zt_h; for __zt_h in $__zt_hits; do print -r -- "MATCH:$__zt_h"; done
  builtin compadd "$@"
}'
zpty -w zt 'bindkey "^I" complete-word'
zpty -w zt 'print -r -- "<<READY"">>"'
local out= chunk
# Wait for the shell to be set up (the marker is split in the command so
# that the echoed command line does not match).
zpty -r -m zt chunk '*<<READY>>*' || { print -u2 'zsh did not start'; exit 2 }
zpty -n -w zt "$cmdline"$'\t'
integer seen_end=0 seen_begin=0
if zpty -r -m zt out '*<<END>>*'; then seen_end=1; fi
zpty -d zt 2>/dev/null

local l
for l in ${(f)out//$'\r'/}; do
  [[ $l == *'<<BEGIN>>' ]] && seen_begin=1
  (( seen_begin )) && [[ $l == MATCH:* ]] && print -r -- $l
done
(( seen_begin && seen_end )) || { print -u2 "completion did not run; pty output:"; print -u2 -r -- $out; exit 2 }
exit 0
