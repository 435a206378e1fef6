// acceptedEpoch and currentEpoch (node/quorum/epoch_files): the bytes real
// ZooKeeper 3.8 servers wrote (tests/fixtures/zk/ensemble), and
// QuorumPeer.loadDataBase's rules for missing, torn and inconsistent files.
#include "helpers.h"
#include "node/quorum/epoch_files.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <stdexcept>

namespace fs = std::filesystem;
using namespace zabra;
using namespace zabra::node::quorum;

namespace {

std::string refusal(const fs::path& dir, std::int64_t zxid) {
    try {
        load_epochs(dir, zxid, [](const std::string&) {});
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("epoch files are written byte for byte as ZooKeeper writes them, and leave no temp file") {
    int compared = 0;
    for (int s = 1; s <= 3; ++s) {
        const fs::path v2 = test::fixtures() / "zk" / "ensemble" / fmt::format("server{}", s) / "data" / "version-2";
        for (const char* name : {kAcceptedEpochFile, kCurrentEpochFile}) {
            INFO((v2 / name).string());
            const std::int64_t value = read_epoch_file(v2 / name);
            test::TempDir tmp;
            write_epoch_file(tmp.path(), name, value);
            CHECK(test::slurp(tmp.path() / name) == test::slurp(v2 / name));
            CHECK_FALSE(fs::exists(tmp.path() / (std::string(name) + ".tmp")));
            ++compared;
        }
    }
    CHECK(compared == 6);
}

TEST_CASE("missing epoch files are created from the last zxid's epoch, as on an upgrade") {
    test::TempDir tmp;
    std::vector<std::string> logged;
    const Epochs e = load_epochs(tmp.path(), 0x300000007, [&](const std::string& s) { logged.push_back(s); });
    CHECK(e.current == 3);
    CHECK(e.accepted == 3);
    CHECK(test::slurp(tmp.path() / kCurrentEpochFile) == "3");
    CHECK(test::slurp(tmp.path() / kAcceptedEpochFile) == "3");
    REQUIRE(logged.size() == 2);
    CHECK(logged[0] == "currentEpoch not found! Creating with a reasonable default of 3. This should only happen "
                       "when you are upgrading your installation");
}

TEST_CASE("a currentEpoch older than the log is taken from currentEpoch.tmp, or refused") {
    test::TempDir tmp;
    write_epoch_file(tmp.path(), kAcceptedEpochFile, 5);
    write_epoch_file(tmp.path(), kCurrentEpochFile, 4);
    // The log holds epoch 5 txns: a write of currentEpoch=5 stopped after its temp file.
    CHECK(refusal(tmp.path(), 0x500000002) == "The current epoch, 4, is older than the last zxid, 21474836482");
    test::spit(tmp.path() / "currentEpoch.tmp", "5");
    const Epochs e = load_epochs(tmp.path(), 0x500000002, [](const std::string&) {});
    CHECK(e.current == 5);
    CHECK(test::slurp(tmp.path() / kCurrentEpochFile) == "5");
    CHECK_FALSE(fs::exists(tmp.path() / "currentEpoch.tmp"));
}

TEST_CASE("an acceptedEpoch below currentEpoch, or a file that is not a number, is refused") {
    test::TempDir tmp;
    write_epoch_file(tmp.path(), kAcceptedEpochFile, 1);
    write_epoch_file(tmp.path(), kCurrentEpochFile, 0x1a);
    CHECK(refusal(tmp.path(), 0x100000001) == "The accepted epoch, 1 is less than the current epoch, 1a");
    write_epoch_file(tmp.path(), kAcceptedEpochFile, 4);
    test::spit(tmp.path() / kCurrentEpochFile, "4\n");  // a line end is fine: ZooKeeper reads a line
    CHECK(load_epochs(tmp.path(), 0, [](const std::string&) {}).current == 4);
    test::spit(tmp.path() / kCurrentEpochFile, "4x");
    CHECK(refusal(tmp.path(), 0) == "Found 4x in " + (tmp.path() / kCurrentEpochFile).string());
}
