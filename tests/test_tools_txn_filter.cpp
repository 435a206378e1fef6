// zabra dump's filters.
#include "helpers.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/txnlog_reader.h"
#include "tools/cmd_dump.h"
#include "tools/dump/txn_filter.h"

#include <doctest/doctest.h>

#include <sstream>
#include <thread>

#include "libformat/zab/txnlog_writer.h"

using namespace zabra;
using namespace zabra::tools;

TEST_CASE("zxids parse as hex, decimal or epoch:counter") {
    CHECK(parse_zxid("0x1a") == 0x1a);
    CHECK(parse_zxid("26") == 26);
    CHECK(parse_zxid("3:17") == 0x300000011);
    CHECK(parse_zxid("0x3:0x11") == 0x300000011);
    CHECK_FALSE(parse_zxid(""));
    CHECK_FALSE(parse_zxid("0x"));
    CHECK_FALSE(parse_zxid("12abc"));
    CHECK_FALSE(parse_zxid("1:0x100000000"));  // counter is 32 bits
    CHECK_FALSE(parse_zxid("0xffffffffffffffff"));
    CHECK(parse_session("0x1000010f9950000") == 0x1000010f9950000);
}

TEST_CASE("a path prefix matches the node and its subtree, a glob matches by pattern") {
    TxnFilter f;
    f.paths = {"/app"};
    zab::SnapshotNode n;
    for (const char* yes : {"/app", "/app/x", "/app/x/y"}) {
        n.path = yes;
        CHECK(f.matches_node(n));
    }
    n.path = "/apple";
    CHECK_FALSE(f.matches_node(n));
    f.paths = {"/app/*/lock"};
    n.path = "/app/a/lock";
    CHECK(f.matches_node(n));
    n.path = "/app/a/b";
    CHECK_FALSE(f.matches_node(n));
    f.paths = {"/"};
    n.path = "";  // the root
    CHECK(f.matches_node(n));
}

TEST_CASE("filters combine, and a multi matches through its ops") {
    zab::Txn multi;
    multi.header = {0x55, 3, 0x200000007, 0, zab::op::multi};
    zab::MultiTxn m;
    m.ops.emplace();
    zab::SubTxn op;
    op.type = zab::op::setData;
    op.raw = std::string();
    op.body = zab::SetDataTxn{"/cfg/a", std::string("x"), 2};
    m.ops->push_back(op);
    multi.body = m;
    TxnFilter f;
    CHECK(f.matches(multi));
    f.types = {zab::op::setData};
    CHECK(f.matches(multi));
    f.paths = {"/cfg"};
    CHECK(f.matches(multi));
    f.epochs = {2};
    f.sessions = {0x55};
    CHECK(f.matches(multi));
    f.sessions = {0x56};
    CHECK_FALSE(f.matches(multi));
    f.sessions.clear();
    f.from = 0x200000008;
    CHECK_FALSE(f.matches(multi));
}

TEST_CASE("dump --from/--to prints exactly the txns in range, and nothing of a log that holds none") {
    DumpOptions o;
    o.paths = {(test::fixtures() / "zk/standalone/data").string()};
    o.format = DumpFormat::Json;
    o.filter.from = 0x40;
    o.filter.to = 0x60;
    std::ostringstream out, err;
    CHECK(run_dump(o, out, err) == Outcome::Ok);
    std::size_t txns = 0;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("{\"record\":\"txn\"")) ++txns;
        CHECK(line.find("log.1\"") == std::string::npos);  // log.1 ends before 0x1f: read, not shown
    }
    CHECK(txns == 0x60 - 0x40 + 1);
}

TEST_CASE("dump --follow prints txns appended to the newest log, then those of the next log") {
    test::TempDir tmp;
    const auto v2 = tmp.path() / "version-2";
    std::filesystem::create_directories(v2);
    auto txn = [](std::int64_t zxid) {
        zab::Txn t;
        t.header = {0x42, static_cast<std::int32_t>(zxid), zxid, 1000 + zxid, zab::op::setData};
        t.body = zab::SetDataTxn{"/f", std::string("v") + std::to_string(zxid), static_cast<std::int32_t>(zxid)};
        return t;
    };
    auto w1 = std::make_unique<zab::TxnLogWriter>(v2 / "log.1", zab::TxnLogWriterOptions{.prealloc_bytes = 65536});
    for (int z = 1; z <= 3; ++z) w1->append(txn(z));
    w1->flush();

    DumpOptions o;
    o.paths = {tmp.path().string()};
    o.format = DumpFormat::Json;
    o.follow = true;
    o.follow_poll_ms = 20;
    o.follow_idle_exit_ms = 1500;
    std::ostringstream out, err;
    Outcome followed = Outcome::BadInput;
    std::thread dumper([&] { followed = run_dump(o, out, err); });

    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (int z = 4; z <= 5; ++z) {
        w1->append(txn(z));
        w1->flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(60));
    }
    w1->close();
    {
        zab::TxnLogWriter w2(v2 / "log.6", {.prealloc_bytes = 65536});
        for (int z = 6; z <= 7; ++z) w2.append(txn(z));
        w2.flush();
    }
    dumper.join();
    CHECK(followed == Outcome::Ok);
    std::vector<std::int64_t> zxids;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find("\"zxid\":\"0x");
        if (line.starts_with("{\"record\":\"txn\"") && at != std::string::npos) {
            zxids.push_back(std::stoll(line.substr(at + 10), nullptr, 16));
        }
    }
    CHECK(zxids == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7});
    CHECK(err.str().empty());
}
