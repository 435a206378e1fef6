// zabra dump's text and JSON output, driven in-process.
#include "helpers.h"
#include "libformat/zab/txnlog_reader.h"
#include "libformat/zab/txn_codec.h"
#include "libformat/zab/snapshot_writer.h"
#include "libformat/zab/txnlog_writer.h"
#include "tools/cmd_dump.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <regex>
#include <sstream>

using namespace zabra;
namespace fs = std::filesystem;

namespace {

struct Run {
    tools::Outcome outcome;
    std::string out;
    std::string err;
};

Run dump(std::vector<std::string> paths, tools::DumpFormat format, tools::DataStyle data = tools::DataStyle::Text) {
    tools::DumpOptions o;
    o.paths = std::move(paths);
    o.format = format;
    o.print.data = data;
    std::ostringstream out, err;
    const auto outcome = tools::run_dump(o, out, err);
    return {outcome, out.str(), err.str()};
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}

}  // namespace

TEST_CASE("dump --format json of a data dir: one object per txn with the documented fields, in zxid order") {
    const fs::path dir = test::fixtures() / "zk/standalone/data";
    const Run r = dump({dir.string()}, tools::DumpFormat::Json);
    CHECK(r.outcome == tools::Outcome::Ok);
    CHECK(r.err.empty());
    const std::regex zxid("\"zxid\":\"0x([1-9a-f][0-9a-f]*)\"");
    const std::regex session("\"session\":\"0x[0-9a-f]+\"");
    const std::regex required("^\\{\"record\":\"txn\",.*\"type\":\"[A-Za-z0-9]+\".*\"cxid\":-?\\d+,\"time\":\\d+");
    std::int64_t last = 0;
    std::size_t txns = 0;
    for (const auto& line : lines_of(r.out)) {
        if (!line.starts_with("{\"record\":\"txn\"")) {
            CHECK(line.starts_with("{\"record\":\"log_end\""));
            continue;
        }
        CAPTURE(line);
        std::smatch m;
        REQUIRE(std::regex_search(line, m, zxid));
        const std::int64_t z = std::stoll(m[1], nullptr, 16);
        CHECK(z > last);
        last = z;
        CHECK(std::regex_search(line, session));
        CHECK(std::regex_search(line, required));
        static const std::regex with_path("\"type\":\"(create|create2|createContainer|createTTL|delete|deleteContainer|setData|setACL|check)\"");
        const bool has_path = std::regex_search(line, with_path);
        if (has_path) CHECK(line.find("\"path\":\"/") != std::string::npos);
        ++txns;
    }
    CHECK(txns > 100);
}

TEST_CASE("dump --format json of a snapshot: every node object has its path") {
    const fs::path snap = test::fixture_snapshots().back();
    const Run r = dump({snap.string()}, tools::DumpFormat::Json);
    CHECK(r.outcome == tools::Outcome::Ok);
    std::size_t nodes = 0;
    for (const auto& line : lines_of(r.out)) {
        if (!line.starts_with("{\"record\":\"node\"")) continue;
        CHECK(line.find("\"path\":\"/") != std::string::npos);
        ++nodes;
    }
    CHECK(nodes >= 4);
    CHECK(r.out.find("{\"record\":\"snapshot_end\"") != std::string::npos);
    CHECK(r.out.find("\"seal1\":\"ok\"") != std::string::npos);
}

TEST_CASE("text dump matches the golden output") {
    const fs::path log = test::fixtures() / "zk/standalone/data/version-2/log.1";
    const Run r = dump({log.string()}, tools::DumpFormat::Text);
    std::string out = r.out;
    // The golden file names the log by its path relative to the fixtures.
    const std::string prefix = (test::fixtures() / "").string();
    for (std::size_t at; (at = out.find(prefix)) != std::string::npos;) out.erase(at, prefix.size());
    CHECK(out == test::slurp(test::fixtures() / "golden/standalone-log.1.txt"));
}

TEST_CASE("binary data and odd bytes are escaped in text and stay valid in JSON") {
    const fs::path log = test::fixtures() / "zk/standalone/data/version-2/log.1";
    const Run text = dump({log.string()}, tools::DumpFormat::Text);
    for (unsigned char c : text.out) {
        CHECK((c >= 0x20 || c == '\n'));  // no raw control bytes reach the terminal
    }
    const Run json = dump({log.string()}, tools::DumpFormat::Json);
    CHECK(json.out.find("\"data_base64\":") != std::string::npos);
}

TEST_CASE("a damaged log is dumped up to the damage and reported, with outcome DataDamage") {
    test::TempDir tmp;
    std::string b = test::slurp(test::fixtures() / "zk/standalone/data/version-2/log.1");
    zab::TxnLogReader r(as_bytes(b));
    zab::TxnLogRecord rec;
    r.next(rec);
    r.next(rec);
    b[rec.offset + 20] = static_cast<char>(b[rec.offset + 20] ^ 1);
    test::spit(tmp.path() / "log.1", b);
    const Run run = dump({(tmp.path() / "log.1").string()}, tools::DumpFormat::Text);
    CHECK(run.outcome == tools::Outcome::DataDamage);
    CHECK(run.out.find("DAMAGED after 1 records at offset " + std::to_string(rec.offset)) != std::string::npos);
}

