// The zabra binary's exit codes, as documented in zabra(1).
#include "helpers.h"

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>

namespace {

int run(const std::string& args) {
    const std::string cmd = std::string(ZABRA_BINARY) + " " + args + " >/dev/null 2>&1";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("zabra exits 0 on clean data, 1 on damage, 2 on usage errors, 3 on unreadable input") {
    using zabra::test::fixtures;
    zabra::test::TempDir tmp;
    const std::string data = (fixtures() / "zk/standalone/data").string();
    CHECK(run("dump " + data) == 0);
    CHECK(run("--version") == 0);
    CHECK(run("dump --help") == 0);
    CHECK(run("") == 2);
    CHECK(run("dump") == 2);
    CHECK(run("dump --format yaml " + data) == 2);
    CHECK(run("frobnicate") == 2);
    CHECK(run("dump " + (tmp.path() / "missing").string()) == 3);
    zabra::test::spit(tmp.path() / "log.1", std::string(65552, '\0'));
    CHECK(run("dump " + (tmp.path() / "log.1").string()) == 1);  // all-zero log: damaged header
}
