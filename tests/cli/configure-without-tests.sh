#!/usr/bin/env bash
# A user who wants only the binaries configures with -DBUILD_TESTING=OFF and
# needs no doctest: configure so, with doctest made unfindable, and check that
# the binaries are still targets and the test suite is not.
#
#   tests/cli/configure-without-tests.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: configure-without-tests.sh SOURCE_DIR}
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
if ! cmake -S "$src" -B "$build" -DBUILD_TESTING=OFF -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON >"$build/configure.log" 2>&1; then
    cat "$build/configure.log" >&2
    echo "FAIL: configuring with BUILD_TESTING=OFF needs doctest" >&2
    exit 1
fi
targets=$(cmake --build "$build" --target help)
for t in zabra zabra-node; do
    grep -q "\.\.\. $t\$" <<<"$targets" || { echo "FAIL: no target $t" >&2; exit 1; }
done
if grep -q "\.\.\. zabra_tests\$" <<<"$targets"; then
    echo "FAIL: the test suite is built with BUILD_TESTING=OFF" >&2
    exit 1
fi
echo "ok: configured without doctest; targets zabra and zabra-node, no zabra_tests"
