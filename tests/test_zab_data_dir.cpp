#include "helpers.h"
#include "libformat/zab/data_dir.h"

#include <doctest/doctest.h>

using namespace zabra::zab;
namespace fs = std::filesystem;

TEST_CASE("file names parse as ZooKeeper's Util.getZxidFromName does") {
    auto log = parse_data_file_name("log.20b");
    REQUIRE(log);
    CHECK(log->kind == FileKind::TxnLog);
    CHECK(log->zxid == 0x20b);
    CHECK(log->canonical);

    auto gz = parse_data_file_name("snapshot.308.gz");
    REQUIRE(gz);
    CHECK(gz->kind == FileKind::Snapshot);
    CHECK(gz->zxid == 0x308);
    CHECK(gz->canonical);
    CHECK(gz->name_compression == Compression::Gzip);

    for (const char* odd : {"log.20b.fixed", "log.20b.chopped592", "snapshot.400.bak", "snapshot.2ad.tmp"}) {
        CAPTURE(odd);
        auto f = parse_data_file_name(odd);
        REQUIRE(f);
        CHECK_FALSE(f->canonical);  // ZooKeeper still loads it
        CHECK(f->zxid > 0);
    }
    auto padded = parse_data_file_name("log.0020b");
    REQUIRE(padded);
    CHECK(padded->zxid == 0x20b);
    CHECK_FALSE(padded->canonical);  // Long.toHexString never writes leading zeros
    CHECK(parse_data_file_name("log.xyz")->zxid == -1);
    CHECK_FALSE(parse_data_file_name("myid"));
    CHECK(log_file_name(0x100000001) == "log.100000001");
    CHECK(snapshot_file_name(0x2ad, Compression::Snappy) == "snapshot.2ad.snappy");
}

TEST_CASE("a data dir lists logs and snapshots in zxid order and reads the epoch files") {
    zabra::test::TempDir tmp;
    const fs::path v2 = tmp.sub("version-2");
    for (const char* n : {"log.1", "log.f9", "log.20b", "snapshot.0", "snapshot.177", "snapshot.2ad.gz", "junk"}) {
        zabra::test::spit(v2 / n, "x");
    }
    zabra::test::spit(v2 / "currentEpoch", "3");
    zabra::test::spit(v2 / "acceptedEpoch", "4\n");
    const DataDir d = list_data_dir(tmp.path());  // the parent works too
    CHECK(d.version2 == v2);
    REQUIRE(d.logs.size() == 3);
    CHECK(d.logs[0].name.zxid == 1);
    CHECK(d.logs[1].name.zxid == 0xf9);
    CHECK(d.logs[2].name.zxid == 0x20b);
    REQUIRE(d.snapshots.size() == 3);
    CHECK(d.snapshots[2].name.zxid == 0x2ad);
    CHECK(d.other.size() == 1);
    CHECK(d.current_epoch == 3);
    CHECK_FALSE(d.accepted_epoch);  // a newline is not ZooKeeper's format
    CHECK(d.problems.size() == 1);
}

TEST_CASE("the ensemble fixture's epoch files agree with its newest zxid's epoch") {
    for (int i = 1; i <= 3; ++i) {
        const DataDir d = list_data_dir(zabra::test::fixtures() / ("zk/ensemble/server" + std::to_string(i) + "/data"));
        CAPTURE(i);
        REQUIRE(d.current_epoch);
        REQUIRE(d.accepted_epoch);
        REQUIRE_FALSE(d.logs.empty());
        CHECK(*d.current_epoch >= zxid_epoch(d.logs.back().name.zxid));
    }
}
