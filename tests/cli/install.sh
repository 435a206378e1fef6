#!/usr/bin/env bash
# Installs the build into a DESTDIR and checks the list against what a
# Debian system expects: both binaries in /usr/bin, every man page in its
# section's directory, every completion file where bash-completion, zsh and
# fish look.
#
#   tests/cli/install.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: install.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" --prefix /usr >/dev/null

fail=0
want() { [[ -f $dest$1 ]] || { echo "FAIL: $1 not installed" >&2; fail=1; }; }
want /usr/bin/zabra
want /usr/bin/zabra-node
pages=0
for m in "$src"/man/*.[18]; do
    want "/usr/share/man/man${m##*.}/$(basename "$m")"
    pages=$((pages + 1))
done
for c in zabra zabra-node; do
    want /usr/share/bash-completion/completions/$c
    want /usr/share/zsh/vendor-completions/_$c
    want /usr/share/fish/vendor_completions.d/$c.fish
done
# Nothing else: no stray files (tests, benchmarks, headers).
extra=$(cd "$dest" && find . -type f | sed 's|^\.||' | grep -vE '^/usr/bin/zabra(-node)?$|^/usr/share/man/man[18]/|^/usr/share/(bash-completion|zsh|fish)/' || true)
[[ -z $extra ]] || { echo "FAIL: unexpected files installed: $extra" >&2; fail=1; }
"$dest/usr/bin/zabra" --version >/dev/null || { echo "FAIL: the installed zabra does not run" >&2; fail=1; }
((pages >= 11)) || { echo "FAIL: only $pages man pages" >&2; fail=1; }
((fail == 0)) && echo "ok: $(cd "$dest" && find . -type f | wc -l) files installed ($pages man pages, 6 completion files, 2 binaries)"
exit "$fail"