TEST_CASE("input that is neither ZooKeeper nor etcd data is a usage error with a clear message") {
    test::TempDir tmp;
    test::spit(tmp.path() / "notes.txt", "hello");
    const Run r = dump({(tmp.path() / "notes.txt").string()}, tools::DumpFormat::Text);
    CHECK(r.outcome == tools::Outcome::Usage);
    CHECK(r.err.find("not ZooKeeper or etcd data") != std::string::npos);
    const Run missing = dump({(tmp.path() / "nope").string()}, tools::DumpFormat::Text);
    CHECK(missing.outcome == tools::Outcome::BadInput);
    CHECK(missing.err.find("nope") != std::string::npos);
}

namespace {

// The lines of a dump made in chunks on other cores (no limit), and made
// one record at a time (a limit takes the sequential path).
std::pair<std::vector<std::string>, std::vector<std::string>> dump_both_ways(const std::string& path,
                                                                             tools::DumpFormat format) {
    tools::DumpOptions all;
    all.paths = {path};
    all.format = format;
    std::ostringstream parallel, sequential, err;
    CHECK(tools::run_dump(all, parallel, err) == tools::Outcome::Ok);
    tools::DumpOptions one = all;
    one.limit = 1000000;
    CHECK(tools::run_dump(one, sequential, err) == tools::Outcome::Ok);
    return {lines_of(parallel.str()), lines_of(sequential.str())};
}

}  // namespace

TEST_CASE("a log of many chunks is dumped in order, exactly as the one-record-at-a-time path does") {
    // Over 30,000 real records, renumbered: several chunks for the parallel path.
    test::TempDir tmp;
    const auto v2 = tmp.path() / "version-2";
    fs::create_directories(v2);
    {
        zab::TxnLogWriter w(v2 / "log.100000001", {.prealloc_bytes = 1 << 20});
        std::int64_t zxid = 0x100000000;
        while (zxid < 0x100000000 + 30000) {
            const std::string b = test::slurp(test::fixtures() / "zk/standalone/data/version-2/log.1f");
            zab::TxnLogReader r(as_bytes(b));
            zab::TxnLogRecord rec;
            while (r.next(rec)) {
                zab::Txn t = zab::decode_txn(rec.payload);
                t.header.zxid = ++zxid;
                w.append(t);
            }
        }
    }
    for (auto format : {tools::DumpFormat::Text, tools::DumpFormat::Json, tools::DumpFormat::Zk}) {
        CAPTURE(static_cast<int>(format));
        auto txn_lines = [](std::vector<std::string> v) {
            std::erase_if(v, [](const std::string& l) {
                return l.starts_with("# ") || l.starts_with("{\"record\":\"log_end\"") || l.starts_with("EOF reached");
            });
            return v;
        };
        const auto [parallel, sequential] = dump_both_ways(tmp.path().string(), format);
        const auto a = txn_lines(parallel);
        CHECK(a.size() > 30000);
        CHECK(a == txn_lines(sequential));
    }
}

TEST_CASE("a snapshot of many chunks is dumped in order, exactly as the one-node-at-a-time path does") {
    // 20,000 nodes, some with data over 64 KiB: several chunks of both kinds
    // (by count and by bytes) for the parallel path.
    test::TempDir tmp;
    const auto v2 = tmp.path() / "version-2";
    fs::create_directories(v2);
    zab::Snapshot snap;
    snap.acls.push_back({1, std::vector<zab::Acl>{{31, "world", "anyone"}}});
    snap.nodes.push_back({"", zab::Buffer(std::string()), 1, {}, 0});
    snap.nodes.push_back({"/n", zab::Buffer(std::string("parent")), 1, {}, 0});
    for (int i = 0; i < 20000; ++i) {
        zab::StatPersisted st;
        st.czxid = st.mzxid = st.pzxid = i + 1;
        st.ctime = st.mtime = 1700000000000 + i;
        const std::size_t size = i % 97 == 0 ? 70000 : 20;
        snap.nodes.push_back({fmt::format("/n/{:06}", i), zab::Buffer(std::string(size, static_cast<char>('a' + i % 26))), 1, st, 0});
    }
    test::spit(v2 / "snapshot.4e20", zab::encode_snapshot(snap, zab::Compression::None));
    for (auto format : {tools::DumpFormat::Text, tools::DumpFormat::Json}) {
        CAPTURE(static_cast<int>(format));
        const auto [parallel, sequential] = dump_both_ways((v2 / "snapshot.4e20").string(), format);
        CHECK(parallel.size() > 20000);
        CHECK(parallel == sequential);
    }
}
